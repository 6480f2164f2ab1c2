using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Identity.Domain;
using Lcr.Identity.Seed;
using Lcr.Identity.V1;
using Lcr.Security;
using Lcr.Testing;

namespace Lcr.Identity.Tests;

/// <summary>
/// Issue 20: a professional claims a care relationship themselves (ClaimCareRelationship), time-boxed
/// by reason, usable only by them at their organisation; organisations switch it off (UpdateOrganisation).
/// </summary>
[Collection(IdentityCollection.Name)]
public sealed class SelfClaimTests(IdentityHost host)
{
    private IdentityService.IdentityServiceClient Client => host.Client;

    private static IssueAccessTokenRequest DirectCare(string nhs) => new() { NhsNumber = nhs, Purpose = PurposeOfUse.DirectCare };

    private static ClaimCareRelationshipRequest Claim(string nhs, SelfClaimReason reason = SelfClaimReason.PatientPresented, string text = "",
        TimeSpan? duration = null) => new()
    {
        NhsNumber = nhs,
        ReasonCode = reason,
        ReasonText = text,
        Duration = duration is { } d ? Duration.FromTimeSpan(d) : null,
    };

    private static TimeSpan Length(CareRelationship r) => r.EndTime.ToDateTimeOffset() - r.StartTime.ToDateTimeOffset();

    [Fact]
    public async Task A_claim_is_a_self_claimed_relationship_of_the_professional_ending_by_its_reason()
    {
        var doctor = await host.NewProfessionalAsync(RoleCatalogue.ClinicalPractitioner, "RR8");
        var session = await host.SessionAsync(doctor.UserName);
        var nhs = IdentityHost.NewNhsNumber();

        var claimed = await Client.ClaimCareRelationshipAsync(Claim(nhs, SelfClaimReason.ReferralReceived), session);
        Assert.True(claimed.Created);
        var r = claimed.CareRelationship;
        Assert.Equal(CareRelationshipKind.SelfClaimed, r.Kind);
        Assert.Equal(doctor.Id, r.ProfessionalId);
        Assert.Equal("RR8", r.Source.SourceOrganisation.OdsCode);
        Assert.True(r.Active);
        Assert.Equal(TimeSpan.FromDays(7), Length(r)); // the reason's longest, by default
        Assert.Equal(SelfClaimReason.ReferralReceived, r.SelfClaim.ReasonCode);
        Assert.Equal(doctor.RoleAssignmentId, r.SelfClaim.RoleAssignmentId);
        Assert.Equal(RoleCatalogue.ClinicalPractitioner, r.SelfClaim.RoleCode);

        // A shorter duration is kept; a longer one is capped at the reason's longest.
        var shorter = (await Client.ClaimCareRelationshipAsync(Claim(IdentityHost.NewNhsNumber(), duration: TimeSpan.FromHours(2)), session)).CareRelationship;
        Assert.Equal(TimeSpan.FromHours(2), Length(shorter));
        var capped = (await Client.ClaimCareRelationshipAsync(Claim(IdentityHost.NewNhsNumber(), SelfClaimReason.Safeguarding,
            "Concern raised by the school nurse today", TimeSpan.FromDays(90)), session)).CareRelationship;
        Assert.Equal(TimeSpan.FromDays(30), Length(capped));
        Assert.Equal("Concern raised by the school nurse today", capped.SelfClaim.ReasonText);
    }

    [Fact]
    public async Task Claiming_again_while_the_claim_is_active_returns_it_unchanged()
    {
        var doctor = await host.NewProfessionalAsync(RoleCatalogue.ClinicalPractitioner, "RR8");
        var session = await host.SessionAsync(doctor.UserName);
        var nhs = IdentityHost.NewNhsNumber();
        var first = await Client.ClaimCareRelationshipAsync(Claim(nhs, duration: TimeSpan.FromHours(3)), session);
        var again = await Client.ClaimCareRelationshipAsync(Claim(nhs, SelfClaimReason.ReferralReceived), session);
        Assert.False(again.Created);
        Assert.Equal(first.CareRelationship, again.CareRelationship);
        Assert.Equal(1L, await host.Database.ScalarAsync("select count(*) from care_relationships where nhs_number = @n", ("n", nhs)));
    }

