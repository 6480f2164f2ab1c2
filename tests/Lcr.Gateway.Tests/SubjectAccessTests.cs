using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Firely.Fhir.Validation;
using Google.Protobuf;
using Grpc.Core;
using Hl7.Fhir.Specification.Source;
using Hl7.Fhir.Specification.Terminology;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Gateway.Downstream;
using Lcr.Gateway.SubjectAccess;
using Lcr.Gateway.V1;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults.DevData;
using static Lcr.Gateway.Tests.Callers;
using static Lcr.Testing.RpcAssert;
using R4 = Hl7.Fhir.Model;
using Scenario = Lcr.ServiceDefaults.DevData.SyntheticOrganisations.Scenario;

namespace Lcr.Gateway.Tests;

/// <summary>The base FHIR R4 profiles (the SDK's specification.zip) and the Firely validator, loaded once per test class.</summary>
public sealed class FhirValidation
{
    public FhirValidation()
    {
        var source = new CachedResolver(ZipSource.CreateValidationSource());
        Validator = new Validator(source, new LocalTerminologyService(source));
    }

    public Validator Validator { get; }

    /// <summary>Errors and fatal issues of one resource against its base profile.</summary>
    public IReadOnlyList<string> Errors(R4.Resource resource)
    {
        var outcome = Validator.Validate(resource, "http://hl7.org/fhir/StructureDefinition/" + resource.TypeName);
        return outcome.Issue
            .Where(i => i.Severity is R4.OperationOutcome.IssueSeverity.Error or R4.OperationOutcome.IssueSeverity.Fatal)
            .Select(i => $"{resource.TypeName}/{resource.Id}: {i.Details?.Text ?? i.Diagnostics} at {string.Join(",", i.Expression)}")
            .ToList();
    }
}

[Collection(PlatformCollection.Name)]
public class SubjectAccessTests(PlatformFixture platform, FhirValidation validation) : IClassFixture<FhirValidation>
{
    private const string Gp = SyntheticOrganisations.BeckettStreetSurgery;
    private const string Hospital = SyntheticOrganisations.TeachingHospitals;

    /// <summary>A seeded patient no other test class contributes to.</summary>
    private const int Patient = 150;

    private Grpc.Net.Client.GrpcChannel Gateway => platform.Gateway.Channel;

    private static SubjectAccessService.SubjectAccessServiceClient Client(Grpc.Net.Client.GrpcChannel channel) => new(channel);

    /// <summary>One export as received: the header, the bundle bytes, the trailer.</summary>
    private sealed record Received(SubjectAccessExportHeader Header, byte[] Bytes, SubjectAccessExportTrailer Trailer, int Chunks)
    {
        public R4.Bundle Bundle => JsonSerializer.Deserialize<R4.Bundle>(Bytes, SubjectAccessExporter.Json)!;
    }

    private static async Task<Received> ExportAsync(Grpc.Net.Client.GrpcChannel channel, string token, string nhs, string? ods)
    {
        var request = new ExportSubjectAccessRequest { NhsNumber = nhs };
        if (ods is null)
        {
            request.WholeRecord = true;
        }
        else
        {
            request.OrganisationOdsCode = ods;
        }

        using var call = Client(channel).ExportSubjectAccess(request, Bearer(token));
        SubjectAccessExportHeader? header = null;
        SubjectAccessExportTrailer? trailer = null;
        using var bytes = new MemoryStream();
        var chunks = 0;
        await foreach (var m in call.ResponseStream.ReadAllAsync())
        {
            switch (m.PartCase)
            {
                case ExportSubjectAccessResponse.PartOneofCase.Header:
                    Assert.Null(header);
                    header = m.Header;
                    break;
                case ExportSubjectAccessResponse.PartOneofCase.BundleChunk:
                    Assert.NotNull(header);
                    Assert.True(m.BundleChunk.Length <= SubjectAccessGrpcService.ChunkBytes);
                    m.BundleChunk.WriteTo(bytes);
                    chunks++;
                    break;
                case ExportSubjectAccessResponse.PartOneofCase.Trailer:
                    trailer = m.Trailer;
                    break;
            }
        }

        Assert.NotNull(header);
        Assert.NotNull(trailer);
        return new Received(header, bytes.ToArray(), trailer, chunks);
    }

