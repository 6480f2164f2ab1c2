using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Identity.Application.Federation;
using Lcr.Identity.Domain.Federation;
using Lcr.Identity.V1;
using Lcr.Security;

namespace Lcr.Identity.Tests.Federation;

/// <summary>Joiners and leavers with a real provider whose people change while it runs (<see cref="ProviderPeopleFixture"/>).</summary>
[Collection(ProviderPeopleCollection.Name)]
public sealed class FederationLifecycleTests(ProviderPeopleFixture fixture)
{
    private const string ClinicianAtRr8 = "885943094786";
    private const string ClinicianAtRgd = "465122097573";

    private IdentityHost Host => fixture.Host;

    private IdentityService.IdentityServiceClient Client => fixture.Host.Client;

    private Task<ExchangeFederatedTokenResponse> ExchangeAsync(string idToken, string roleProfileId) =>
        Client.ExchangeFederatedTokenAsync(new ExchangeFederatedTokenRequest
        {
            SubjectToken = idToken,
            SubjectTokenType = FederationOptions.IdTokenType,
            RoleProfileId = roleProfileId,
        }).ResponseAsync;

    [Fact]
    public async Task A_role_ended_at_the_provider_since_the_last_session_ends_the_platform_role_and_that_session_at_the_next_exchange()
    {
        var first = await ExchangeAsync(await fixture.IdTokenAsync("clinician.rr8"), ClinicianAtRr8);
        var session = BearerToken.Metadata(first.SessionToken);
        var patient = IdentityHost.Patient(0); // inpatient on RR8:WARD-12, his team
        await Client.IssueAccessTokenAsync(new IssueAccessTokenRequest { NhsNumber = patient, Purpose = PurposeOfUse.DirectCare }, session);

        // CIS2 ends his role profile at RR8; he signs in again (his RGD profile stays).
        await fixture.ChangePeopleAsync(people =>
        {
            var roles = ProviderPeopleFixture.Person(people, "clinician.rr8")["nhsid_nrbac_roles"]!.AsArray();
            roles.Remove(roles.Single(r => (string?)r!["person_roleid"] == ClinicianAtRr8));
        });
        var second = await fixture.IdTokenAsync("clinician.rr8");
        await RpcAssert.Fails(StatusCode.PermissionDenied, NationalRoleMap.NoMatchingRoleAssignment, () => ExchangeAsync(second, ClinicianAtRgd));

        // The exchange ended the role assignment bound to the RR8 profile, and recorded it.
        var e = await SignInEvents.LastAsync(Host);
        Assert.Equal(Guid.Parse(first.RoleAssignmentId), Assert.Single(e.EndedRoleAssignmentIds));
        var pro = (await Client.GetProfessionalAsync(new GetProfessionalRequest { ProfessionalId = first.Professional.Id }, await Host.AdminAsync())).Professional;
        Assert.NotNull(Assert.Single(pro.RoleAssignments, r => r.Id == first.RoleAssignmentId).EndTime);

        // The session bound to it stops at once, and neither the new token nor the old one brings it back.
        await RpcAssert.Fails(StatusCode.PermissionDenied, "NO_ACTIVE_ROLE", () => Client.IssueAccessTokenAsync(
            new IssueAccessTokenRequest { NhsNumber = patient, Purpose = PurposeOfUse.DirectCare }, session).ResponseAsync);
        await RpcAssert.Fails(StatusCode.PermissionDenied, NationalRoleMap.RoleProfileNotInToken, () => ExchangeAsync(second, ClinicianAtRr8));
    }

