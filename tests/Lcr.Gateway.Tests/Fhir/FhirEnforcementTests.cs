using System.Net;
using System.Text;
using System.Text.Json;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Gateway.Downstream;
using Lcr.Gateway.Fhir;
using Lcr.ServiceDefaults.DevData;
using static Lcr.Gateway.Tests.Callers;
using static Lcr.Gateway.Tests.Fhir.FhirHttp;
using R4 = Hl7.Fhir.Model;
using Scenario = Lcr.ServiceDefaults.DevData.SyntheticOrganisations.Scenario;

namespace Lcr.Gateway.Tests.Fhir;

/// <summary>
/// The read path's enforcement, once per FHIR resource type: the FHIR door goes through the same
/// core as GetPatientRecord, so each case answers as gRPC does, in FHIR's words.
/// </summary>
[Collection(PlatformCollection.Name)]
public class FhirEnforcementTests(PlatformFixture platform, FhirValidation validation) : IClassFixture<FhirValidation>
{
    /// <summary>Registered at B86001; no other test class contributes to it.</summary>
    private const int Patient = 174;

    public static TheoryData<string> SearchTypes => [.. FhirSearch.Types.Keys];

    /// <summary>The searches and the patient-level reads.</summary>
    public static TheoryData<string> AllReads => [.. FhirSearch.Types.Keys, "Patient", "$everything"];

    private Grpc.Net.Client.GrpcChannel Gateway => platform.Gateway.Channel;

    private static string Url(string type, string id) => type switch
    {
        "Patient" => $"Patient/{id}",
        "$everything" => $"Patient/{id}/$everything",
        _ => $"{type}?patient={id}",
    };

    private async Task<(HttpClient Http, string Token)> GpAsync(int patient, GatewayHost? gateway = null)
    {
        var token = (await AccessAsync(Gateway, "gp.b86001", Nhs(patient))).AccessToken;
        return (Client(gateway ?? platform.Gateway, token), token);
    }

    private async Task<FhirAnswer> ValidAsync(HttpClient http, string url, HttpStatusCode expected)
    {
        var answer = await GetAsync(http, url);
        Assert.True(expected == answer.Status, $"{url}: {answer.Status} {answer.Body}");
        AssertValid(validation, answer.Resource);
        return answer;
    }

    private static void AssertRefused(FhirAnswer answer, string reason)
    {
        var issue = Assert.Single(answer.Outcome.Issue);
        Assert.Equal(reason, issue.Details!.Coding.Single(c => c.System == FhirSystems.ErrorReason).Code);
    }

    private static bool Warns(FhirAnswer answer, string reason) => answer.Bundle.Entry.Any(e =>
        e.Search?.Mode == R4.Bundle.SearchEntryMode.Outcome && e.Resource is R4.OperationOutcome o &&
        o.Issue.Any(i => i.Severity == R4.OperationOutcome.IssueSeverity.Warning && i.Details!.Coding.Any(c => c.Code == reason)));

    private async Task<string> RestrictAsync(string nhs, Restriction restriction)
    {
        var ig = await AccessAsync(Gateway, "ig.b86001", nhs, PurposeOfUse.InformationGovernance);
        restriction.Reason = "Patient asked by letter";
        restriction.Channel = ConsentChannel.Letter;
        return (await new ConsentService.ConsentServiceClient(Gateway).AddRestrictionAsync(
            new AddRestrictionRequest { NhsNumber = nhs, RequestId = Guid.NewGuid().ToString(), Restriction = restriction }, Bearer(ig.AccessToken))).Restriction.Id;
    }

    private async Task LiftAsync(string nhs, string restrictionId)
    {
        var ig = await AccessAsync(Gateway, "ig.b86001", nhs, PurposeOfUse.InformationGovernance);
        await new ConsentService.ConsentServiceClient(Gateway).RemoveRestrictionAsync(new RemoveRestrictionRequest
        {
            NhsNumber = nhs, RestrictionId = restrictionId, Reason = "Patient withdrew the request", Channel = ConsentChannel.Telephone,
        }, Bearer(ig.AccessToken));
    }

    [Theory]
    [MemberData(nameof(AllReads))]
    public async Task An_opted_out_patient_is_403_PATIENT_OPTED_OUT(string type)
    {
        var (http, _) = await GpAsync(Scenario.OptedOut);
        AssertRefused(await ValidAsync(http, Url(type, FhirValues.PatientId(Nhs(Scenario.OptedOut))), HttpStatusCode.Forbidden), "PATIENT_OPTED_OUT");
    }

