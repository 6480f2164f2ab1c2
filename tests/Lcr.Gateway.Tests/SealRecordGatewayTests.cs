using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Demographics.V1;
using Lcr.Identity.V1;
using static Lcr.Gateway.Tests.Callers;
using static Lcr.Testing.RpcAssert;
using Orgs = Lcr.ServiceDefaults.DevData.SyntheticOrganisations;

namespace Lcr.Gateway.Tests;

/// <summary>
/// Issue 20: sealing, unsealing and the enhanced review of the access log through the gateway,
/// with AddRestriction's authorisation, each audited; the automatic seal refused from outside.
/// </summary>
[Collection(PlatformCollection.Name)]
public class SealRecordGatewayTests(PlatformFixture platform)
{
    private const string NamedProfessional = "7d1e5b8a-2c4f-4a9e-8b3d-6f0a1c2e3d4b";

    private Grpc.Net.Client.GrpcChannel Gateway => platform.Gateway.Channel;

    private ConsentService.ConsentServiceClient Consent => new(Gateway);

    /// <summary>A new patient registered at <paramref name="practice"/> by <paramref name="feed"/>.</summary>
    private async Task<string> NewPatientAsync(string feed, string practice)
    {
        var nhs = AuthorizationMatrixTests.UnusedNhsNumber();
        var patient = AuthorizationMatrixTests.NewPatient(nhs);
        patient.RegisteredPractice = new OrganisationReference { OdsCode = practice };
        await new DemographicsService.DemographicsServiceClient(Gateway).CreatePatientAsync(
            new CreatePatientRequest { Patient = patient }, Bearer(await SystemAsync(Gateway, feed, "demographics.write")));
        return nhs;
    }

    private async Task<long> AuditAsync(string nhs, string where, params (string, object)[] parameters) =>
        (long)(await platform.Audit.Database.ScalarAsync("select count(*) from audit_events where nhs_number = @nhs and " + where,
            [("nhs", nhs), .. parameters]))!;

