using System.Collections.Concurrent;
using Lcr.Audit.V1;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Gateway.Fhir;
using Lcr.Gateway.V1;
using Lcr.Gateway.Downstream;
using static Lcr.Gateway.Tests.Alerts.AlertScenario;
using static Lcr.Gateway.Tests.Callers;
using static Lcr.Gateway.Tests.Fhir.FhirHttp;
using R4 = Hl7.Fhir.Model;

namespace Lcr.Gateway.Tests.Alerts;

/// <summary>
/// Issue 21, risks and alerts, end to end through the in-memory gateway against the real
/// services, PostgreSQL and Redis: first in every view, in full for a clinician, kind only for
/// the R8008 admin clerk on every door, withheld by consent like any entry, audited with their
/// ids and the flag, as FHIR Flags, and in the subject access export.
/// </summary>
[Collection(PlatformCollection.Name)]
public class AlertsGatewayTests(PlatformFixture platform, FhirValidation validation) : IClassFixture<FhirValidation>
{
    // Registered at B86001 (index % 3 == 0) and used by no other test class.
    private const int FirstPatient = 132;
    private const int KindOnlyPatient = 135;
    private const int WithheldPatient = 138;
    private const int FhirPatient = 141;
    private const int ExportPatient = 144;

    private Grpc.Net.Client.GrpcChannel Gateway => platform.Gateway.Channel;

    private async Task<(string High, string Medium)> TwoAlertsAsync(Grpc.Net.Client.GrpcChannel gateway, string nhs)
    {
        var medium = await ContributeAlertAsync(gateway, "rr8-ppm-feed", nhs, AlertKind.RiskToStaff, AlertSeverity.Medium,
            "424170000", "Violent behaviour", "Do not visit alone");
        var high = await ContributeAlertAsync(gateway, "b86001-gp-feed", nhs, AlertKind.Clinical, AlertSeverity.High,
            "718446003", "Difficult airway", "Call the anaesthetist before any sedation");
        return (high, medium);
    }

    [Fact]
    public async Task Alerts_come_first_for_a_clinician_in_full_counted_and_audited_with_their_ids()
    {
        var sent = new ConcurrentQueue<AuditEvent>();
        await using var gateway = platform.CreateGateway(wrap: (service, handler) =>
            service == ServiceNames.Audit ? new AuditEventRecorder(handler, sent) : handler);
        var nhs = Nhs(FirstPatient);
        var (high, medium) = await TwoAlertsAsync(gateway.Channel, nhs);
        var gp = await AccessAsync(gateway.Channel, "gp.b86001", nhs);
        Assert.False(gp.AlertDetailsWithheld);

        var view = await RecordsClient(gateway.Channel).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(gp.AccessToken));

        Assert.Equal([high, medium], view.Alerts.Select(a => a.Id));
        Assert.False(view.AlertDetailsWithheld);
        Assert.Equal("718446003", view.Alerts[0].Code.Code);
        Assert.Equal("Call the anaesthetist before any sedation", view.Alerts[0].Comment);
        Assert.Equal("RR8", view.Alerts[1].Provenance.SourceOrganisation.OdsCode);
        Assert.Equal(2, view.CategoryCounts.Single(c => c.Category == RecordCategory.RisksAndAlerts).Count);
        Assert.Contains(RecordCategory.RisksAndAlerts, view.ReturnedCategories);

        var e = Assert.Single(sent, x => x.EventId == view.AuditEventId);
        Assert.Equal([high, medium], e.ReturnedEntryIds.Take(2));
        Assert.Contains(RecordCategory.RisksAndAlerts, e.ReturnedCategories);
        Assert.False(e.AlertDetailsWithheld);