    [Fact]
    public async Task An_unknown_person_and_an_unmapped_role_profile_are_refused_recorded_and_listed_as_joiners_the_platform_team_can_link()
    {
        var starterToken = await fixture.IdTokenAsync(ProviderPeopleFixture.NewStarter);
        await RpcAssert.Fails(StatusCode.Unauthenticated, FederatedSignInService.UnknownSubject, () => ExchangeAsync(starterToken, ProviderPeopleFixture.NewStarterProfile));
        await RpcAssert.Fails(StatusCode.Unauthenticated, FederatedSignInService.UnknownSubject, () => ExchangeAsync(starterToken, ProviderPeopleFixture.NewStarterProfile));
        var refused = await SignInEvents.AssertRefusedAsync(Host, ProviderPeopleFixture.ProviderName, FederatedSignInService.UnknownSubject);
        Assert.Equal(fixture.NewStarterSubject, refused.Subject);
        Assert.Null(refused.ProfessionalId);

        var ed = await fixture.IdTokenAsync("ed.rr8");
        await RpcAssert.Fails(StatusCode.PermissionDenied, NationalRoleMap.RoleNotMapped, () => ExchangeAsync(ed, ProviderPeopleFixture.UnmappedProfile));
        await SignInEvents.AssertRefusedAsync(Host, ProviderPeopleFixture.ProviderName, NationalRoleMap.RoleNotMapped);

        var admin = await Host.AdminAsync();
        var open = (await Client.ListFederatedJoinersAsync(new ListFederatedJoinersRequest { Status = FederatedJoinerStatus.Open }, admin)).Joiners;
        var starter = Assert.Single(open, j => j.Subject == fixture.NewStarterSubject);
        Assert.Equal(ProviderPeopleFixture.ProviderName, starter.Provider);
        Assert.Equal(("Nadia", "Starter"), (starter.GivenName, starter.FamilyName));
        Assert.Equal(2, starter.Attempts);
        Assert.Equal(FederatedSignInService.UnknownSubject, starter.LastReason);
        var profile = Assert.Single(starter.RoleProfiles);
        Assert.Equal((ProviderPeopleFixture.NewStarterProfile, "RR8", "S8000:G8000:R8000"), (profile.RoleProfileId, profile.OrgCode, profile.RoleCode));
        var unmapped = Assert.Single(open, j => j.Subject == new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(ed).Subject);
        Assert.Equal(NationalRoleMap.RoleNotMapped, unmapped.LastReason);

        // The platform team creates her account at RR8 and links it: her next exchange signs her in.
        var (id, roleAssignmentId, _) = await Host.NewProfessionalAsync("R8000", "RR8");
        var linked = (await Client.LinkFederatedJoinerAsync(new LinkFederatedJoinerRequest { JoinerId = starter.Id, ProfessionalId = id }, admin)).Joiner;
        Assert.Equal(FederatedJoinerStatus.Linked, linked.Status);
        Assert.Equal(id, linked.LinkedProfessionalId);
        var session = await ExchangeAsync(await fixture.IdTokenAsync(ProviderPeopleFixture.NewStarter), ProviderPeopleFixture.NewStarterProfile);
        Assert.Equal(roleAssignmentId, session.RoleAssignmentId);

        var dismissed = (await Client.DismissFederatedJoinerAsync(new DismissFederatedJoinerRequest { JoinerId = unmapped.Id }, admin)).Joiner;
        Assert.Equal(FederatedJoinerStatus.Dismissed, dismissed.Status);
        Assert.DoesNotContain((await Client.ListFederatedJoinersAsync(new ListFederatedJoinersRequest { Status = FederatedJoinerStatus.Open }, admin)).Joiners,
            j => j.Id == unmapped.Id || j.Id == starter.Id);
        await RpcAssert.Fails(StatusCode.FailedPrecondition, "JOINER_DISMISSED", () => Client.LinkFederatedJoinerAsync(
            new LinkFederatedJoinerRequest { JoinerId = unmapped.Id, ProfessionalId = id }, admin).ResponseAsync);

        // Names from the token are kept in identity's database, never in its logs.
        Assert.DoesNotContain(Host.Logs.Lines, l => l.Contains("Starter", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_organisations_administrators_see_only_joiners_with_a_role_profile_at_their_organisation()
    {
        var ed = await fixture.IdTokenAsync("ed.rr8");
        await RpcAssert.Fails(StatusCode.PermissionDenied, () => ExchangeAsync(ed, ProviderPeopleFixture.UnmappedProfile));

        var rr8 = await AdminOfAsync("RR8");
        var b86001 = await AdminOfAsync("B86001");
        var seenByRr8 = (await Client.ListFederatedJoinersAsync(new ListFederatedJoinersRequest(), rr8)).Joiners;
        Assert.Contains(seenByRr8, j => j.RoleProfiles.Any(p => p.RoleProfileId == ProviderPeopleFixture.UnmappedProfile));
        var seenByB86001 = (await Client.ListFederatedJoinersAsync(new ListFederatedJoinersRequest(), b86001)).Joiners;
        Assert.DoesNotContain(seenByB86001, j => j.RoleProfiles.Any(p => p.OrgCode != "B86001"));
        var atRr8 = seenByRr8.First(j => j.RoleProfiles.Any(p => p.RoleProfileId == ProviderPeopleFixture.UnmappedProfile));
        await RpcAssert.Fails(StatusCode.NotFound, () => Client.DismissFederatedJoinerAsync(new DismissFederatedJoinerRequest { JoinerId = atRr8.Id }, b86001).ResponseAsync);

        // RR8 links only its own people: not a professional of another organisation (as if absent),
        // and not one of its own already linked to another subject (only the operator relinks).
        var (atB86001, _, _) = await Host.NewProfessionalAsync("R8000", "B86001");
        await RpcAssert.Fails(StatusCode.NotFound, () => Client.LinkFederatedJoinerAsync(
            new LinkFederatedJoinerRequest { JoinerId = atRr8.Id, ProfessionalId = atB86001 }, rr8).ResponseAsync);
        var (ownButLinked, _, _) = await Host.NewProfessionalAsync("R8000", "RR8");
        var current = (await Client.GetProfessionalAsync(new GetProfessionalRequest { ProfessionalId = ownButLinked }, await Host.AdminAsync())).Professional;
        await Client.UpdateProfessionalAsync(new UpdateProfessionalRequest
        {
            Professional = new Professional { Id = ownButLinked, Etag = current.Etag, FederatedSubject = "someone-else-" + Guid.NewGuid().ToString("N") },
            UpdateMask = new Google.Protobuf.WellKnownTypes.FieldMask { Paths = { "federated_subject" } },
        }, await Host.AdminAsync());
        await RpcAssert.Fails(StatusCode.FailedPrecondition, "PROFESSIONAL_ALREADY_LINKED", () => Client.LinkFederatedJoinerAsync(
            new LinkFederatedJoinerRequest { JoinerId = atRr8.Id, ProfessionalId = ownButLinked }, rr8).ResponseAsync);
        var afterRefusals = (await Client.GetProfessionalAsync(new GetProfessionalRequest { ProfessionalId = ownButLinked }, await Host.AdminAsync())).Professional;
        Assert.StartsWith("someone-else-", afterRefusals.FederatedSubject, StringComparison.Ordinal);

        await RpcAssert.InvalidFields(() => Client.ListFederatedJoinersAsync(
            new ListFederatedJoinersRequest { PageSize = -1, OrganisationOdsCode = "not an ods code!", Status = (FederatedJoinerStatus)99 }, rr8).ResponseAsync,
            "page_size", "organisation_ods_code", "status");
        await RpcAssert.InvalidFields(() => Client.LinkFederatedJoinerAsync(new LinkFederatedJoinerRequest { JoinerId = "x" }, rr8).ResponseAsync,
            "joiner_id", "professional_id");
        var feed = await Host.SystemAsync("rr8-ppm-feed");
        await RpcAssert.Fails(StatusCode.PermissionDenied, () => Client.ListFederatedJoinersAsync(new ListFederatedJoinersRequest(), feed).ResponseAsync);
    }

    [Fact]
    public async Task A_token_from_a_provider_this_platform_does_not_trust_is_recorded_as_the_wrong_issuer()
    {
        var foreign = await DevOidcProvider.IdTokenAsync("clinician.rr8", FederationHost.HospitalEpr); // the shared provider, not trusted here
        await RpcAssert.Fails(StatusCode.Unauthenticated, FederatedTokenValidator.Invalid, () => ExchangeAsync(foreign, ClinicianAtRr8));
        var e = await SignInEvents.AssertRefusedAsync(Host, "unknown", FederatedTokenValidator.Invalid, "issuer");
        Assert.Null(e.Subject);
    }

    [Fact]
    public async Task The_platform_team_reads_and_verifies_the_sign_in_record_and_no_other_organisation_may()
    {
        var refused = await fixture.IdTokenAsync("ed.rr8");
        await RpcAssert.Fails(StatusCode.PermissionDenied, NationalRoleMap.RoleNotMapped, () => ExchangeAsync(refused, ProviderPeopleFixture.UnmappedProfile));
        var signedIn = await ExchangeAsync(refused, "417261605125");

        var admin = await Host.AdminAsync();
        var events = (await Client.ListFederatedSignInEventsAsync(new ListFederatedSignInEventsRequest { ProfessionalId = signedIn.Professional.Id, PageSize = 1 }, admin));
        var last = Assert.Single(events.Events);
        Assert.Equal(FederatedSignInLog.SignedIn, last.Outcome);
        Assert.Equal(signedIn.RoleAssignmentId, last.RoleAssignmentId);
        var earlier = await Client.ListFederatedSignInEventsAsync(new ListFederatedSignInEventsRequest
        {
            ProfessionalId = signedIn.Professional.Id, PageSize = 1, PageToken = events.NextPageToken,
        }, admin);
        Assert.Equal(NationalRoleMap.RoleNotMapped, Assert.Single(earlier.Events).Outcome);
        var mapped = await Client.ListFederatedSignInEventsAsync(new ListFederatedSignInEventsRequest { Outcome = NationalRoleMap.RoleNotMapped }, admin);
        Assert.All(mapped.Events, e => Assert.Equal(NationalRoleMap.RoleNotMapped, e.Outcome));

        var verified = await Client.VerifyFederatedSignInEventsAsync(new VerifyFederatedSignInEventsRequest(), admin);
        Assert.True(verified.Intact);
        Assert.True(verified.EventsVerified >= 2);

        var rr8 = await AdminOfAsync("RR8");
        await RpcAssert.Fails(StatusCode.PermissionDenied, "PLATFORM_OPERATOR_ONLY",
            () => Client.ListFederatedSignInEventsAsync(new ListFederatedSignInEventsRequest(), rr8).ResponseAsync);
        await RpcAssert.InvalidFields(() => Client.ListFederatedSignInEventsAsync(
            new ListFederatedSignInEventsRequest { ProfessionalId = "nobody", PageSize = -1 }, admin).ResponseAsync, "professional_id", "page_size");
    }

    private async Task<Metadata> AdminOfAsync(string ods)
    {
        var created = await Client.CreateSystemClientAsync(new CreateSystemClientRequest
        {
            SystemClient = new SystemClient
            {
                ClientId = "admin-" + ods.ToLowerInvariant() + "-" + Guid.NewGuid().ToString("N")[..8],
                DisplayName = "Organisation administration",
                Organisation = new OrganisationReference { OdsCode = ods },
                Scopes = { "identity.admin" },
            },
        }, await Host.AdminAsync());
        var token = await Client.IssueSystemTokenAsync(new IssueSystemTokenRequest { ClientId = created.SystemClient.ClientId, ClientSecret = created.ClientSecret });
        return BearerToken.Metadata(token.SystemToken);
    }
}