    private async Task<string> SarTokenAsync(string userName, string nhs) =>
        (await AccessAsync(Gateway, userName, nhs, PurposeOfUse.SubjectAccessRequest)).AccessToken;

    private async Task<long> AuditCountAsync(string nhs, int outcome) =>
        (long)(await platform.Audit.Database.ScalarAsync("select count(*) from audit_events where nhs_number = @n and action = 12 and outcome = @o",
            ("n", nhs), ("o", outcome)))!;

    private static Entry ProblemEntry(string nhs, string sourceId, string code, string display, ProblemClinicalStatus status = ProblemClinicalStatus.Active) => new()
    {
        NhsNumber = nhs,
        Category = RecordCategory.Problems,
        Code = new CodedConcept { System = "http://snomed.info/sct", Code = code, Display = display },
        Provenance = new Provenance { SourceEntryId = sourceId },
        Problem = new Problem { ClinicalStatus = status, OnsetDate = new Date { Year = 2019, Month = 3, Day = 4 } },
    };

    private static async Task<UpsertEntriesResponse> ContributeAsync(Grpc.Net.Client.GrpcChannel gateway, string feed, string system, params EntryContribution[] entries) =>
        await new ClinicalRecordService.ClinicalRecordServiceClient(gateway).UpsertEntriesAsync(
            new UpsertEntriesRequest { SourceSystem = system, Entries = { entries } }, Bearer(await SystemAsync(gateway, feed, "record.contribute")));

