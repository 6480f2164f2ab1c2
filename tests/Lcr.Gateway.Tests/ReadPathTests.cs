using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Gateway.V1;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults.DevData;
using static Lcr.Gateway.Tests.Callers;
using static Lcr.Testing.RpcAssert;
using Scenario = Lcr.ServiceDefaults.DevData.SyntheticOrganisations.Scenario;

namespace Lcr.Gateway.Tests;

[Collection(PlatformCollection.Name)]
public class ReadPathTests(PlatformFixture platform)
{
    private Grpc.Net.Client.GrpcChannel Gateway => platform.Gateway.Channel;

    private async Task<GetPatientRecordResponse> ReadAsync(string userName, int patient, params RecordCategory[] categories)
    {
        var token = await AccessAsync(Gateway, userName, Nhs(patient));
        return await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = Nhs(patient), Categories = { categories } },
            Bearer(token.AccessToken));
    }

    private async Task<long> AuditCountAsync(string where, params (string, object)[] parameters) =>
        (long)(await platform.Audit.Database.ScalarAsync("select count(*) from audit_events where " + where, parameters))!;

    private static IEnumerable<Entry> AllEntries(GetPatientRecordResponse r) =>
        r.Alerts.Concat(r.ActiveProblems).Concat(r.CurrentMedications).Concat(r.Allergies).Concat(r.LatestResults).Concat(r.RecentDocuments);

    [Fact]
    public async Task A_gp_with_a_registered_patient_relationship_reads_the_record_and_the_view_is_audited()
    {
        var record = await ReadAsync("gp.b86001", Scenario.ExamplePatient);
        Assert.Equal(Nhs(Scenario.ExamplePatient), record.Patient.NhsNumber);
        Assert.NotNull(record.Patient.Address);
        Assert.NotEmpty(record.ActiveProblems);
        Assert.Contains(RecordCategory.TestResults, record.ReturnedCategories);
        Assert.False(record.EmergencyAccess);
        Assert.NotEmpty(record.AuditEventId);

        var ids = (string[])(await platform.Audit.Database.ScalarAsync(
            "select returned_entry_ids from audit_events where event_id = @id and outcome = 1", ("id", Guid.Parse(record.AuditEventId))))!;
        Assert.Equal(AllEntries(record).Select(e => e.Id).Order(), ids.Order());
    }

    [Fact]
    public async Task A_hospital_clinician_without_a_relationship_is_refused_and_the_refusal_is_audited()
    {
        var session = await SessionAsync(Gateway, "ed.rr8");
        var before = await AuditCountAsync("nhs_number = @n and outcome = 2 and action = 7", ("n", Nhs(Scenario.ExamplePatient + 6)));
        var e = await Fails(StatusCode.PermissionDenied, async () => await IdentityClient(Gateway).IssueAccessTokenAsync(
            new IssueAccessTokenRequest { NhsNumber = Nhs(Scenario.ExamplePatient + 6), Purpose = PurposeOfUse.DirectCare }, Bearer(session)));
        Assert.Contains("relationship", e.Status.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before + 1, await AuditCountAsync("nhs_number = @n and outcome = 2 and action = 7", ("n", Nhs(Scenario.ExamplePatient + 6))));
    }

    [Fact]
    public async Task Break_glass_needs_a_reason_and_every_use_is_flagged()
    {
        var session = await SessionAsync(Gateway, "ed.rr8");
        var nhs = Nhs(12);
        await Fails(StatusCode.InvalidArgument, async () => await IdentityClient(Gateway).IssueEmergencyAccessTokenAsync(
            new IssueEmergencyAccessTokenRequest { NhsNumber = nhs }, Bearer(session)));
        var token = await IdentityClient(Gateway).IssueEmergencyAccessTokenAsync(new IssueEmergencyAccessTokenRequest
        {
            NhsNumber = nhs, ReasonCode = EmergencyAccessReason.ClinicalEmergency, ReasonText = "Unconscious in ED, no GP record available",
        }, Bearer(session));
        var record = await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(token.AccessToken));
        Assert.True(record.EmergencyAccess);
        var reason = await platform.Audit.Database.ScalarAsync("select emergency_reason_code from audit_events where event_id = @id",
            ("id", Guid.Parse(record.AuditEventId)));
        Assert.Equal((int)EmergencyAccessReason.ClinicalEmergency, reason);
    }

    [Fact]
    public async Task An_opted_out_patient_is_refused_to_everyone_emergency_included()
    {
        var e = await Fails(StatusCode.PermissionDenied, () => ReadAsync("gp.b86001", Scenario.OptedOut));
        Assert.Equal("PATIENT_OPTED_OUT", Reason(e));

        var session = await SessionAsync(Gateway, "ed.rr8");
        var glass = await IdentityClient(Gateway).IssueEmergencyAccessTokenAsync(new IssueEmergencyAccessTokenRequest
        {
            NhsNumber = Nhs(Scenario.OptedOut), ReasonCode = EmergencyAccessReason.ClinicalEmergency, ReasonText = "Collapsed in clinic",
        }, Bearer(session));
        e = await Fails(StatusCode.PermissionDenied, async () => await RecordsClient(Gateway).GetPatientRecordAsync(
            new GetPatientRecordRequest { NhsNumber = Nhs(Scenario.OptedOut) }, Bearer(glass.AccessToken)));
        Assert.Equal("PATIENT_OPTED_OUT", Reason(e));
        Assert.True(await AuditCountAsync("nhs_number = @n and outcome = 2 and denial_reason = 2", ("n", Nhs(Scenario.OptedOut))) >= 2);
    }

    [Fact]
    public async Task A_withheld_organisations_entries_vanish_and_counts_do_not_betray_them()
    {
        var token = await AccessAsync(Gateway, "gp.b86001", Nhs(Scenario.WithholdsMentalHealth));
        var record = await RecordsClient(Gateway).GetPatientRecordAsync(
            new GetPatientRecordRequest { NhsNumber = Nhs(Scenario.WithholdsMentalHealth) }, Bearer(token.AccessToken));
        Assert.DoesNotContain(AllEntries(record), e => e.Provenance.SourceOrganisation.OdsCode == SyntheticOrganisations.MentalHealthTrust);
        Assert.True(record.PatientRestrictionsApply);

        foreach (var count in record.CategoryCounts)
        {
            var listed = 0;
            var pageToken = string.Empty;
            do
            {
                var page = await RecordsClient(Gateway).ListRecordEntriesAsync(new ListRecordEntriesRequest
                {
                    NhsNumber = Nhs(Scenario.WithholdsMentalHealth), Category = count.Category, PageSize = 200, PageToken = pageToken,
                }, Bearer(token.AccessToken));
                Assert.DoesNotContain(page.Entries, e => e.Provenance.SourceOrganisation.OdsCode == SyntheticOrganisations.MentalHealthTrust);
                listed += page.Entries.Count;
                pageToken = page.NextPageToken;
            }
            while (pageToken.Length > 0);

            Assert.Equal(count.Count, listed);
        }
    }

    [Fact]
    public async Task A_withheld_category_vanishes()
    {
        var token = await AccessAsync(Gateway, "gp.b86001", Nhs(Scenario.BlocksProfessional));
        var record = await RecordsClient(Gateway).GetPatientRecordAsync(
            new GetPatientRecordRequest { NhsNumber = Nhs(Scenario.BlocksProfessional) }, Bearer(token.AccessToken));
        Assert.Empty(record.RecentDocuments);
        Assert.DoesNotContain(RecordCategory.Documents, record.ReturnedCategories);
        Assert.DoesNotContain(record.CategoryCounts, c => c.Category == RecordCategory.Documents);
        var list = await RecordsClient(Gateway).ListRecordEntriesAsync(new ListRecordEntriesRequest
        {
            NhsNumber = Nhs(Scenario.BlocksProfessional), Category = RecordCategory.Documents,
        }, Bearer(token.AccessToken));
        Assert.Empty(list.Entries);
    }

    [Fact]
    public async Task A_withheld_entry_vanishes_from_views_counts_and_direct_reads()
    {
        var patient = 9; // registered at B86001, no other restrictions
        var nhs = Nhs(patient);
        var gp = await AccessAsync(Gateway, "gp.b86001", nhs);
        var before = await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(gp.AccessToken));
        var target = before.ActiveProblems.First();
        var problemsBefore = before.CategoryCounts.Single(c => c.Category == RecordCategory.Problems).Count;

        var ig = await AccessAsync(Gateway, "ig.b86001", nhs, PurposeOfUse.InformationGovernance);
        var consent = new ConsentService.ConsentServiceClient(Gateway);
        var added = await consent.AddRestrictionAsync(new AddRestrictionRequest
        {
            NhsNumber = nhs,
            RequestId = Guid.NewGuid().ToString(),
            Restriction = new Restriction { WithheldEntryId = target.Id, Reason = "Patient asked by letter", Channel = ConsentChannel.Letter },
        }, Bearer(ig.AccessToken));

        var after = await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(gp.AccessToken));
        Assert.DoesNotContain(AllEntries(after), e => e.Id == target.Id);
        Assert.Equal(problemsBefore - 1, after.CategoryCounts.Single(c => c.Category == RecordCategory.Problems).Count);
        await Fails(StatusCode.NotFound, async () => await RecordsClient(Gateway).GetRecordEntryAsync(
            new GetRecordEntryRequest { NhsNumber = nhs, EntryId = target.Id }, Bearer(gp.AccessToken)));

        await consent.RemoveRestrictionAsync(new RemoveRestrictionRequest
        {
            NhsNumber = nhs, RestrictionId = added.Restriction.Id, Reason = "Patient withdrew the request", Channel = ConsentChannel.Telephone,
        }, Bearer(ig.AccessToken));
        var restored = await RecordsClient(Gateway).GetRecordEntryAsync(new GetRecordEntryRequest { NhsNumber = nhs, EntryId = target.Id }, Bearer(gp.AccessToken));
        Assert.Equal(target.Id, restored.Entry.Id);
    }

    [Fact]
    public async Task A_restricted_patients_location_is_withheld_from_every_viewer()
    {
        Assert.True(SyntheticCohort.Patients[Scenario.RestrictedDemographics].Restricted);
        var record = await ReadAsync("gp.b86001", Scenario.RestrictedDemographics);
        Assert.True(record.ContactDetailsWithheld);
        Assert.Null(record.Patient.Address);
        Assert.Empty(record.Patient.Telephones);
        Assert.Empty(record.Patient.Email);
        Assert.Null(record.Patient.RegisteredPractice);
        Assert.Equal(Nhs(Scenario.RestrictedDemographics), record.Patient.NhsNumber);
        Assert.NotEmpty(record.Patient.Name.Family);

        var ordinary = await ReadAsync("gp.b86001", Scenario.ExamplePatient);
        Assert.False(ordinary.ContactDetailsWithheld);
        Assert.NotNull(ordinary.Patient.Address);
    }

    [Fact]
    public async Task A_social_care_practitioner_does_not_get_test_results()
    {
        var record = await ReadAsync("socialworker.00da", Scenario.SocialCareCase);
        Assert.Empty(record.LatestResults);
        Assert.DoesNotContain(RecordCategory.TestResults, record.ReturnedCategories);
        Assert.Contains(RecordCategory.Problems, record.ReturnedCategories);
        var e = await Fails(StatusCode.PermissionDenied, () => ReadAsync("socialworker.00da", Scenario.SocialCareCase, RecordCategory.TestResults));
        Assert.Equal("ROLE_NOT_PERMITTED", Reason(e));
    }

    [Fact]
    public async Task Admin_staff_get_demographics_only()
    {
        // The hospital's outpatient feed records an outpatient episode with the clerk's team.
        var feed = await SystemAsync(Gateway, "rr8-ppm-feed", "relationships.write");
        var patient = 15;
        await IdentityClient(Gateway).RecordCareRelationshipAsync(new RecordCareRelationshipRequest
        {
            CareRelationship = new CareRelationship
            {
                NhsNumber = Nhs(patient),
                Kind = CareRelationshipKind.OutpatientEpisode,
                TeamId = "RR8:CARDIOLOGY-OP",
                StartTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-1)),
                Source = new Provenance { SourceEntryId = "op-" + Guid.NewGuid().ToString("N"), SourceSystem = "PPM+" },
            },
        }, Bearer(feed));

        // The admin role (R8008) sees demographics and, kind only, the risks and alerts (none here).
        var record = await ReadAsync("clerk.rr8", patient);
        Assert.Equal([RecordCategory.Demographics, RecordCategory.RisksAndAlerts], record.ReturnedCategories);
        Assert.NotNull(record.Patient);
        Assert.Empty(AllEntries(record));
        Assert.Equal([(RecordCategory.RisksAndAlerts, 0)], record.CategoryCounts.Select(c => (c.Category, c.Count)));
        Assert.True(record.AlertDetailsWithheld);
        await Fails(StatusCode.PermissionDenied, () => ReadAsync("clerk.rr8", patient, RecordCategory.Problems));
    }

    [Fact]
    public async Task A_blocked_professional_is_refused()
    {
        var e = await Fails(StatusCode.PermissionDenied, () => ReadAsync("clerk.rr8", Scenario.BlocksProfessional));
        Assert.Equal("VIEWER_BLOCKED", Reason(e));
    }

    [Fact]
    public async Task A_token_for_one_patient_never_reads_another()
    {
        var token = await AccessAsync(Gateway, "gp.b86001", Nhs(Scenario.ExamplePatient));
        var e = await Fails(StatusCode.PermissionDenied, async () => await RecordsClient(Gateway).GetPatientRecordAsync(
            new GetPatientRecordRequest { NhsNumber = Nhs(Scenario.BlocksProfessional) }, Bearer(token.AccessToken)));
        Assert.Equal("PATIENT_MISMATCH", Reason(e));
        Assert.True(await AuditCountAsync("access_token_id = @t and outcome = 2 and denial_reason = 6", ("t", token.TokenId)) == 1);
    }

    [Fact]
    public async Task Tampered_expired_and_wrong_kind_tokens_are_unauthenticated()
    {
        var nhs = Nhs(Scenario.ExamplePatient);
        var token = (await AccessAsync(Gateway, "gp.b86001", nhs)).AccessToken;
        var parts = token.Split('.');
        var payload = System.Text.Encoding.UTF8.GetString(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(parts[1]))
            .Replace(nhs, Nhs(Scenario.BlocksProfessional), StringComparison.Ordinal);
        var tampered = $"{parts[0]}.{Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(payload)}.{parts[2]}";
        await Fails(StatusCode.Unauthenticated, async () => await RecordsClient(Gateway).GetPatientRecordAsync(
            new GetPatientRecordRequest { NhsNumber = Nhs(Scenario.BlocksProfessional) }, Bearer(tampered)));

        var session = await SessionAsync(Gateway, "gp.b86001");
        await Fails(StatusCode.Unauthenticated, async () => await RecordsClient(Gateway).GetPatientRecordAsync(
            new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(session)));
        await Fails(StatusCode.Unauthenticated, async () => await RecordsClient(Gateway).GetPatientRecordAsync(
            new GetPatientRecordRequest { NhsNumber = nhs }));

        // A gateway whose clock is an hour on: the same, valid token has expired.
        var later = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(1));
        await using var future = platform.CreateGateway(s => s.AddSingleton<TimeProvider>(later));
        var e = await Fails(StatusCode.Unauthenticated, async () => await RecordsClient(future.Channel).GetPatientRecordAsync(
            new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(token)));
        Assert.Equal("TOKEN_EXPIRED", Reason(e));
    }

    [Fact]
    public async Task A_contribution_is_visible_on_the_next_read()
    {
        var nhs = Nhs(Scenario.ExamplePatient);
        var gp = await AccessAsync(Gateway, "gp.b86001", nhs);
        await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(gp.AccessToken)); // warm the cache

        var feed = await SystemAsync(Gateway, "b86001-gp-feed", "record.contribute");
        var sourceId = "gw-test-" + Guid.NewGuid().ToString("N");
        await new ClinicalRecordService.ClinicalRecordServiceClient(Gateway).UpsertEntriesAsync(new UpsertEntriesRequest
        {
            SourceSystem = "SystmOne",
            Entries =
            {
                new EntryContribution
                {
                    Entry = new Entry
                    {
                        NhsNumber = nhs,
                        Category = RecordCategory.Problems,
                        Code = new CodedConcept { System = "http://snomed.info/sct", Code = "73211009", Display = "Diabetes mellitus" },
                        Provenance = new Provenance { SourceEntryId = sourceId },
                        Problem = new Problem { ClinicalStatus = ProblemClinicalStatus.Active, OnsetDate = new Date { Year = 2024, Month = 5, Day = 1 } },
                    },
                },
            },
        }, Bearer(feed));

        var after = await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(gp.AccessToken));
        var added = Assert.Single(after.ActiveProblems, p => p.Provenance.SourceEntryId == sourceId);
        Assert.Equal(SyntheticOrganisations.BeckettStreetSurgery, added.Provenance.SourceOrganisation.OdsCode);

        var other = await SystemAsync(Gateway, "b86001-gp-feed", "record.contribute");
        var e = await Fails(StatusCode.PermissionDenied, async () => await new ClinicalRecordService.ClinicalRecordServiceClient(Gateway).UpsertEntriesAsync(
            new UpsertEntriesRequest { SourceOrganisationOdsCode = "RR8", Entries = { } }, Bearer(other)));
        Assert.Equal("SOURCE_ORGANISATION_MISMATCH", Reason(e));
    }

    [Fact]
    public async Task Successful_reads_equal_committed_audit_view_events()
    {
        var nhs = Nhs(Scenario.ExamplePatient);
        var gp = await AccessAsync(Gateway, "gp.b86001", nhs);
        var client = RecordsClient(Gateway);
        var succeeded = 0;
        for (var i = 0; i < 3; i++)
        {
            await client.GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(gp.AccessToken));
            succeeded++;
        }

        var page = await client.ListRecordEntriesAsync(new ListRecordEntriesRequest { NhsNumber = nhs, Category = RecordCategory.Medications }, Bearer(gp.AccessToken));
        succeeded++;
        if (page.Entries.Count > 0)
        {
            await client.GetRecordEntryAsync(new GetRecordEntryRequest { NhsNumber = nhs, EntryId = page.Entries[0].Id }, Bearer(gp.AccessToken));
            succeeded++;
        }

        await Assert.ThrowsAsync<RpcException>(async () => await client.GetPatientRecordAsync(
            new GetPatientRecordRequest { NhsNumber = Nhs(Scenario.OptedOut) }, Bearer(gp.AccessToken)));

        Assert.Equal(succeeded, await AuditCountAsync("access_token_id = @t and outcome = 1 and action between 1 and 5", ("t", gp.TokenId)));
    }

    [Fact]
    public async Task The_patient_facing_access_log_shows_who_looked_when_and_at_what()
    {
        var nhs = Nhs(6);
        var read = await ReadAsync("gp.b86001", 6);
        var sar = await AccessAsync(Gateway, "ig.b86001", nhs, PurposeOfUse.SubjectAccessRequest);
        var log = await RecordsClient(Gateway).GetAccessLogAsync(new GetAccessLogRequest { NhsNumber = nhs }, Bearer(sar.AccessToken));
        var view = Assert.Single(log.Entries, e => e.Action == Lcr.Audit.V1.AuditAction.ViewSummary);
        Assert.Equal("Dr Priya Shah", view.ViewerName);
        Assert.Equal("Clinical practitioner", view.ViewerRoleName);
        Assert.Equal(SyntheticOrganisations.BeckettStreetSurgery, view.Organisation.OdsCode);
        // The categories of what the read actually returned (an allowed category with nothing in it is not "seen").
        var shown = AllEntries(read).Select(e => e.Category).Concat(read.CategoryCounts.Where(c => c.Count > 0).Select(c => c.Category))
            .Append(RecordCategory.Demographics).Distinct().Order();
        Assert.Equal(shown, view.Categories.Order());
        Assert.Equal(AllEntries(read).Count(), view.EntryCount);
        Assert.True(Math.Abs((view.AccessTime.ToDateTimeOffset() - DateTimeOffset.UtcNow).TotalMinutes) < 5);

        // A direct-care token cannot read the access log.
        var gp = await AccessAsync(Gateway, "gp.b86001", nhs);
        await Fails(StatusCode.PermissionDenied, async () => await RecordsClient(Gateway).GetAccessLogAsync(new GetAccessLogRequest { NhsNumber = nhs }, Bearer(gp.AccessToken)));
    }
}
