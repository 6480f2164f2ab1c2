using System.Text.Json;
using Lcr.Clinical.V1;
using Lcr.Gateway.Fhir;
using Lcr.Gateway.Records;
using Lcr.Gateway.SubjectAccess;
using R4 = Hl7.Fhir.Model;
using static Lcr.Gateway.Tests.Alerts.AlertUnitFixtures;

namespace Lcr.Gateway.Tests.Fhir;

/// <summary>Risks and alerts as FHIR Flags, without a host: every resource validated against base R4 with the Firely validator.</summary>
public class FlagMapperUnitTests(FhirValidation validation) : IClassFixture<FhirValidation>
{
    private static R4.Flag Map(Entry e, FhirMappingContext? context = null) =>
        Assert.IsType<R4.Flag>(EntryMapper.Map(e, context ?? FhirMappingContext.ForApi(Nhs, Now)));

    private static R4.DataType Priority(R4.Flag f) => f.Extension.Single(x => x.Url == FhirSystems.FlagPriorityExtension).Value!;

    private void AssertValid(R4.Resource r)
    {
        var errors = validation.Errors(r);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        // Round-trips through the SDK's serializer, as every output is written.
        var json = JsonSerializer.Serialize(r, SubjectAccessExporter.Json);
        Assert.Contains("\"resourceType\": \"Flag\"", json);
    }

    [Fact]
    public void An_alert_is_a_valid_flag_with_its_code_kind_period_author_subject_and_priority()
    {
        var alert = Alert(AlertKind.Clinical, AlertSeverity.High, code: "450476008", display: "Not for attempted cardiopulmonary resuscitation");
        var f = Map(alert);
        AssertValid(f);

        Assert.Equal(alert.Id, f.Id);
        Assert.Equal(R4.Flag.FlagStatus.Active, f.Status);
        Assert.Equal("450476008", f.Code.Coding.Single().Code);
        Assert.Equal(FhirSystems.Snomed, f.Code.Coding.Single().System);
        var category = Assert.Single(f.Category);
        Assert.Contains(category.Coding, c => c.System == FhirSystems.FlagCategory && c.Code == "clinical");
        Assert.Contains(category.Coding, c => c.System == FhirSystems.AlertKind && c.Code == "clinical");
        Assert.Equal("2026-11-01", f.Period!.Start);
        Assert.Equal("2027-11-01", f.Period.End);
        Assert.Equal("B86001", f.Author!.Identifier!.Value);
        Assert.Equal("Patient/" + FhirValues.PatientId(Nhs), f.Subject.Reference);
        var priority = Assert.IsType<R4.CodeableConcept>(Priority(f));
        Assert.Equal(("PH", FhirSystems.FlagPriorityCode), (priority.Coding[0].Code, priority.Coding[0].System));
        Assert.Contains("Call the anaesthetist", f.Text!.Div);
    }

    [Theory]
    [InlineData(AlertKind.RiskToSelf, "safety", "risk-to-self")]
    [InlineData(AlertKind.RiskToOthers, "safety", "risk-to-others")]
    [InlineData(AlertKind.RiskToStaff, "behavioral", "risk-to-staff")]
    [InlineData(AlertKind.Safeguarding, "safety", "safeguarding")]
    [InlineData(AlertKind.Clinical, "clinical", "clinical")]
    public void Each_kind_has_an_hl7_flag_category_and_its_exact_local_code(AlertKind kind, string hl7, string local)
    {
        var f = Map(Alert(kind, AlertSeverity.Low));
        Assert.Equal(hl7, f.Category[0].Coding.Single(c => c.System == FhirSystems.FlagCategory).Code);
        Assert.Equal(local, f.Category[0].Coding.Single(c => c.System == FhirSystems.AlertKind).Code);
        Assert.Equal("PL", ((R4.CodeableConcept)Priority(f)).Coding[0].Code);
    }

    [Fact]
    public void A_kind_only_alert_is_a_valid_flag_whose_code_is_the_kind_in_words_only()
    {
        var alert = Alert(AlertKind.RiskToStaff, AlertSeverity.Medium, code: "424170000", display: "Violent behaviour", comment: "Do not visit alone");
        var f = Map(AlertKindOnly.Apply(alert));
        AssertValid(f);

        Assert.Empty(f.Code.Coding);
        Assert.Equal("Risk to staff (details withheld)", f.Code.Text);
        var json = JsonSerializer.Serialize(f, SubjectAccessExporter.Json);
        Assert.DoesNotContain("424170000", json);
        Assert.DoesNotContain("Violent", json);
        Assert.DoesNotContain("visit alone", json);
        Assert.Equal("PM", ((R4.CodeableConcept)Priority(f)).Coding[0].Code);
        Assert.Equal("B86001", f.Author!.Identifier!.Value);
    }