    private static SealRecordRequest Seal(string nhs, SealReason reason = SealReason.StaffAsPatient) => new()
    {
        NhsNumber = nhs,
        Seal = new Seal
        {
            Reason = reason,
            Note = "Member of staff, ref IG/S-10",
            ReviewTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(30)),
            AllowedProfessionalIds = { NamedProfessional },
            AllowedTeamIds = { "RR8:ED" },
        },
    };

    [Fact]
    public async Task An_IG_officer_seals_and_unseals_through_the_gateway_each_audited_and_in_the_consent_history()
    {
        var nhs = await NewPatientAsync("b86001-gp-feed", Orgs.BeckettStreetSurgery);
        var ig = Bearer((await AccessAsync(Gateway, "ig.b86001", nhs, PurposeOfUse.InformationGovernance)).AccessToken);

        var sealedState = (await Consent.SealRecordAsync(Seal(nhs), ig)).State;
        Assert.Equal(SealReason.StaffAsPatient, sealedState.Seal.Reason);
        Assert.Equal([NamedProfessional], sealedState.Seal.AllowedProfessionalIds);
        Assert.Equal(ActorKind.Professional, sealedState.Seal.SealedBy.Kind);
        Assert.Equal(Orgs.BeckettStreetSurgery, sealedState.Seal.SealedBy.Organisation.OdsCode);
        Assert.Equal(1, await AuditAsync(nhs, "action = @a and outcome = 1 and actor_ods = 'B86001' and purpose_of_use = @p",
            ("a", (int)AuditAction.RecordSealed), ("p", (int)PurposeOfUse.InformationGovernance)));

        var unsealed = await Consent.UnsealRecordAsync(new UnsealRecordRequest { NhsNumber = nhs, Reason = "Staff member left, ref IG/S-11" }, ig);
        Assert.True(unsealed.Changed);
        Assert.Null(unsealed.State.Seal);
        Assert.Equal(1, await AuditAsync(nhs, "action = @a and outcome = 1", ("a", (int)AuditAction.RecordUnsealed)));

        var history = (await Consent.ListConsentHistoryAsync(new ListConsentHistoryRequest { NhsNumber = nhs }, ig)).Changes;
        Assert.Equal([ConsentChangeKind.RecordUnsealed, ConsentChangeKind.RecordSealed], history.Select(h => h.Kind));
        Assert.Equal(SealReason.StaffAsPatient, history[0].Seal.Reason);
        Assert.Equal(SealReason.StaffAsPatient, history[1].Seal.Reason);

        // Unsealing again changes nothing; still recorded (as an attempted consent change).
        Assert.False((await Consent.UnsealRecordAsync(new UnsealRecordRequest { NhsNumber = nhs, Reason = "Again" }, ig)).Changed);
        Assert.Equal(1, await AuditAsync(nhs, "action = @a", ("a", (int)AuditAction.RecordUnsealed)));
    }

    [Fact]
    public async Task A_system_with_consent_write_seals_and_reviews_and_one_without_a_link_or_the_scope_is_refused()
    {
        var nhs = await NewPatientAsync("b86003-gp-feed", Orgs.KirkstallHealthCentre);
        var linked = Bearer(await SystemAsync(Gateway, "b86003-gp-feed", "consent.write", "consent.read"));
        var state = (await Consent.SealRecordAsync(Seal(nhs, SealReason.HighProfile), linked)).State;
        Assert.Equal(ActorKind.System, state.Seal.SealedBy.Kind);
        Assert.Equal(1, await AuditAsync(nhs, "action = @a and actor_id = 'b86003-gp-feed'", ("a", (int)AuditAction.RecordSealed)));

        var started = (await Consent.StartAccessLogReviewAsync(new StartAccessLogReviewRequest { NhsNumber = nhs, Reason = "ref IG/R-10" }, linked)).State;
        Assert.Equal("1290301000000109", started.AccessLogReview.SnomedCode);
        var completed = (await Consent.CompleteAccessLogReviewAsync(new CompleteAccessLogReviewRequest { NhsNumber = nhs, Reason = "ref IG/R-11" }, linked)).State;
        Assert.Null(completed.AccessLogReview);
        Assert.Equal(2, await AuditAsync(nhs, "action = @a and outcome = 1", ("a", (int)AuditAction.ConsentChange)));

        // Another organisation's system: refused (ORGANISATION_NOT_LINKED, audited), nothing sealed again.
        var other = Bearer(await SystemAsync(Gateway, "b86002-gp-feed", "consent.write"));
        var e = await Fails(StatusCode.PermissionDenied, async () => await Consent.SealRecordAsync(Seal(nhs), other));
        Assert.Equal("ORGANISATION_NOT_LINKED", Reason(e));
        Assert.DoesNotContain(nhs, e.Status.Detail, StringComparison.Ordinal);
        await Fails(StatusCode.PermissionDenied, async () => await Consent.UnsealRecordAsync(new UnsealRecordRequest { NhsNumber = nhs, Reason = "x" }, other));
        await Fails(StatusCode.PermissionDenied, async () => await Consent.StartAccessLogReviewAsync(new StartAccessLogReviewRequest { NhsNumber = nhs, Reason = "x" }, other));
        // Each refusal is audited as a refused consent change (the governance check refuses before the call is known to be a seal).
        Assert.Equal(3, await AuditAsync(nhs, "action = @a and outcome = 2 and denial_reason = @d and actor_id = 'b86002-gp-feed'",
            ("a", (int)AuditAction.ConsentChange), ("d", (int)AuditDenialReason.OrganisationNotLinked)));

        // The linked system without consent.write.
        var readOnly = Bearer(await SystemAsync(Gateway, "b86003-gp-feed", "consent.read"));
        await Fails(StatusCode.PermissionDenied, async () => await Consent.SealRecordAsync(Seal(nhs), readOnly));

        var history = (await Consent.ListConsentHistoryAsync(new ListConsentHistoryRequest { NhsNumber = nhs }, linked)).Changes;
        Assert.Equal([ConsentChangeKind.AccessLogReviewCompleted, ConsentChangeKind.AccessLogReviewStarted, ConsentChangeKind.RecordSealed],
            history.Select(h => h.Kind));
    }

    [Fact]
    public async Task An_IG_officer_of_an_organisation_without_a_link_is_refused_ORGANISATION_NOT_LINKED_and_nothing_is_sealed()
    {
        var nhs = await NewPatientAsync("b86002-gp-feed", Orgs.RoundhayRoadMedicalCentre);
        var e = await Fails(StatusCode.PermissionDenied, async () => await AccessAsync(Gateway, "ig.b86001", nhs, PurposeOfUse.InformationGovernance));
        Assert.Equal("ORGANISATION_NOT_LINKED", Reason(e));

        // And without any token nothing is sealed.
        await Fails(StatusCode.Unauthenticated, async () => await Consent.SealRecordAsync(Seal(nhs), new Metadata()));
        Assert.Equal(0, await AuditAsync(nhs, "action = @a", ("a", (int)AuditAction.RecordSealed)));
    }

    [Fact]
    public async Task SealRecordAutomatically_is_refused_to_every_outside_caller()
    {
        var nhs = await NewPatientAsync("b86001-gp-feed", Orgs.BeckettStreetSurgery);
        var request = new SealRecordAutomaticallyRequest
        {
            NhsNumber = nhs, DistinctViewers = 60, ReviewTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(7)),
        };
        foreach (var caller in new[]
                 {
                     Bearer((await AccessAsync(Gateway, "ig.b86001", nhs, PurposeOfUse.InformationGovernance)).AccessToken),
                     Bearer(await SystemAsync(Gateway, "b86001-gp-feed", "consent.write")),
                     Bearer(await SessionAsync(Gateway, "ig.platform")),
                 })
        {
            var e = await Fails(StatusCode.PermissionDenied, async () => await Consent.SealRecordAutomaticallyAsync(request, caller));
            Assert.Equal("INTERNAL_ONLY", Reason(e));
        }

        var ig = Bearer((await AccessAsync(Gateway, "ig.b86001", nhs, PurposeOfUse.InformationGovernance)).AccessToken);
        Assert.Null((await Consent.GetConsentAsync(new GetConsentRequest { NhsNumber = nhs }, ig)).Consent.Seal);
    }
}