    [Theory]
    [MemberData(nameof(AllReads))]
    public async Task A_blocked_viewer_is_403_VIEWER_BLOCKED(string type)
    {
        var nhs = Nhs(Patient);
        var (http, token) = await GpAsync(Patient);
        var professional = JsonDocument.Parse(Base64Url(token.Split('.')[1])).RootElement.GetProperty("sub").GetString()!;
        var block = await RestrictAsync(nhs, new Restriction { BlockedProfessionalId = professional });
        try
        {
            AssertRefused(await ValidAsync(http, Url(type, FhirValues.PatientId(nhs)), HttpStatusCode.Forbidden), "VIEWER_BLOCKED");
        }
        finally
        {
            await LiftAsync(nhs, block);
        }
    }

    /// <summary>Every read, and the Patient identifier search (which reads the patient through GetPatientRecord too).</summary>
    public static TheoryData<string> AllReadsAndIdentifierSearch => [.. FhirSearch.Types.Keys, "Patient", "$everything", "identifier"];

    [Theory]
    [MemberData(nameof(AllReadsAndIdentifierSearch))]
    public async Task A_sealed_record_is_403_RECORD_SEALED_with_the_notice_for_a_viewer_not_named_on_the_seal(string type)
    {
        var nhs = Nhs(Patient);
        var (http, _) = await GpAsync(Patient);
        await Sealing.SealScenario.SealAsync(Gateway, nhs, [Guid.NewGuid().ToString()]);
        try
        {
            var url = type == "identifier"
                ? $"Patient?identifier={Uri.EscapeDataString(FhirSystems.NhsNumber + "|" + nhs)}"
                : Url(type, FhirValues.PatientId(nhs));
            var answer = await ValidAsync(http, url, HttpStatusCode.Forbidden);
            AssertRefused(answer, Records.SealedRecordRule.Reason);
            Assert.Equal(Records.SealedRecordRule.Message, answer.Outcome.Issue.Single().Diagnostics);
            Assert.DoesNotContain(SyntheticCohort.Patients[Patient].Family, answer.Body, StringComparison.Ordinal);
        }
        finally
        {
            await Sealing.SealScenario.UnsealAsync(Gateway, nhs);
        }
    }

    [Theory]
    [MemberData(nameof(SearchTypes))]
    public async Task A_withheld_organisations_entries_are_absent_and_the_bundle_says_something_is_withheld(string type)
    {
        var (http, _) = await GpAsync(Scenario.WithholdsMentalHealth);
        var answer = await ValidAsync(http, Url(type, FhirValues.PatientId(Nhs(Scenario.WithholdsMentalHealth))), HttpStatusCode.OK);
        Assert.DoesNotContain($"\"{SyntheticOrganisations.MentalHealthTrust}\"", answer.Body, StringComparison.Ordinal);
        Assert.DoesNotContain($"({SyntheticOrganisations.MentalHealthTrust})", answer.Body, StringComparison.Ordinal);
        Assert.True(Warns(answer, "PATIENT_RESTRICTIONS_APPLY"));
    }

    [Theory]
    [MemberData(nameof(SearchTypes))]
    public async Task A_withheld_category_is_absent_and_not_counted(string type)
    {
        var nhs = Nhs(Patient);
        await ContributeStoryAsync(Gateway, nhs);
        var (http, _) = await GpAsync(Patient);
        var before = await ValidAsync(http, Url(type, FhirValues.PatientId(nhs)) + "&_count=100", HttpStatusCode.OK);
        Assert.NotEmpty(before.Matches);
        var withheld = await RestrictAsync(nhs, new Restriction { WithheldCategory = FhirSearch.Types[type].Category });
        try
        {
            var after = await ValidAsync(http, Url(type, FhirValues.PatientId(nhs)), HttpStatusCode.OK);
            Assert.Empty(after.Matches);
            Assert.Equal(0, after.Bundle.Total);
            Assert.True(Warns(after, "PATIENT_RESTRICTIONS_APPLY"));
        }
        finally
        {
            await LiftAsync(nhs, withheld);
        }
    }

    [Theory]
    [MemberData(nameof(SearchTypes))]
    public async Task A_withheld_entry_is_absent_not_counted_and_its_binary_is_an_unknown_id(string type)
    {
        var nhs = Nhs(Patient);
        var (gp, _) = await ContributeStoryAsync(Gateway, nhs);
        var target = gp[FhirSearch.Types[type].Category];
        var (http, _) = await GpAsync(Patient);
        var url = Url(type, FhirValues.PatientId(nhs)) + "&_count=100";
        var before = await ValidAsync(http, url, HttpStatusCode.OK);
        Assert.Contains(target, before.Body, StringComparison.Ordinal);
        var withheld = await RestrictAsync(nhs, new Restriction { WithheldEntryId = target });
        try
        {
            var after = await ValidAsync(http, url, HttpStatusCode.OK);
            Assert.DoesNotContain(target, after.Body, StringComparison.Ordinal);
            Assert.True(Warns(after, "PATIENT_RESTRICTIONS_APPLY"));
            if (after.Bundle.Total is { } total)
            {
                Assert.Equal(after.Matches.Count, total);
            }

            if (type == "DocumentReference")
            {
                var hidden = await ValidAsync(http, $"Binary/{target}", HttpStatusCode.NotFound);
                var unknown = await ValidAsync(http, $"Binary/{Guid.NewGuid()}", HttpStatusCode.NotFound);
                Assert.Equal(unknown.Body, hidden.Body);
            }
        }
        finally
        {
            await LiftAsync(nhs, withheld);
        }
    }