    [Fact]
    public async Task The_token_rests_on_the_claim_for_the_claimant_only_and_says_so()
    {
        var doctor = await host.NewProfessionalAsync(RoleCatalogue.ClinicalPractitioner, "RR8");
        var colleague = await host.NewProfessionalAsync(RoleCatalogue.ClinicalPractitioner, "RR8");
        var nhs = IdentityHost.NewNhsNumber();
        var session = await host.SessionAsync(doctor.UserName);
        var claim = (await Client.ClaimCareRelationshipAsync(Claim(nhs, SelfClaimReason.ClinicAttendanceNotYetRecorded, "In clinic room 4 now"), session))
            .CareRelationship;

        var issued = await Client.IssueAccessTokenAsync(DirectCare(nhs), session);
        Assert.Equal(claim.Id, issued.CareRelationshipId);
        Assert.Equal(CareRelationshipKind.SelfClaimed, issued.CareRelationshipKind);
        var (verifier, _) = host.GatewayVerifier();
        var token = await verifier.VerifyAsync(issued.AccessToken);
        Assert.Equal(CareRelationshipKind.SelfClaimed, token.CareRelationshipKind);
        Assert.Equal(new SelfClaimGrant(SelfClaimReason.ClinicAttendanceNotYetRecorded, "In clinic room 4 now"), token.SelfClaim);
        Assert.Null(token.CareTeamId);

        // Another professional at the same organisation: the claim is not theirs.
        await RpcAssert.Fails(StatusCode.PermissionDenied, "NO_CARE_RELATIONSHIP",
            async () => await Client.IssueAccessTokenAsync(DirectCare(nhs), await host.SessionAsync(colleague.UserName)));

        // The claimant acting in a role at another organisation: the claim was made at RR8 only.
        var elsewhere = await host.AddRoleAsync(doctor.Id, RoleCatalogue.ClinicalPractitioner, "RY6");
        var fresh = (await host.SignInAsync(doctor.UserName)).Session;
        await RpcAssert.Fails(StatusCode.PermissionDenied, "NO_CARE_RELATIONSHIP", async () =>
            await Client.IssueAccessTokenAsync(new IssueAccessTokenRequest { NhsNumber = nhs, Purpose = PurposeOfUse.DirectCare, RoleAssignmentId = elsewhere }, fresh));
        var atRr8 = await Client.IssueAccessTokenAsync(
            new IssueAccessTokenRequest { NhsNumber = nhs, Purpose = PurposeOfUse.DirectCare, RoleAssignmentId = doctor.RoleAssignmentId }, fresh);
        Assert.Equal(claim.Id, atRr8.CareRelationshipId);
    }

    [Fact]
    public async Task A_relationship_a_feed_recorded_is_preferred_to_a_self_claim_and_names_its_kind_and_team()
    {
        var nurse = await host.NewProfessionalAsync(RoleCatalogue.NurseAccess, "RR8", teams: "RR8:WARD-3");
        var session = await host.SessionAsync(nurse.UserName);
        var nhs = IdentityHost.NewNhsNumber();
        await Client.ClaimCareRelationshipAsync(Claim(nhs), session);
        var fed = await host.RecordAsync(await host.SystemAsync("rr8-ppm-feed"), nhs, CareRelationshipKind.InpatientEpisode, c => c.TeamId = "RR8:WARD-3");

        var issued = await Client.IssueAccessTokenAsync(DirectCare(nhs), session);
        Assert.Equal(fed.Id, issued.CareRelationshipId);
        Assert.Equal(CareRelationshipKind.InpatientEpisode, issued.CareRelationshipKind);
        var token = await host.GatewayVerifier().Verifier.VerifyAsync(issued.AccessToken);
        Assert.Null(token.SelfClaim);
        Assert.Equal("RR8:WARD-3", token.CareTeamId);
        Assert.Equal(CareRelationshipKind.InpatientEpisode, token.CareRelationshipKind);
    }

