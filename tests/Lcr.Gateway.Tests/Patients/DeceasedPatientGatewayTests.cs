using System.Collections.Concurrent;
using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Gateway.Downstream;
using Lcr.Gateway.Patients;
using Lcr.Gateway.V1;
using Lcr.Identity.V1;
using Microsoft.Extensions.DependencyInjection;
using static Lcr.Gateway.Tests.Callers;

namespace Lcr.Gateway.Tests.Patients;

/// <summary>
/// Issue 21: a deceased patient at the gateway. Each test records a date of death 30 days ago on
/// its own patient (registered at B86001, so gp.b86001 has a registered-GP relationship), as a
/// demographics feed would. Direct care continues for Gateway:Deceased:CareContinuesFor (90 days
/// by default); a gateway configured with a shorter period shows it ended.
/// </summary>
[Collection(PlatformCollection.Name)]
public class DeceasedPatientGatewayTests(PlatformFixture platform)
{
    private async Task<Date> DiesAsync(string nhs)
    {
        var died = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-30));
        await platform.Demographics.Database.ScalarAsync("update patients set death_date = @d where nhs_number = @n", ("d", died), ("n", nhs));
        return new Date { Year = died.Year, Month = died.Month, Day = died.Day };
    }

    private GatewayHost ShortPeriodGateway(ConcurrentQueue<AuditEvent> sent) => platform.CreateGateway(
        s => s.Configure<DeceasedOptions>(o => o.CareContinuesFor = TimeSpan.FromDays(7)),
        (service, handler) => service == ServiceNames.Audit ? new AuditEventRecorder(handler, sent) : handler);

    [Fact]
    public async Task Every_view_of_a_deceased_patient_carries_the_notice_and_every_event_the_date_of_death_while_direct_care_continues()
    {
        var nhs = Nhs(96); // B86001
        var died = await DiesAsync(nhs);
        var sent = new ConcurrentQueue<AuditEvent>();
        await using var gateway = platform.CreateGateway(wrap: (service, handler) =>
            service == ServiceNames.Audit ? new AuditEventRecorder(handler, sent) : handler);
        var token = Bearer((await AccessAsync(gateway.Channel, "gp.b86001", nhs)).AccessToken);
        var records = RecordsClient(gateway.Channel);

        var view = await records.GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, token);
        Assert.Equal(died, view.Deceased.DeathDate);
        Assert.StartsWith("This patient died on ", view.Deceased.Message, StringComparison.Ordinal);
        var list = await records.ListRecordEntriesAsync(new ListRecordEntriesRequest { NhsNumber = nhs, Category = RecordCategory.Problems }, token);
        Assert.Equal(died, list.Deceased.DeathDate);
        if (list.Entries.FirstOrDefault() is { } first)
        {
            var entry = await records.GetRecordEntryAsync(new GetRecordEntryRequest { NhsNumber = nhs, EntryId = first.Id }, token);
            Assert.Equal(died, entry.Deceased.DeathDate);
        }

        Assert.NotEmpty(sent);
        Assert.All(sent, e => Assert.Equal(died, e.PatientDeathDate));
    }

    [Fact]
    public async Task Direct_care_ends_after_the_configured_period_while_information_governance_continues()
    {
        var nhs = Nhs(99); // B86001
        var granted = Bearer((await AccessAsync(platform.Gateway.Channel, "gp.b86001", nhs)).AccessToken); // before the death is recorded
        var died = await DiesAsync(nhs);
        var sent = new ConcurrentQueue<AuditEvent>();
        await using var gateway = ShortPeriodGateway(sent);

        var refused = await Assert.ThrowsAsync<RpcException>(() => AccessAsync(gateway.Channel, "gp.b86001", nhs));
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Equal(DeceasedRule.Reason, Reason(refused));
        var denial = Assert.Single(sent, e => e.Action == AuditAction.TokenIssued);
        Assert.Equal(AuditDenialReason.PatientDeceased, denial.DenialReason);
        Assert.Equal(died, denial.PatientDeathDate);

        // A token issued earlier is not honoured on reads once the period has passed.
        sent.Clear();
        var read = await Assert.ThrowsAsync<RpcException>(() =>
            RecordsClient(gateway.Channel).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, granted).ResponseAsync);
        Assert.Equal(DeceasedRule.Reason, Reason(read));
        Assert.Equal(AuditDenialReason.PatientDeceased, Assert.Single(sent).DenialReason);

        // Information governance and subject access continue.
        var ig = Bearer((await AccessAsync(gateway.Channel, "ig.b86001", nhs, PurposeOfUse.InformationGovernance)).AccessToken);
        await new Lcr.Consent.V1.ConsentService.ConsentServiceClient(gateway.Channel).GetConsentAsync(
            new Lcr.Consent.V1.GetConsentRequest { NhsNumber = nhs }, ig);
        var sar = Bearer((await AccessAsync(gateway.Channel, "ig.b86001", nhs, PurposeOfUse.SubjectAccessRequest)).AccessToken);
        var log = await RecordsClient(gateway.Channel).GetAccessLogAsync(new GetAccessLogRequest { NhsNumber = nhs }, sar);
        Assert.Contains(log.Entries, x => x.Action == AuditAction.TokenIssued && x.Outcome == AuditOutcome.Denied);

        // A consent change recorded for a deceased patient carries the date of death too.
        sent.Clear();
        await new Lcr.Consent.V1.ConsentService.ConsentServiceClient(gateway.Channel).RecordOptOutAsync(new Lcr.Consent.V1.RecordOptOutRequest
        {
            NhsNumber = nhs, Channel = Lcr.Consent.V1.ConsentChannel.Letter, Reason = "Letter from the executor",
        }, ig);
        Assert.Equal(died, Assert.Single(sent, x => x.Action == AuditAction.ConsentChange).PatientDeathDate);
    }

    [Fact]
    public async Task A_relationship_claimed_after_death_is_refused_and_audited()
    {
        var nhs = Nhs(102); // B86001
        await DiesAsync(nhs);
        var sent = new ConcurrentQueue<AuditEvent>();
        await using var gateway = platform.CreateGateway(wrap: (service, handler) =>
            service == ServiceNames.Audit ? new AuditEventRecorder(handler, sent) : handler);
        var session = Bearer(await SessionAsync(gateway.Channel, "ed.rr8"));
        var e = await Assert.ThrowsAsync<RpcException>(() => IdentityClient(gateway.Channel).ClaimCareRelationshipAsync(new ClaimCareRelationshipRequest
        {
            NhsNumber = nhs, ReasonCode = SelfClaimReason.ReferralReceived, ReasonText = "Referral received",
            Duration = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromHours(1)),
        }, session).ResponseAsync);
        Assert.Equal(DeceasedRule.Reason, Reason(e));
        var denied = Assert.Single(sent);
        Assert.Equal(AuditAction.SelfClaimedRelationship, denied.Action);
        Assert.Equal(AuditDenialReason.PatientDeceased, denied.DenialReason);
    }
}