    [Theory]
    [MemberData(nameof(SearchTypes))]
    public async Task The_audit_event_of_each_search_names_exactly_the_entries_returned(string type)
    {
        var nhs = Nhs(Patient);
        await ContributeStoryAsync(Gateway, nhs);
        var (http, _) = await GpAsync(Patient);
        var answer = await ValidAsync(http, Url(type, FhirValues.PatientId(nhs)) + "&_count=100", HttpStatusCode.OK);
        var returned = answer.Bundle.Entry.Select(e => EntryId(e.Resource!)).OfType<string>().ToList();
        Assert.NotEmpty(returned);
        var audited = (string[])(await platform.Audit.Database.ScalarAsync(
            "select returned_entry_ids from audit_events where event_id = @id and outcome = 1", ("id", Guid.Parse(answer.AuditEventId!))))!;
        Assert.Equal(returned.Order(), audited.Order());
    }

    [Theory]
    [InlineData("Patient")]
    [InlineData("$everything")]
    [InlineData("Identifier")]
    public async Task A_restricted_patients_contact_details_are_withheld(string type)
    {
        var nhs = Nhs(Scenario.RestrictedDemographics);
        var (http, _) = await GpAsync(Scenario.RestrictedDemographics);
        var url = type == "Identifier" ? $"Patient?identifier={Uri.EscapeDataString(FhirSystems.NhsNumber + "|" + nhs)}" : Url(type, FhirValues.PatientId(nhs));
        var answer = await ValidAsync(http, url, HttpStatusCode.OK);
        var patient = answer.Resource as R4.Patient ?? answer.Matches.OfType<R4.Patient>().Single();
        Assert.Empty(patient.Address);
        Assert.Empty(patient.Telecom);
        Assert.Empty(patient.GeneralPractitioner);
        Assert.Contains(patient.Meta!.Security, c => c.Code == "R");
        Assert.DoesNotContain(SyntheticCohort.Patients[Scenario.RestrictedDemographics].Postcode, answer.Body, StringComparison.Ordinal);
        if (answer.Resource is R4.Bundle)
        {
            Assert.True(Warns(answer, "CONTACT_DETAILS_WITHHELD"));
        }
    }

    [Theory]
    [MemberData(nameof(AllReads))]
    public async Task Another_patients_id_answers_exactly_as_an_unknown_id(string type)
    {
        var (http, _) = await GpAsync(Patient);
        var other = await GetAsync(http, Url(type, FhirValues.PatientId(Nhs(Scenario.ExamplePatient))));
        var unknown = await GetAsync(http, Url(type, Guid.NewGuid().ToString()));
        Assert.Equal(unknown.Status, other.Status);
        AssertValid(validation, other.Resource);
        if (other.Resource is R4.Bundle bundle)
        {
            Assert.Equal(HttpStatusCode.OK, other.Status);
            Assert.Empty(bundle.Entry);
            Assert.Equal(0, bundle.Total);
            Assert.Equal(unknown.Bundle.Entry.Count, bundle.Entry.Count);
        }
        else
        {
            Assert.Equal(HttpStatusCode.NotFound, other.Status);
            Assert.Equal(unknown.Body, other.Body);
        }
    }

    [Theory]
    [MemberData(nameof(AllReads))]
    public async Task When_audit_cannot_commit_the_answer_is_503_and_no_data(string type)
    {
        await using var broken = platform.CreateGateway(wrap: (service, handler) => service == ServiceNames.Audit ? new UnreachableHandler() : handler);
        var (http, _) = await GpAsync(Scenario.ExamplePatient, broken);
        var answer = await ValidAsync(http, Url(type, FhirValues.PatientId(Nhs(Scenario.ExamplePatient))), HttpStatusCode.ServiceUnavailable);
        AssertRefused(answer, "AUDIT_UNAVAILABLE");
        Assert.DoesNotContain(Nhs(Scenario.ExamplePatient), answer.Body, StringComparison.Ordinal);
    }

    private static string Base64Url(string s)
    {
        var padded = s.Replace('-', '+').Replace('_', '/');
        return Encoding.UTF8.GetString(Convert.FromBase64String(padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '=')));
    }
}