    [Fact]
    public async Task An_expired_claim_gives_no_token()
    {
        var doctor = await host.NewProfessionalAsync(RoleCatalogue.ClinicalPractitioner, "RR8");
        var session = await host.SessionAsync(doctor.UserName);
        var nhs = IdentityHost.NewNhsNumber();
        var claim = (await Client.ClaimCareRelationshipAsync(Claim(nhs), session)).CareRelationship;
        await Client.IssueAccessTokenAsync(DirectCare(nhs), session);

        // A day and a bit passes (the test moves the claim back in time rather than waiting).
        await host.Database.ScalarAsync(
            "update care_relationships set start_time = start_time - interval '25 hours', end_time = end_time - interval '25 hours' where id = @id",
            ("id", Guid.Parse(claim.Id)));
        await RpcAssert.Fails(StatusCode.PermissionDenied, "NO_CARE_RELATIONSHIP", async () => await Client.IssueAccessTokenAsync(DirectCare(nhs), session));

        // A new claim may then be made (it is a new relationship, not the old one extended).
        var renewed = await Client.ClaimCareRelationshipAsync(Claim(nhs), session);
        Assert.True(renewed.Created);
        Assert.NotEqual(claim.Id, renewed.CareRelationship.Id);
    }

    [Fact]
    public async Task A_role_without_the_permission_is_refused_and_nothing_is_stored()
    {
        var nhs = IdentityHost.NewNhsNumber();
        var info = await RpcAssert.Fails(StatusCode.PermissionDenied, "SELF_CLAIM_NOT_PERMITTED",
            async () => await Client.ClaimCareRelationshipAsync(Claim(nhs), await host.SessionAsync("clerk.rr8")));
        Assert.Equal(RoleCatalogue.AdminClinicalSupport, info.Metadata["role_code"]);
        Assert.Equal("RR8", info.Metadata["organisation_ods_code"]);
        await RpcAssert.Fails(StatusCode.PermissionDenied, "SELF_CLAIM_NOT_PERMITTED",
            async () => await Client.ClaimCareRelationshipAsync(Claim(nhs), await host.SessionAsync("ig.rr8")));
        Assert.Equal(0L, await host.Database.ScalarAsync("select count(*) from care_relationships where nhs_number = @n", ("n", nhs)));

        // A professional with no active role at all.
        var leaver = await host.NewProfessionalAsync(RoleCatalogue.ClinicalPractitioner, "RR8");
        var session = await host.SessionAsync(leaver.UserName);
        await Client.EndRoleAssignmentAsync(new EndRoleAssignmentRequest { RoleAssignmentId = leaver.RoleAssignmentId }, await host.AdminAsync());
        await RpcAssert.Fails(StatusCode.PermissionDenied, "NO_ACTIVE_ROLE", async () => await Client.ClaimCareRelationshipAsync(Claim(nhs), session));
    }