        var list = await RecordsClient(gateway.Channel).ListRecordEntriesAsync(
            new ListRecordEntriesRequest { NhsNumber = nhs, Category = RecordCategory.RisksAndAlerts }, Bearer(gp.AccessToken));
        Assert.Equal(new[] { high, medium }.Order(), list.Entries.Select(x => x.Id).Order());
        Assert.All(list.Entries, x => Assert.NotNull(x.Code));
        Assert.False(list.AlertDetailsWithheld);
    }

    [Fact]
    public async Task The_admin_clerk_sees_only_each_alerts_kind_at_every_door_and_the_audit_says_so()
    {
        var sent = new ConcurrentQueue<AuditEvent>();
        await using var gateway = platform.CreateGateway(wrap: (service, handler) =>
            service == ServiceNames.Audit ? new AuditEventRecorder(handler, sent) : handler);
        var nhs = Nhs(KindOnlyPatient);
        var (high, medium) = await TwoAlertsAsync(gateway.Channel, nhs);
        await ClerkSeesPatientAsync(gateway.Channel, nhs);
        var clerk = await AccessAsync(gateway.Channel, "clerk.rr8", nhs);
        Assert.True(clerk.AlertDetailsWithheld);
        var records = RecordsClient(gateway.Channel);

        var view = await records.GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(clerk.AccessToken));
        Assert.True(view.AlertDetailsWithheld);
        Assert.Equal([high, medium], view.Alerts.Select(a => a.Id));
        AssertKindOnly(view.Alerts);
        Assert.Equal(AlertKind.Clinical, view.Alerts[0].Alert.Kind);
        Assert.Equal(AlertSeverity.High, view.Alerts[0].Alert.Severity);
        Assert.Equal("B86001", view.Alerts[0].Provenance.SourceOrganisation.OdsCode);
        Assert.Empty(view.ActiveProblems); // the clerk's role sees demographics and alerts only
        var summaryEvent = Assert.Single(sent, x => x.EventId == view.AuditEventId);
        Assert.True(summaryEvent.AlertDetailsWithheld);
        Assert.Equal([high, medium], summaryEvent.ReturnedEntryIds);

        var list = await records.ListRecordEntriesAsync(new ListRecordEntriesRequest { NhsNumber = nhs, Category = RecordCategory.RisksAndAlerts },
            Bearer(clerk.AccessToken));
        Assert.True(list.AlertDetailsWithheld);
        Assert.Equal(2, list.Entries.Count);
        AssertKindOnly(list.Entries);
        Assert.True(Assert.Single(sent, x => x.EventId == list.AuditEventId).AlertDetailsWithheld);

        var one = await records.GetRecordEntryAsync(new GetRecordEntryRequest { NhsNumber = nhs, EntryId = medium }, Bearer(clerk.AccessToken));
        Assert.True(one.AlertDetailsWithheld);
        AssertKindOnly([one.Entry]);
        var entryEvent = Assert.Single(sent, x => x.EventId == one.AuditEventId);
        Assert.True(entryEvent.AlertDetailsWithheld);
        Assert.Equal([medium], entryEvent.ReturnedEntryIds);

        var http = Client(gateway, clerk.AccessToken);
        var search = await GetAsync(http, $"Flag?patient={FhirValues.PatientId(nhs)}");
        Assert.True(search.Status == System.Net.HttpStatusCode.OK, search.Body);
        AssertValid(validation, search.Resource);
        var flags = search.Matches.Cast<R4.Flag>().ToList();
        Assert.Equal(2, flags.Count);
        Assert.All(flags, f => Assert.Empty(f.Code.Coding));
        Assert.Contains(search.Bundle.Entry, x => x.Resource is R4.OperationOutcome o && o.Issue.Any(i => i.Details?.Coding.Any(c => c.Code == "ALERT_DETAILS_WITHHELD") == true));
        Assert.DoesNotContain("Violent", search.Body);
        Assert.DoesNotContain("visit alone", search.Body);
        Assert.DoesNotContain("718446003", search.Body);
    }

    private static void AssertKindOnly(IEnumerable<Entry> alerts)
    {
        foreach (var a in alerts)
        {
            Assert.Null(a.Code);
            Assert.Empty(a.Comment);
            Assert.NotEqual(AlertKind.Unspecified, a.Alert.Kind);
            Assert.NotEqual(AlertSeverity.Unspecified, a.Alert.Severity);
            Assert.NotNull(a.Provenance?.SourceOrganisation);
        }
    }

    [Fact]
    public async Task A_withheld_organisations_alert_is_neither_shown_nor_counted_and_a_withheld_category_hides_them_all()
    {
        var nhs = Nhs(WithheldPatient);
        var (high, medium) = await TwoAlertsAsync(Gateway, nhs);
        var ig = await AccessAsync(Gateway, "ig.b86001", nhs, PurposeOfUse.InformationGovernance);
        var consent = new ConsentService.ConsentServiceClient(Gateway);
        await consent.AddRestrictionAsync(new AddRestrictionRequest
        {
            NhsNumber = nhs, RequestId = Guid.NewGuid().ToString(),
            Restriction = new Restriction { WithheldOrganisation = new OrganisationReference { OdsCode = "RR8" }, Reason = "Asked by letter", Channel = ConsentChannel.Letter },
        }, Bearer(ig.AccessToken));

        var gp = (await AccessAsync(Gateway, "gp.b86001", nhs)).AccessToken;
        var view = await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(gp));
        Assert.Equal([high], view.Alerts.Select(a => a.Id));
        Assert.Equal(1, view.CategoryCounts.Single(c => c.Category == RecordCategory.RisksAndAlerts).Count);
        Assert.True(view.PatientRestrictionsApply);
        var list = await RecordsClient(Gateway).ListRecordEntriesAsync(
            new ListRecordEntriesRequest { NhsNumber = nhs, Category = RecordCategory.RisksAndAlerts }, Bearer(gp));
        Assert.DoesNotContain(list.Entries, x => x.Id == medium);
        await RpcAssert.Fails(Grpc.Core.StatusCode.NotFound, async () =>
            await RecordsClient(Gateway).GetRecordEntryAsync(new GetRecordEntryRequest { NhsNumber = nhs, EntryId = medium }, Bearer(gp)));

        await consent.AddRestrictionAsync(new AddRestrictionRequest
        {
            NhsNumber = nhs, RequestId = Guid.NewGuid().ToString(),
            Restriction = new Restriction { WithheldCategory = RecordCategory.RisksAndAlerts, Reason = "Asked by letter", Channel = ConsentChannel.Letter },
        }, Bearer(ig.AccessToken));
        var none = await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(gp));
        Assert.Empty(none.Alerts);
        Assert.DoesNotContain(none.CategoryCounts, c => c.Category == RecordCategory.RisksAndAlerts);
    }

    [Fact]
    public async Task Flags_are_searched_read_by_id_and_come_first_in_everything()
    {
        var nhs = Nhs(FhirPatient);
        var (high, medium) = await TwoAlertsAsync(Gateway, nhs);
        var (gpEntries, _) = await ContributeStoryAsync(Gateway, nhs);
        var token = (await AccessAsync(Gateway, "gp.b86001", nhs)).AccessToken;
        var http = Client(platform.Gateway, token);
        var id = FhirValues.PatientId(nhs);

        var search = await GetAsync(http, $"Flag?patient={id}");
        Assert.True(search.Status == System.Net.HttpStatusCode.OK, search.Body);
        AssertValid(validation, search.Resource);
        var story = gpEntries[RecordCategory.RisksAndAlerts];
        Assert.Equal(new[] { high, medium, story }.Order(), search.Matches.Select(r => r.Id).Order());
        Assert.NotNull(search.AuditEventId);

        var read = await GetAsync(http, $"Flag/{high}");
        Assert.True(read.Status == System.Net.HttpStatusCode.OK, read.Body);
        AssertValid(validation, read.Resource);
        var flag = Assert.IsType<R4.Flag>(read.Resource);
        Assert.Equal("718446003", flag.Code.Coding.Single().Code);
        Assert.Equal(R4.Flag.FlagStatus.Active, flag.Status);
        Assert.NotNull(read.AuditEventId);

        // Another category's id is not a Flag: answered as any absent id is.
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await GetAsync(http, $"Flag/{gpEntries[RecordCategory.Problems]}")).Status);
        // A malformed or hostile id is answered cleanly, never a server error.
        foreach (var bad in new[] { "not-a-uuid", "%27%3B%20drop", new string('a', 300) })
        {
            var answer = await GetAsync(http, $"Flag/{bad}");
            Assert.True(answer.Status is System.Net.HttpStatusCode.NotFound or System.Net.HttpStatusCode.BadRequest, $"{answer.Status}");
        }

        var everything = await GetAsync(http, $"Patient/{id}/$everything");
        Assert.True(everything.Status == System.Net.HttpStatusCode.OK, everything.Body);
        AssertValid(validation, everything.Resource);
        var types = everything.Bundle.Entry.Select(x => x.Resource!).Where(r => r is not R4.OperationOutcome).Select(r => r.TypeName).ToList();
        Assert.Equal("Patient", types[0]);
        Assert.Equal(["Flag", "Flag", "Flag"], types.Skip(1).Take(3));
        Assert.DoesNotContain("Flag", types.Skip(4));

        var statement = Assert.IsType<R4.CapabilityStatement>((await GetAsync(Client(platform.Gateway, null), "metadata")).Resource);
        Assert.Contains(statement.Rest[0].Resource, r => r.Type == "Flag");
    }

    [Fact]
    public async Task The_subject_access_export_holds_the_alerts_as_flags_first_and_counts_them()
    {
        var nhs = Nhs(ExportPatient);
        var (high, medium) = await TwoAlertsAsync(Gateway, nhs);
        await ContributeStoryAsync(Gateway, nhs);
        var token = (await AccessAsync(Gateway, "ig.platform", nhs, PurposeOfUse.SubjectAccessRequest)).AccessToken;

        var (header, bundle) = await ExportAsync(Gateway, token, nhs);

        Assert.Equal(3, header.ResourceCounts.Single(c => c.ResourceType == "Flag").Count); // the story adds the GP's own alert
        var clinical = bundle.Entry.Select(x => x.Resource!).Where(r => r is not (R4.Patient or R4.Organization or R4.Device)).ToList();
        Assert.All(clinical.Take(3), r => Assert.IsType<R4.Flag>(r));
        Assert.DoesNotContain(clinical.Skip(3), r => r is R4.Flag);
        var ids = clinical.OfType<R4.Flag>().Select(f => f.Identifier.Single(i => i.System == FhirSystems.EntryId).Value).ToList();
        Assert.Contains(high, ids);
        Assert.Contains(medium, ids);
        foreach (var f in clinical.OfType<R4.Flag>())
        {
            var errors = validation.Errors(f);
            Assert.True(errors.Count == 0, string.Join("\n", errors));
        }
    }
}
