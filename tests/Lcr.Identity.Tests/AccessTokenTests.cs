using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Identity.Domain;
using Lcr.Identity.Seed;
using Lcr.Identity.V1;
using Lcr.Security;
using Lcr.ServiceDefaults.DevData;
using Scenario = Lcr.ServiceDefaults.DevData.SyntheticOrganisations.Scenario;

namespace Lcr.Identity.Tests;

[Collection(IdentityCollection.Name)]
public sealed class AccessTokenTests(IdentityHost host)
{
    private IdentityService.IdentityServiceClient Client => host.Client;

    private static IssueAccessTokenRequest DirectCare(string nhs) => new() { NhsNumber = nhs, Purpose = PurposeOfUse.DirectCare };

    [Fact]
    public async Task Organisation_level_relationship_covers_its_staff_and_the_token_says_so()
    {
        var session = await host.SessionAsync("gp.b86001");
        var nhs = IdentityHost.Patient(Scenario.ExamplePatient); // registered at B86001
        var issued = await Client.IssueAccessTokenAsync(DirectCare(nhs), session);

        var (verifier, _) = host.GatewayVerifier();
        var token = await verifier.VerifyAsync(issued.AccessToken);
        Assert.Equal(nhs, token.NhsNumber);
        Assert.Equal("B86001", token.OrganisationOdsCode);
        Assert.Equal(RoleCatalogue.ClinicalPractitioner, token.RoleCode);
        Assert.Equal("Dr Priya Shah", token.ProfessionalName);
        Assert.Equal(PurposeOfUse.DirectCare, token.Purpose);
        Assert.Equal(issued.CareRelationshipId, token.CareRelationshipId);
        Assert.Equal(issued.TokenId, token.TokenId);
        Assert.Equal(7, token.AllowedCategories.Count); // every category, risks and alerts included
        Assert.False(token.IsEmergency);
        var lifetime = token.ExpiresAt - token.IssuedAt;
        Assert.True(lifetime > TimeSpan.Zero && lifetime <= TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task The_token_carries_the_professionals_family_name_and_own_nhs_number_for_privacy_review()
    {
        var nhs = IdentityHost.Patient(Scenario.ExamplePatient); // registered at B86001
        var (verifier, _) = host.GatewayVerifier();

        // The seeded GP: identity knows no personal NHS number, so the token carries none.
        var gp = await verifier.VerifyAsync((await Client.IssueAccessTokenAsync(DirectCare(nhs), await host.SessionAsync("gp.b86001"))).AccessToken);
        Assert.Equal("Shah", gp.ViewerFamilyName);
        Assert.Null(gp.ViewerNhsNumber);

        // A colleague whose own NHS number is recorded: it travels in the signed token, emergency tokens included.
        var colleague = await host.NewProfessionalAsync(RoleCatalogue.ClinicalPractitioner, "B86001");
        var own = IdentityHost.Patient(12);
        var admin = await host.AdminAsync();
        var read = (await Client.GetProfessionalAsync(new GetProfessionalRequest { ProfessionalId = colleague.Id }, admin)).Professional;
        await Client.UpdateProfessionalAsync(new UpdateProfessionalRequest
        {
            Professional = new Professional { Id = colleague.Id, Etag = read.Etag, PersonalNhsNumber = own },
            UpdateMask = new FieldMask { Paths = { "personal_nhs_number" } },
        }, admin);
        var session = await host.SessionAsync(colleague.UserName);
        var token = await verifier.VerifyAsync((await Client.IssueAccessTokenAsync(DirectCare(nhs), session)).AccessToken);
        Assert.Equal("Person", token.ViewerFamilyName);
        Assert.Equal(own, token.ViewerNhsNumber);
        var emergency = await verifier.VerifyAsync((await Client.IssueEmergencyAccessTokenAsync(new IssueEmergencyAccessTokenRequest
        {
            NhsNumber = IdentityHost.Patient(Scenario.OptedOut), ReasonCode = EmergencyAccessReason.ClinicalEmergency, ReasonText = "Collapsed in clinic",
        }, session)).AccessToken);
        Assert.Equal(own, emergency.ViewerNhsNumber);
    }

    [Fact]
    public async Task No_relationship_means_no_token_and_says_so()
    {
        var session = await host.SessionAsync("clinician.rr8");
        await Client.IssueAccessTokenAsync(DirectCare(IdentityHost.Patient(Scenario.ExamplePatient)), session); // ward team relationship

        var info = await RpcAssert.Fails(StatusCode.PermissionDenied, "NO_CARE_RELATIONSHIP",
            async () => await Client.IssueAccessTokenAsync(DirectCare(IdentityHost.Patient(Scenario.OptedOut)), session));
        Assert.Equal("true", info.Metadata["emergency_access_allowed"]);
    }

    [Fact]
    public async Task Team_relationship_covers_team_members_only()
    {
        var feed = await host.SystemAsync("rgd-care-feed");
        var nhs = IdentityHost.NewNhsNumber();
        await host.RecordAsync(feed, nhs, CareRelationshipKind.MentalHealthCareTeam, c => c.TeamId = "RGD:CMHT-SOUTH");
        var member = await host.NewProfessionalAsync(RoleCatalogue.NurseAccess, "RGD", teams: "RGD:CMHT-SOUTH");
        var colleague = await host.NewProfessionalAsync(RoleCatalogue.NurseAccess, "RGD", teams: "RGD:CMHT-NORTH");

        await Client.IssueAccessTokenAsync(DirectCare(nhs), await host.SessionAsync(member.UserName));
        await RpcAssert.Fails(StatusCode.PermissionDenied, "NO_CARE_RELATIONSHIP",
            async () => await Client.IssueAccessTokenAsync(DirectCare(nhs), await host.SessionAsync(colleague.UserName)));
    }

    [Fact]
    public async Task Ended_relationship_gives_no_new_token()
    {
        var feed = await host.SystemAsync("rr8-ppm-feed");
        var nhs = IdentityHost.NewNhsNumber();
        var doctor = await host.NewProfessionalAsync(RoleCatalogue.ClinicalPractitioner, "RR8");
        var rel = await host.RecordAsync(feed, nhs, CareRelationshipKind.InpatientEpisode, c => c.ProfessionalId = doctor.Id);
        var session = await host.SessionAsync(doctor.UserName);
        var first = await Client.IssueAccessTokenAsync(DirectCare(nhs), session);
        Assert.Equal(rel.Id, first.CareRelationshipId);

        var ended = (await Client.EndCareRelationshipAsync(new EndCareRelationshipRequest { CareRelationshipId = rel.Id }, feed)).CareRelationship;
        Assert.False(ended.Active);
        Assert.NotNull(ended.EndTime);

        await RpcAssert.Fails(StatusCode.PermissionDenied, "NO_CARE_RELATIONSHIP",
            async () => await Client.IssueAccessTokenAsync(DirectCare(nhs), session));
    }

    [Fact]
    public async Task Break_glass_needs_a_coded_reason_and_text_and_is_marked_with_a_shorter_expiry()
    {
        var session = await host.SessionAsync("ed.rr8");
        var nhs = IdentityHost.Patient(Scenario.ExamplePatient);
        await RpcAssert.Fails(StatusCode.PermissionDenied, "NO_CARE_RELATIONSHIP",
            async () => await Client.IssueAccessTokenAsync(DirectCare(nhs), session));

        await RpcAssert.InvalidFields(async () => await Client.IssueEmergencyAccessTokenAsync(
            new IssueEmergencyAccessTokenRequest { NhsNumber = nhs }, session), "reason_code", "reason_text");
        await RpcAssert.InvalidFields(async () => await Client.IssueEmergencyAccessTokenAsync(new IssueEmergencyAccessTokenRequest
        {
            NhsNumber = nhs, ReasonCode = EmergencyAccessReason.ClinicalEmergency, ReasonText = "urgent",
        }, session), "reason_text");

        var issued = await Client.IssueEmergencyAccessTokenAsync(new IssueEmergencyAccessTokenRequest
        {
            NhsNumber = nhs,
            ReasonCode = EmergencyAccessReason.ClinicalEmergency,
            ReasonText = "Brought in unconscious, no history available",
        }, session);
        var token = await host.GatewayVerifier().Verifier.VerifyAsync(issued.AccessToken);
        Assert.True(token.IsEmergency);
        Assert.Equal(PurposeOfUse.EmergencyCare, token.Purpose);
        Assert.Equal(EmergencyAccessReason.ClinicalEmergency, token.Emergency!.ReasonCode);
        Assert.Equal("Brought in unconscious, no history available", token.Emergency.ReasonText);
        Assert.Null(token.CareRelationshipId);
        Assert.True(token.ExpiresAt - token.IssuedAt <= TimeSpan.FromMinutes(5));

        var normal = await host.GatewayVerifier().Verifier.VerifyAsync(
            (await Client.IssueAccessTokenAsync(DirectCare(nhs), await host.SessionAsync("clinician.rr8"))).AccessToken);
        Assert.True(token.ExpiresAt - token.IssuedAt < normal.ExpiresAt - normal.IssuedAt);
    }

    [Fact]
    public async Task A_sealed_record_justification_is_20_to_1000_characters_and_travels_only_in_the_emergency_token()
    {
        var session = await host.SessionAsync("ed.rr8");
        var nhs = IdentityHost.Patient(Scenario.ExamplePatient);
        IssueEmergencyAccessTokenRequest Request(string justification) => new()
        {
            NhsNumber = nhs,
            ReasonCode = EmergencyAccessReason.ClinicalEmergency,
            ReasonText = "Brought in unconscious, no history available",
            SealedRecordJustification = justification,
        };

        await RpcAssert.InvalidFields(async () => await Client.IssueEmergencyAccessTokenAsync(Request("too short, sorry"), session),
            "sealed_record_justification");
        await RpcAssert.InvalidFields(async () => await Client.IssueEmergencyAccessTokenAsync(Request(new string('x', 1001)), session),
            "sealed_record_justification");

        var (verifier, _) = host.GatewayVerifier();
        var justified = await verifier.VerifyAsync((await Client.IssueEmergencyAccessTokenAsync(
            Request("  Cardiac arrest in ED, the sealed history is needed for resuscitation  "), session)).AccessToken);
        Assert.Equal("Cardiac arrest in ED, the sealed history is needed for resuscitation", justified.SealedRecordJustification);

        // Without one (the ordinary break-glass), and never on a direct-care token.
        Assert.Null((await verifier.VerifyAsync((await Client.IssueEmergencyAccessTokenAsync(Request(string.Empty), session)).AccessToken))
            .SealedRecordJustification);
        Assert.Null((await verifier.VerifyAsync((await Client.IssueAccessTokenAsync(DirectCare(nhs),
            await host.SessionAsync("clinician.rr8"))).AccessToken)).SealedRecordJustification);
    }

    [Fact]
    public async Task Roles_without_emergency_access_cannot_break_glass()
    {
        var session = await host.SessionAsync("clerk.rr8");
        await RpcAssert.Fails(StatusCode.PermissionDenied, "EMERGENCY_ACCESS_NOT_PERMITTED", async () =>
            await Client.IssueEmergencyAccessTokenAsync(new IssueEmergencyAccessTokenRequest
            {
                NhsNumber = IdentityHost.Patient(7),
                ReasonCode = EmergencyAccessReason.Other,
                ReasonText = "Patient at the desk asking for an appointment",
            }, session));
    }

    [Fact]
    public async Task Clerk_token_allows_demographics_and_alert_kinds_only_and_social_care_its_own_set()
    {
        var clerk = await Client.IssueAccessTokenAsync(DirectCare(IdentityHost.Patient(Scenario.BlocksProfessional)), await host.SessionAsync("clerk.rr8"));
        Assert.Equal([RecordCategory.Demographics, RecordCategory.RisksAndAlerts], clerk.AllowedCategories);
        Assert.True(clerk.AlertDetailsWithheld);

        var social = await Client.IssueAccessTokenAsync(DirectCare(IdentityHost.Patient(Scenario.SocialCareCase)), await host.SessionAsync("socialworker.00da"));
        Assert.Equal(
            [RecordCategory.Demographics, RecordCategory.Problems, RecordCategory.Medications, RecordCategory.Allergies, RecordCategory.Documents,
                RecordCategory.RisksAndAlerts],
            social.AllowedCategories);
        Assert.False(social.AlertDetailsWithheld);
    }

    [Fact]
    public async Task Ig_officer_gets_governance_tokens_without_clinical_categories_and_no_direct_care()
    {
        var session = await host.SessionAsync("ig.rr8");
        var nhs = IdentityHost.Patient(Scenario.ExamplePatient);
        await RpcAssert.Fails(StatusCode.PermissionDenied, "PURPOSE_NOT_PERMITTED",
            async () => await Client.IssueAccessTokenAsync(DirectCare(nhs), session));

        var issued = await Client.IssueAccessTokenAsync(new IssueAccessTokenRequest { NhsNumber = nhs, Purpose = PurposeOfUse.InformationGovernance }, session);
        Assert.Empty(issued.AllowedCategories);
        var token = await host.GatewayVerifier().Verifier.VerifyAsync(issued.AccessToken);
        Assert.Equal(PurposeOfUse.InformationGovernance, token.Purpose);
        Assert.Empty(token.AllowedCategories);
    }

    [Fact]
    public async Task Professional_with_several_roles_must_choose_one()
    {
        var pro = await host.NewProfessionalAsync(RoleCatalogue.ClinicalPractitioner, "B86001");
        var admin = await host.AdminAsync();
        var second = (await Client.CreateRoleAssignmentAsync(new CreateRoleAssignmentRequest
        {
            RoleAssignment = new RoleAssignment { ProfessionalId = pro.Id, Organisation = new OrganisationReference { OdsCode = "B86002" }, RoleCode = "R8000" },
        }, admin)).RoleAssignment;
        var session = await host.SessionAsync(pro.UserName);
        var b86002Patient = IdentityHost.Patient(7); // registered at B86002, no other relationship

        await RpcAssert.InvalidFields(async () => await Client.IssueAccessTokenAsync(DirectCare(b86002Patient), session), "role_assignment_id");
        // Acting at B86001, the B86002 registration does not count.
        await RpcAssert.Fails(StatusCode.PermissionDenied, "NO_CARE_RELATIONSHIP", async () => await Client.IssueAccessTokenAsync(
            new IssueAccessTokenRequest { NhsNumber = b86002Patient, Purpose = PurposeOfUse.DirectCare, RoleAssignmentId = pro.RoleAssignmentId }, session));
        var issued = await Client.IssueAccessTokenAsync(
            new IssueAccessTokenRequest { NhsNumber = b86002Patient, Purpose = PurposeOfUse.DirectCare, RoleAssignmentId = second.Id }, session);
        Assert.Equal("B86002", (await host.GatewayVerifier().Verifier.VerifyAsync(issued.AccessToken)).OrganisationOdsCode);

        // An ended role issues nothing more.
        await Client.EndRoleAssignmentAsync(new EndRoleAssignmentRequest { RoleAssignmentId = second.Id }, admin);
        await RpcAssert.InvalidFields(async () => await Client.IssueAccessTokenAsync(
            new IssueAccessTokenRequest { NhsNumber = b86002Patient, Purpose = PurposeOfUse.DirectCare, RoleAssignmentId = second.Id }, session),
            "role_assignment_id");
    }

    [Fact]
    public async Task Access_calls_need_a_session_token_not_another_kind()
    {
        var nhs = IdentityHost.Patient(Scenario.ExamplePatient);
        await RpcAssert.Fails(StatusCode.Unauthenticated, TokenRefusal.Missing, async () => await Client.IssueAccessTokenAsync(DirectCare(nhs)));
        await RpcAssert.Fails(StatusCode.Unauthenticated, TokenRefusal.WrongType,
            async () => await Client.IssueAccessTokenAsync(DirectCare(nhs), await host.SystemAsync("b86001-gp-feed")));
        var access = await Client.IssueAccessTokenAsync(DirectCare(nhs), await host.SessionAsync("gp.b86001"));
        await RpcAssert.Fails(StatusCode.Unauthenticated, TokenRefusal.WrongType,
            async () => await Client.IssueAccessTokenAsync(DirectCare(nhs), BearerToken.Metadata(access.AccessToken)));
    }

    [Fact]
    public async Task Bad_access_requests_name_each_field()
    {
        var session = await host.SessionAsync("gp.b86001");
        await RpcAssert.InvalidFields(async () => await Client.IssueAccessTokenAsync(
            new IssueAccessTokenRequest { NhsNumber = "9990000000", RoleAssignmentId = "nope" }, session), "nhs_number", "purpose", "role_assignment_id");
        await RpcAssert.InvalidFields(async () => await Client.IssueAccessTokenAsync(
            new IssueAccessTokenRequest { NhsNumber = IdentityHost.Patient(0), Purpose = PurposeOfUse.EmergencyCare }, session), "purpose");
    }

    [Fact]
    public async Task Password_reset_and_deactivation_end_existing_sessions()
    {
        var pro = await host.NewProfessionalAsync(RoleCatalogue.ClinicalPractitioner, "B86001");
        var session = await host.SessionAsync(pro.UserName);
        var nhs = IdentityHost.Patient(Scenario.ExamplePatient);
        await Client.IssueAccessTokenAsync(DirectCare(nhs), session);

        var admin = await host.AdminAsync();
        var current = (await Client.GetProfessionalAsync(new GetProfessionalRequest { ProfessionalId = pro.Id }, admin)).Professional;
        await Client.UpdateProfessionalAsync(new UpdateProfessionalRequest
        {
            Professional = new Professional { Id = pro.Id, Etag = current.Etag, Active = false },
            UpdateMask = new FieldMask { Paths = { "active" } },
        }, admin);

        await RpcAssert.Fails(StatusCode.Unauthenticated, "SESSION_REVOKED", async () => await Client.IssueAccessTokenAsync(DirectCare(nhs), session));
        await RpcAssert.Fails(StatusCode.Unauthenticated, "INVALID_CREDENTIALS", () => host.SignInAsync(pro.UserName));
    }
}