    /// <summary>
    /// The GP practice contributes a problem and revises it, a problem it then retracts, a
    /// document and a result in a report; the hospital contributes a problem.
    /// </summary>
    private async Task<(string Revised, string Retracted, string Document, string Result, string HospitalEntry, byte[] Content)> ContributeStoryAsync(string nhs)
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var content = "Clinic letter: reviewed today, plan unchanged."u8.ToArray();
        var first = await ContributeAsync(Gateway, "b86001-gp-feed", "SystmOne",
            new EntryContribution { Entry = ProblemEntry(nhs, "sar-asthma-" + tag, "195967001", "Asthma") },
            new EntryContribution { Entry = ProblemEntry(nhs, "sar-wrong-" + tag, "38341003", "Hypertension") },
            new EntryContribution
            {
                Entry = new Entry
                {
                    NhsNumber = nhs,
                    Category = RecordCategory.Documents,
                    Code = new CodedConcept { System = "http://snomed.info/sct", Code = "371531000", Display = "Report of clinical encounter" },
                    Provenance = new Provenance { SourceEntryId = "sar-letter-" + tag },
                    Document = new Document
                    {
                        Type = DocumentType.ClinicLetter, Title = "Asthma review", Author = "Dr P Shah, GP",
                        AuthoredTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 2, 3, 10, 0, 0, TimeSpan.Zero)),
                    },
                },
                DocumentContent = new DocumentContent { ContentType = "text/plain", Data = ByteString.CopyFrom(content) },
            },
            new EntryContribution
            {
                Entry = new Entry
                {
                    NhsNumber = nhs,
                    Category = RecordCategory.TestResults,
                    Code = new CodedConcept { System = "http://snomed.info/sct", Code = "1107481000000106", Display = "HbA1c level" },
                    Provenance = new Provenance { SourceEntryId = "sar-hba1c-" + tag },
                    Comment = "Fasting sample",
                    TestResult = new TestResult
                    {
                        Quantity = new Clinical.V1.Quantity { Value = 48, Unit = "mmol/mol" },
                        ReferenceRange = new ReferenceRange { Low = new Clinical.V1.Quantity { Value = 20, Unit = "mmol/mol" }, High = new Clinical.V1.Quantity { Value = 41, Unit = "mmol/mol" } },
                        AbnormalFlag = AbnormalFlag.High,
                        EffectiveTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 1, 10, 9, 0, 0, TimeSpan.Zero)),
                        Status = ResultStatus.Final,
                        ReportId = "sar-report-" + tag,
                        ReportCode = new CodedConcept { System = "http://snomed.info/sct", Code = "1014371000000102", Display = "Diabetes blood tests" },
                    },
                },
            });
        var ids = first.Results.Select(r => r.EntryId).ToArray();

        // Revise the asthma entry (version 2) and retract the wrong one (version 2, entered in error).
        await ContributeAsync(Gateway, "b86001-gp-feed", "SystmOne",
            new EntryContribution { Entry = ProblemEntry(nhs, "sar-asthma-" + tag, "195967001", "Asthma", ProblemClinicalStatus.Inactive) });
        await new ClinicalRecordService.ClinicalRecordServiceClient(Gateway).RetractEntryAsync(
            new RetractEntryRequest { NhsNumber = nhs, EntryId = ids[1], Reason = "Recorded against the wrong patient" },
            Bearer(await SystemAsync(Gateway, "b86001-gp-feed", "record.contribute")));

        var hospital = await ContributeAsync(Gateway, "rr8-ppm-feed", "PPM+",
            new EntryContribution { Entry = ProblemEntry(nhs, "sar-rr8-" + tag, "22298006", "Myocardial infarction") });
        return (ids[0], ids[1], ids[2], ids[3], hospital.Results[0].EntryId, content);
    }

    private static IEnumerable<R4.Resource> Resources(R4.Bundle b) => b.Entry.Select(e => e.Resource!);

    private static string? EntryId(R4.Resource r) => r switch
    {
        R4.Condition c => c.Identifier.FirstOrDefault(i => i.System == FhirBundleBuilder.EntryIdSystem)?.Value,
        R4.MedicationStatement m => m.Identifier.FirstOrDefault(i => i.System == FhirBundleBuilder.EntryIdSystem)?.Value,
        R4.AllergyIntolerance a => a.Identifier.FirstOrDefault(i => i.System == FhirBundleBuilder.EntryIdSystem)?.Value,
        R4.Observation o => o.Identifier.FirstOrDefault(i => i.System == FhirBundleBuilder.EntryIdSystem)?.Value,
        R4.DocumentReference d => d.Identifier.FirstOrDefault(i => i.System == FhirBundleBuilder.EntryIdSystem)?.Value,
        _ => null,
    };

    [Fact]
    public async Task An_organisations_export_holds_every_version_of_its_own_entries_with_retractions_marked()
    {
        var nhs = Nhs(Patient);
        var story = await ContributeStoryAsync(nhs);
        var export = await ExportAsync(Gateway, await SarTokenAsync("ig.b86001", nhs), nhs, Gp);

        // Received whole: the trailer's size and checksum match what the chunks carried.
        Assert.Equal(export.Bytes.Length, export.Trailer.SizeBytes);
        Assert.Equal(SHA256.HashData(export.Bytes), export.Trailer.Sha256.ToByteArray());
        Assert.Equal(SubjectAccessExporter.ContentType, export.Header.ContentType);
        Assert.Equal(Gp, export.Header.OrganisationOdsCode);

        var bundle = export.Bundle;
        Assert.Equal(R4.Bundle.BundleType.Collection, bundle.Type);
        var patient = Assert.Single(Resources(bundle).OfType<R4.Patient>());
        Assert.Equal(nhs, Assert.Single(patient.Identifier, i => i.System == "https://fhir.nhs.uk/Id/nhs-number").Value);
        Assert.Equal(SyntheticCohort.Patients[Patient].Family, Assert.Single(patient.Name).Family);

        // Only the GP practice's entries; the hospital's is not there.
        var entries = Resources(bundle).Where(r => EntryId(r) is not null).ToList();
        Assert.DoesNotContain(entries, r => EntryId(r) == story.HospitalEntry);
        Assert.All(Resources(bundle).OfType<R4.Provenance>(), p =>
            Assert.Equal(Gp, Assert.IsType<R4.Organization>(Resolve(bundle, p.Agent[0].Who)).Identifier[0].Value));

        // Every version: the revised problem twice (versions 1 and 2), the old one active, the new one inactive.
        var revised = entries.OfType<R4.Condition>().Where(c => EntryId(c) == story.Revised).OrderBy(c => c.Meta!.VersionId).ToList();
        Assert.Equal(["1", "2"], revised.Select(c => c.Meta!.VersionId));
        Assert.Equal(["active", "inactive"], revised.Select(c => c.ClinicalStatus!.Coding[0].Code));

        // The retraction: its last version is entered in error, with the reason, and its Provenance says NULLIFY.
        var retracted = entries.OfType<R4.Condition>().Where(c => EntryId(c) == story.Retracted).OrderBy(c => c.Meta!.VersionId).ToList();
        Assert.Equal(2, retracted.Count);
        Assert.Equal("confirmed", retracted[0].VerificationStatus!.Coding[0].Code);
        Assert.Equal("entered-in-error", retracted[1].VerificationStatus!.Coding[0].Code);
        Assert.Null(retracted[1].ClinicalStatus);
        Assert.Contains(retracted[1].Note, n => n.Text!.Contains("wrong patient", StringComparison.Ordinal));
        var nullify = Assert.Single(Resources(bundle).OfType<R4.Provenance>(), p => p.Target[0].Reference == "urn:uuid:" + retracted[1].Id);
        Assert.Equal("NULLIFY", nullify.Activity!.Coding[0].Code);

        // One Provenance per version, naming the source system and the source's own id.
        Assert.Equal(entries.Count, Resources(bundle).OfType<R4.Provenance>().Count());
        var device = Assert.IsType<R4.Device>(Resolve(bundle, nullify.Agent[1].Who));
        Assert.Equal("SystmOne", device.DeviceName[0].Name);
        Assert.StartsWith("sar-wrong-", nullify.Entity[0].What!.Identifier!.Value, StringComparison.Ordinal);

        // The document with its content, the result with its report.
        var document = Assert.Single(entries.OfType<R4.DocumentReference>(), d => EntryId(d) == story.Document);
        Assert.Equal(R4.DocumentReferenceStatus.Current, document.Status);
        Assert.Equal(story.Content, document.Content[0].Attachment.Data);
        var result = Assert.Single(entries.OfType<R4.Observation>(), o => EntryId(o) == story.Result);
        Assert.Equal(48m, Assert.IsType<R4.Quantity>(result.Value).Value);
        Assert.Equal("H", result.Interpretation[0].Coding[0].Code);
        var report = Assert.Single(Resources(bundle).OfType<R4.DiagnosticReport>(), r => r.Result.Any(x => x.Reference == "urn:uuid:" + result.Id));
        Assert.Equal("1014371000000102", report.Code.Coding[0].Code);

        // The header tells what the bundle holds.
        Assert.Equal(entries.Select(EntryId).Distinct().Count(), export.Header.EntryCount);
        Assert.Equal(entries.Count, export.Header.EntryVersionCount);
        Assert.Equal(bundle.Entry.Count, export.Header.ResourceCounts.Sum(c => c.Count));
    }

    [Fact]
    public async Task Every_resource_of_an_export_validates_against_the_base_fhir_r4_profiles()
    {
        // The example patient's seeded record (every category, several organisations) plus the story's versions and retraction.
        var nhs = Nhs(Scenario.ExamplePatient);
        await ContributeStoryAsync(nhs);
        var gp = await AccessAsync(Gateway, "gp.b86001", nhs);
        await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(gp.AccessToken)); // a look in the log
        var export = await ExportAsync(Gateway, await SarTokenAsync("ig.platform", nhs), nhs, null);

        var bundle = export.Bundle;
        var types = Resources(bundle).Select(r => r.TypeName).ToHashSet();
        foreach (var type in new[] { "Patient", "Organization", "Device", "Condition", "MedicationStatement", "AllergyIntolerance", "Observation",
                     "DocumentReference", "Provenance", "AuditEvent" })
        {
            Assert.Contains(type, types);
        }

        var errors = Resources(bundle).SelectMany(validation.Errors).Concat(validation.Errors(bundle)).ToList();
        Assert.True(errors.Count == 0, string.Join('\n', errors.Take(20)));
    }

    [Fact]
    public async Task The_whole_record_is_exported_only_for_the_platforms_own_ig_team()
    {
        var nhs = Nhs(Patient);
        var story = await ContributeStoryAsync(nhs);

        var whole = await ExportAsync(Gateway, await SarTokenAsync("ig.platform", nhs), nhs, null);
        var ids = Resources(whole.Bundle).Select(EntryId).OfType<string>().ToHashSet();
        Assert.Contains(story.HospitalEntry, ids);
        Assert.Contains(story.Revised, ids);
        Assert.Equal(string.Empty, whole.Header.OrganisationOdsCode);

        foreach (var ig in new[] { "ig.b86001", "ig.rr8" })
        {
            await Fails(StatusCode.PermissionDenied, "ORGANISATION_NOT_PERMITTED",
                async () => await ExportAsync(Gateway, await SarTokenAsync(ig, nhs), nhs, null));
        }
    }

    [Fact]
    public async Task Only_ig_officers_of_that_organisation_with_a_subject_access_token_for_the_patient_may_export()
    {
        var nhs = Nhs(Patient);
        var deniedBefore = await AuditCountAsync(nhs, 2);

        // The IG officer of another organisation.
        await Fails(StatusCode.PermissionDenied, "ORGANISATION_NOT_PERMITTED",
            async () => await ExportAsync(Gateway, await SarTokenAsync("ig.rr8", nhs), nhs, Gp));
        // A GP of that organisation, with a direct-care token.
        await Fails(StatusCode.PermissionDenied, "PURPOSE_NOT_PERMITTED",
            async () => await ExportAsync(Gateway, (await AccessAsync(Gateway, "gp.b86001", nhs)).AccessToken, nhs, Gp));
        // That organisation's IG officer with an information-governance (not subject access) token.
        await Fails(StatusCode.PermissionDenied, "PURPOSE_NOT_PERMITTED",
            async () => await ExportAsync(Gateway, (await AccessAsync(Gateway, "ig.b86001", nhs, PurposeOfUse.InformationGovernance)).AccessToken, nhs, Gp));
        // That organisation's IG officer with a subject access token for another patient.
        await Fails(StatusCode.PermissionDenied, "PATIENT_MISMATCH",
            async () => await ExportAsync(Gateway, await SarTokenAsync("ig.b86001", Nhs(Patient + 3)), nhs, Gp)); // also registered at B86001
        Assert.Equal(deniedBefore + 4, await AuditCountAsync(nhs, 2));

        // A session token, a system token, no token: not an access token at all.
        await Fails(StatusCode.Unauthenticated, async () => await ExportAsync(Gateway, await SessionAsync(Gateway, "ig.b86001"), nhs, Gp));
        await Fails(StatusCode.Unauthenticated, async () => await ExportAsync(Gateway, await SystemAsync(Gateway, "platform-admin", "audit.read"), nhs, Gp));
        await Fails(StatusCode.Unauthenticated, async () => await ExportAsync(Gateway, "not-a-token", nhs, Gp));
    }

    [Fact]
    public async Task Bad_input_is_invalid_argument_naming_the_field()
    {
        var nhs = Nhs(Patient);
        var token = await SarTokenAsync("ig.b86001", nhs);
        async Task Export(ExportSubjectAccessRequest r)
        {
            using var call = Client(Gateway).ExportSubjectAccess(r, Bearer(token));
            await foreach (var _ in call.ResponseStream.ReadAllAsync())
            {
            }
        }

        await InvalidFields(() => Export(new ExportSubjectAccessRequest { NhsNumber = "9990000019", OrganisationOdsCode = Gp }), "nhs_number");
        await InvalidFields(() => Export(new ExportSubjectAccessRequest { NhsNumber = nhs }), "organisation_ods_code");
        await InvalidFields(() => Export(new ExportSubjectAccessRequest { NhsNumber = nhs, OrganisationOdsCode = "B8'; drop" }), "organisation_ods_code");
        await InvalidFields(() => Export(new ExportSubjectAccessRequest { NhsNumber = nhs, WholeRecord = false }), "whole_record");
    }

    [Fact]
    public async Task The_export_is_audited_with_what_it_released_and_appears_in_the_patients_access_log()
    {
        var nhs = Nhs(Patient);
        await ContributeStoryAsync(nhs);
        var token = await SarTokenAsync("ig.b86001", nhs);
        var export = await ExportAsync(Gateway, token, nhs, Gp);

        var ids = (string[])(await platform.Audit.Database.ScalarAsync(
            "select returned_entry_ids from audit_events where event_id = @id and action = 12 and outcome = 1", ("id", Guid.Parse(export.Header.AuditEventId))))!;
        Assert.Equal(Resources(export.Bundle).Select(EntryId).OfType<string>().Distinct().Order(), ids.Order());

        // The bundle's own access log already holds this export (committed before the data was read out) ...
        Assert.Contains(Resources(export.Bundle).OfType<R4.AuditEvent>(), a =>
            a.Subtype.Any(s => s.Code == "SubjectAccessExport") && a.Entity[0].Description!.Contains(export.Header.AuditEventId, StringComparison.Ordinal));
        // ... and so does the patient-facing access log.
        var log = await RecordsClient(Gateway).GetAccessLogAsync(new GetAccessLogRequest { NhsNumber = nhs }, Bearer(token));
        var entry = Assert.Single(log.Entries, e => e.Action == Lcr.Audit.V1.AuditAction.SubjectAccessExport && e.EntryCount == ids.Length);
        Assert.Equal("Information governance officer", entry.ViewerRoleName);
    }

    [Fact]
    public async Task A_failed_audit_means_no_data()
    {
        var nhs = Nhs(Patient);
        var token = await SarTokenAsync("ig.b86001", nhs);
        await using var blind = platform.CreateGateway(wrap: (service, handler) =>
            service == ServiceNames.Audit ? new UnreachableHandler() : handler);
        var received = 0;
        var e = await Fails(StatusCode.Unavailable, async () =>
        {
            using var call = Client(blind.Channel).ExportSubjectAccess(new ExportSubjectAccessRequest { NhsNumber = nhs, OrganisationOdsCode = Gp }, Bearer(token));
            await foreach (var _ in call.ResponseStream.ReadAllAsync())
            {
                received++;
            }
        });
        Assert.Equal("AUDIT_UNAVAILABLE", Reason(e));
        Assert.Equal(0, received);
    }

    [Fact]
    public async Task An_opted_out_patient_still_gets_their_own_data()
    {
        var nhs = Nhs(Scenario.OptedOut);
        var export = await ExportAsync(Gateway, await SarTokenAsync("ig.platform", nhs), nhs, null);
        Assert.Contains(Resources(export.Bundle), r => EntryId(r) is not null);
        Assert.Single(Resources(export.Bundle).OfType<R4.Patient>());
    }

    [Fact]
    public async Task No_nhs_number_or_name_of_an_exported_patient_reaches_a_log_or_span()
    {
        var patient = SyntheticCohort.Patients[Patient];
        await ExportAsync(Gateway, await SarTokenAsync("ig.b86001", patient.NhsNumber), patient.NhsNumber, Gp);
        var text = string.Join('\n', platform.Gateway.Logs.Lines) + '\n' + string.Join('\n', Lcr.Testing.SpanText.Of(platform.Gateway.Spans.ToArray()));
        Assert.Contains("Subject access export", text, StringComparison.Ordinal); // the capture works
        foreach (var secret in new[] { patient.NhsNumber, patient.Family, patient.Postcode, patient.Mobile })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
    }

    private static R4.Resource? Resolve(R4.Bundle bundle, R4.ResourceReference reference) =>
        bundle.Entry.FirstOrDefault(e => e.FullUrl == reference.Reference)?.Resource;
}