    [Fact]
    public async Task An_organisation_that_switched_self_claims_off_is_refused_and_only_its_own_admin_or_the_operator_switches_it()
    {
        // The seeded mental health trust has them off.
        await RpcAssert.Fails(StatusCode.PermissionDenied, "SELF_CLAIMS_DISABLED",
            async () => await Client.ClaimCareRelationshipAsync(Claim(IdentityHost.NewNhsNumber()), await host.SessionAsync("mhnurse.rgd")));
        var admin = await host.AdminAsync();
        var seeded = (await Client.GetOrganisationAsync(new GetOrganisationRequest { OdsCode = IdentitySeeder.SelfClaimsOffOrganisation }, admin)).Organisation;
        Assert.True(seeded.SelfClaimsDisabled);

        // Two fresh organisations (no seeded one is changed), a clinician of the first, and each one's own administration client.
        var ods = await NewOrganisationAsync("Self Claim Test Service");
        var otherOds = await NewOrganisationAsync("Another Test Service");
        var gp = await host.NewProfessionalAsync(RoleCatalogue.ClinicalPractitioner, ods);
        var session = await host.SessionAsync(gp.UserName);
        var own = await AdminClientAsync(ods);
        var other = await AdminClientAsync(otherOds);

        var nhs = IdentityHost.NewNhsNumber();
        await Client.ClaimCareRelationshipAsync(Claim(nhs), session);

        var off = new UpdateOrganisationRequest
        {
            Organisation = new Organisation { OdsCode = ods, SelfClaimsDisabled = true },
            UpdateMask = new Google.Protobuf.WellKnownTypes.FieldMask { Paths = { "self_claims_disabled" } },
        };
        // Another organisation's administration is told the organisation does not exist.
        await RpcAssert.Fails(StatusCode.NotFound, async () => await Client.UpdateOrganisationAsync(off, other));
        var renamed = (await Client.UpdateOrganisationAsync(new UpdateOrganisationRequest
        {
            Organisation = new Organisation { OdsCode = otherOds, DisplayName = "Renamed by itself", SelfClaimsDisabled = true },
            UpdateMask = new Google.Protobuf.WellKnownTypes.FieldMask { Paths = { "display_name" } },
        }, other)).Organisation;
        Assert.Equal("Renamed by itself", renamed.DisplayName);
        Assert.False(renamed.SelfClaimsDisabled); // not in the mask
        await RpcAssert.Fails(StatusCode.PermissionDenied, "SCOPE_NOT_PERMITTED",
            async () => await Client.UpdateOrganisationAsync(off, await host.SystemAsync("rr8-ppm-feed")));

        var updated = (await Client.UpdateOrganisationAsync(off, own)).Organisation;
        Assert.True(updated.SelfClaimsDisabled);
        Assert.Equal("Self Claim Test Service", updated.DisplayName); // only the masked field changed
        await RpcAssert.Fails(StatusCode.PermissionDenied, "SELF_CLAIMS_DISABLED",
            async () => await Client.ClaimCareRelationshipAsync(Claim(IdentityHost.NewNhsNumber()), session));
        // The claim already made runs to its end.
        await Client.IssueAccessTokenAsync(DirectCare(nhs), session);

        // The platform operator switches it on again.
        off.Organisation.SelfClaimsDisabled = false;
        Assert.False((await Client.UpdateOrganisationAsync(off, admin)).Organisation.SelfClaimsDisabled);
        await Client.ClaimCareRelationshipAsync(Claim(IdentityHost.NewNhsNumber()), session);
    }

    [Fact]
    public async Task Bad_claims_and_organisation_updates_name_every_bad_field()
    {
        var doctor = await host.NewProfessionalAsync(RoleCatalogue.ClinicalPractitioner, "RR8");
        var session = await host.SessionAsync(doctor.UserName);
        await RpcAssert.InvalidFields(async () => await Client.ClaimCareRelationshipAsync(new ClaimCareRelationshipRequest
        {
            NhsNumber = "1234567890",
            ReasonCode = SelfClaimReason.Unspecified,
            Duration = new Duration { Seconds = -60 },
            RoleAssignmentId = Guid.NewGuid().ToString(),
        }, session), "nhs_number", "reason_code", "duration", "role_assignment_id");
        await RpcAssert.InvalidFields(async () => await Client.ClaimCareRelationshipAsync(
            Claim(IdentityHost.NewNhsNumber(), SelfClaimReason.Other), session), "reason_text");
        await RpcAssert.InvalidFields(async () => await Client.ClaimCareRelationshipAsync(
            Claim(IdentityHost.NewNhsNumber(), SelfClaimReason.PatientPresented, "short"), session), "reason_text");
        await RpcAssert.InvalidFields(async () => await Client.ClaimCareRelationshipAsync(
            Claim(IdentityHost.NewNhsNumber(), SelfClaimReason.Safeguarding, new string('x', 1001)), session), "reason_text");

        // Several active roles: the one to claim in must be named.
        await host.AddRoleAsync(doctor.Id, RoleCatalogue.ClinicalPractitioner, "RY6");
        await RpcAssert.InvalidFields(async () => await Client.ClaimCareRelationshipAsync(Claim(IdentityHost.NewNhsNumber()),
            (await host.SignInAsync(doctor.UserName)).Session), "role_assignment_id");

        // A system cannot claim; nobody unauthenticated can.
        await RpcAssert.Fails(StatusCode.Unauthenticated, TokenRefusal.WrongType,
            async () => await Client.ClaimCareRelationshipAsync(Claim(IdentityHost.NewNhsNumber()), await host.SystemAsync("rr8-ppm-feed")));
        await RpcAssert.Fails(StatusCode.Unauthenticated, async () => await Client.ClaimCareRelationshipAsync(Claim(IdentityHost.NewNhsNumber())));

        var admin = await host.AdminAsync();
        await RpcAssert.InvalidFields(async () => await Client.UpdateOrganisationAsync(new UpdateOrganisationRequest
        {
            Organisation = new Organisation { OdsCode = "no such!", DisplayName = " " },
            UpdateMask = new Google.Protobuf.WellKnownTypes.FieldMask { Paths = { "display_name", "kind" } },
        }, admin), "organisation.ods_code", "organisation.display_name", "update_mask.paths[1]");
        await RpcAssert.InvalidFields(async () => await Client.UpdateOrganisationAsync(new UpdateOrganisationRequest
        {
            Organisation = new Organisation { OdsCode = "RR8" },
        }, admin), "update_mask");
        await RpcAssert.Fails(StatusCode.NotFound, async () => await Client.UpdateOrganisationAsync(new UpdateOrganisationRequest
        {
            Organisation = new Organisation { OdsCode = "ZZZ999" },
            UpdateMask = new Google.Protobuf.WellKnownTypes.FieldMask { Paths = { "self_claims_disabled" } },
        }, admin));
    }