    [Fact]
    public void Inactive_and_retracted_alerts_say_so()
    {
        var ended = Alert(AlertKind.Clinical, AlertSeverity.Low);
        ended.Status = EntryStatus.Inactive;
        Assert.Equal(R4.Flag.FlagStatus.Inactive, Map(ended).Status);

        var retracted = Alert(AlertKind.Clinical, AlertSeverity.Low);
        retracted.EnteredInError = true;
        var f = Map(retracted);
        Assert.Equal(R4.Flag.FlagStatus.EnteredInError, f.Status);
        AssertValid(f);
    }

    [Fact]
    public void In_a_bundle_a_flag_refers_to_its_organisation_resource()
    {
        var context = FhirMappingContext.ForBundle(Nhs, Now);
        var f = Map(Alert(AlertKind.Safeguarding, AlertSeverity.High), context);
        AssertValid(f);
        Assert.StartsWith("urn:uuid:", f.Author!.Reference);
        Assert.Single(context.Organisations);
    }

    [Fact]
    public void The_subject_access_bundle_puts_flags_first_among_the_clinical_resources()
    {
        var problem = Problem();
        problem.Version = 1;
        problem.Provenance.RecordedTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(Now);
        var alert = Alert(AlertKind.Clinical, AlertSeverity.High);
        var data = new SubjectAccessData(Guid.NewGuid().ToString(), Now, Nhs, null, new Lcr.Demographics.V1.Patient { NhsNumber = Nhs },
            [new EntryWithHistory(problem, [problem]), new EntryWithHistory(alert, [alert])], []);
        var bundle = FhirBundleBuilder.Build(data);
        var types = bundle.Entry.Select(e => e.Resource!.TypeName).Where(t => t is not ("Patient" or "Organization" or "Device")).ToList();
        Assert.Equal("Flag", types[0]);
        Assert.Equal("Condition", types[1]);
    }

    [Fact]
    public void The_capability_statement_serves_flag_read_and_search()
    {
        var statement = FhirCapabilities.Build("https://lcr.example/fhir", Now);
        var flag = statement.Rest[0].Resource.Single(r => r.Type == "Flag");
        Assert.Contains(flag.Interaction, i => i.Code == R4.CapabilityStatement.TypeRestfulInteraction.Read);
        Assert.Contains(flag.Interaction, i => i.Code == R4.CapabilityStatement.TypeRestfulInteraction.SearchType);
    }

    [Fact]
    public void An_audit_event_of_a_kind_only_view_says_so_in_the_export()
    {
        var e = new Lcr.Audit.V1.AuditEvent
        {
            EventId = Guid.NewGuid().ToString(),
            Action = Lcr.Audit.V1.AuditAction.ViewSummary,
            Outcome = Lcr.Audit.V1.AuditOutcome.Permitted,
            NhsNumber = Nhs,
            OccurrenceTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(Now),
            Actor = new Lcr.Common.V1.Actor { Kind = Lcr.Common.V1.ActorKind.Professional, Id = "p1", DisplayName = "Mr B Carter", RoleCode = "R8008" },
            PurposeOfUse = Lcr.Common.V1.PurposeOfUse.DirectCare,
            ReturnedCategories = { Lcr.Common.V1.RecordCategory.RisksAndAlerts },
            ReturnedEntryIds = { Guid.NewGuid().ToString() },
            AlertDetailsWithheld = true,
        };
        var a = AuditEventMapper.Map(e, FhirMappingContext.ForBundle(Nhs, Now));
        var errors = validation.Errors(a);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.Contains(a.Entity.SelectMany(x => x.Detail), d => d.Type == "Risks and alerts shown");
        Assert.Contains("Risks and alerts shown", a.Text!.Div);

        e.AlertDetailsWithheld = false;
        Assert.DoesNotContain(AuditEventMapper.Map(e, FhirMappingContext.ForBundle(Nhs, Now)).Entity.SelectMany(x => x.Detail), d => d.Type == "Risks and alerts shown");
    }
}