    [Fact]
    public async Task A_feed_cannot_record_or_rewrite_a_self_claim_and_only_the_claims_organisation_ends_it()
    {
        var feed = await host.SystemAsync("rr8-ppm-feed");
        var doctor = await host.NewProfessionalAsync(RoleCatalogue.ClinicalPractitioner, "RR8");
        var nhs = IdentityHost.NewNhsNumber();
        await RpcAssert.InvalidFields(async () => await host.RecordAsync(feed, nhs, CareRelationshipKind.SelfClaimed, c => c.ProfessionalId = doctor.Id),
            "care_relationship.kind");

        var claim = (await Client.ClaimCareRelationshipAsync(Claim(nhs), await host.SessionAsync(doctor.UserName))).CareRelationship;
        // Its source entry id is the claim's own: a feed naming it cannot turn it into something else.
        await RpcAssert.Fails(StatusCode.AlreadyExists, async () =>
            await host.RecordAsync(feed, nhs, CareRelationshipKind.InpatientEpisode, c => c.OrganisationOdsCode = "RR8", claim.Source.SourceEntryId));
        await RpcAssert.Fails(StatusCode.PermissionDenied, "RELATIONSHIP_OF_ANOTHER_ORGANISATION", async () =>
            await Client.EndCareRelationshipAsync(new EndCareRelationshipRequest { CareRelationshipId = claim.Id }, await host.SystemAsync("ry6-community-feed")));
        var ended = await Client.EndCareRelationshipAsync(new EndCareRelationshipRequest { CareRelationshipId = claim.Id }, feed);
        Assert.False(ended.CareRelationship.Active);
        Assert.Equal(CareRelationshipKind.SelfClaimed, ended.CareRelationship.Kind);
    }

    /// <summary>A new community services organisation (a kind no other test lists); its ODS code.</summary>
    private async Task<string> NewOrganisationAsync(string name)
    {
        var ods = "ZS" + Guid.NewGuid().ToString("N")[..6].ToUpperInvariant();
        await Client.CreateOrganisationAsync(new CreateOrganisationRequest
        {
            Organisation = new Organisation { OdsCode = ods, DisplayName = name, Kind = OrganisationKind.CommunityServices },
        }, await host.AdminAsync());
        return ods;
    }

    /// <summary>A new identity.admin client of <paramref name="ods"/>; its system token.</summary>
    private async Task<Metadata> AdminClientAsync(string ods)
    {
        var created = await Client.CreateSystemClientAsync(new CreateSystemClientRequest
        {
            SystemClient = new SystemClient
            {
                ClientId = "org-admin-" + Guid.NewGuid().ToString("N")[..8], DisplayName = "Organisation administration",
                Organisation = new OrganisationReference { OdsCode = ods }, Scopes = { Scopes.IdentityAdmin },
            },
        }, await host.AdminAsync());
        var token = await Client.IssueSystemTokenAsync(new IssueSystemTokenRequest { ClientId = created.SystemClient.ClientId, ClientSecret = created.ClientSecret });
        return BearerToken.Metadata(token.SystemToken);
    }
}
