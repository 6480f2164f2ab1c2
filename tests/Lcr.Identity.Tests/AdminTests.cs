using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Identity.V1;
using Lcr.Security;

namespace Lcr.Identity.Tests;

[Collection(IdentityCollection.Name)]
public sealed class AdminTests(IdentityHost host)
{
    private IdentityService.IdentityServiceClient Client => host.Client;

    [Fact]
    public async Task Administration_needs_the_admin_scope()
    {
        var request = new CreateOrganisationRequest { Organisation = new Organisation { OdsCode = "RXX", DisplayName = "X", Kind = OrganisationKind.AcuteHospital } };
        await RpcAssert.Fails(StatusCode.Unauthenticated, TokenRefusal.Missing, async () => await Client.CreateOrganisationAsync(request));
        await RpcAssert.Fails(StatusCode.PermissionDenied, "SCOPE_NOT_PERMITTED", async () => await Client.CreateOrganisationAsync(request, await host.SystemAsync("rr8-ppm-feed")));
        await RpcAssert.Fails(StatusCode.Unauthenticated, TokenRefusal.WrongType, async () => await Client.CreateOrganisationAsync(request, await host.SessionAsync("ig.rr8")));
        await RpcAssert.Fails(StatusCode.PermissionDenied, "SCOPE_NOT_PERMITTED", async () =>
            await Client.RotateSigningKeyAsync(new RotateSigningKeyRequest { RequestId = Guid.NewGuid().ToString() }, await host.SystemAsync("rr8-ppm-feed")));

        // Organisations can be read by any authenticated caller, professional or system.
        var listed = await Client.ListOrganisationsAsync(new ListOrganisationsRequest { Kind = OrganisationKind.GpPractice }, await host.SessionAsync("gp.b86001"));
        Assert.Equal(["B86001", "B86002", "B86003"], listed.Organisations.Select(o => o.OdsCode));
    }

    [Fact]
    public async Task Organisation_registration_is_idempotent_and_conflicts_are_refused()
    {
        var admin = await host.AdminAsync();
        var org = new Organisation { OdsCode = "rcb", DisplayName = "York and Scarborough Teaching Hospitals", Kind = OrganisationKind.AcuteHospital };
        var first = (await Client.CreateOrganisationAsync(new CreateOrganisationRequest { Organisation = org }, admin)).Organisation;
        Assert.Equal("RCB", first.OdsCode);
        Assert.True(first.Active);
        await Client.CreateOrganisationAsync(new CreateOrganisationRequest { Organisation = org }, admin);
        org.DisplayName = "Someone else";
        await RpcAssert.Fails(StatusCode.AlreadyExists, async () => await Client.CreateOrganisationAsync(new CreateOrganisationRequest { Organisation = org }, admin));
        await RpcAssert.InvalidFields(async () => await Client.CreateOrganisationAsync(
            new CreateOrganisationRequest { Organisation = new Organisation { OdsCode = "x" } }, admin),
            "organisation.ods_code", "organisation.display_name", "organisation.kind");
    }

    [Fact]
    public async Task Professional_creation_validates_every_field_and_retries_safely()
    {
        var admin = await host.AdminAsync();
        await RpcAssert.InvalidFields(async () => await Client.CreateProfessionalAsync(new CreateProfessionalRequest
        {
            InitialPassword = "short",
            Professional = new Professional
            {
                UserName = "a b", PersonalNhsNumber = "123", TeamIds = { "bad team" },
                Registration = new ProfessionalRegistration { Number = "1" },
            },
        }, admin), "request_id", "initial_password", "professional.user_name", "professional.given_name", "professional.family_name",
            "professional.personal_nhs_number", "professional.team_ids[0]", "professional.registration.body");

        var request = new CreateProfessionalRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            InitialPassword = "A-Long-Enough-Password",
            Professional = new Professional
            {
                UserName = "N.Nurse." + Guid.NewGuid().ToString("N")[..6], Title = "Ms", GivenName = "Nia", FamilyName = "Nurse",
                Registration = new ProfessionalRegistration { Body = RegulatoryBody.Nmc, Number = "12A3456E" },
            },
        };
        var created = (await Client.CreateProfessionalAsync(request, admin)).Professional;
        var retried = (await Client.CreateProfessionalAsync(request, admin)).Professional;
        Assert.Equal(created.Id, retried.Id);
        Assert.Equal(request.Professional.UserName.ToLowerInvariant(), created.UserName);
        Assert.Equal("Ms Nia Nurse", created.DisplayName);

        request.RequestId = Guid.NewGuid().ToString();
        await RpcAssert.Fails(StatusCode.AlreadyExists, async () => await Client.CreateProfessionalAsync(request, admin));
        await RpcAssert.InvalidFields(async () => await Client.CreateRoleAssignmentAsync(new CreateRoleAssignmentRequest
        {
            RoleAssignment = new RoleAssignment { ProfessionalId = created.Id, RoleCode = "R9999" },
        }, admin), "role_assignment.organisation", "role_assignment.role_code");
    }

    [Fact]
    public async Task Stale_etag_is_aborted_and_nothing_is_written()
    {
        var admin = await host.AdminAsync();
        var pro = await host.NewProfessionalAsync("R8000", "B86001");
        var read = (await Client.GetProfessionalAsync(new GetProfessionalRequest { ProfessionalId = pro.Id }, admin)).Professional;
        await Client.UpdateProfessionalAsync(new UpdateProfessionalRequest
        {
            Professional = new Professional { Id = pro.Id, Etag = read.Etag, FamilyName = "Changed" },
            UpdateMask = new FieldMask { Paths = { "family_name" } },
        }, admin);
        await RpcAssert.Fails(StatusCode.Aborted, async () => await Client.UpdateProfessionalAsync(new UpdateProfessionalRequest
        {
            Professional = new Professional { Id = pro.Id, Etag = read.Etag, FamilyName = "Lost" },
            UpdateMask = new FieldMask { Paths = { "family_name" } },
        }, admin));
        Assert.Equal("Changed", (await Client.GetProfessionalAsync(new GetProfessionalRequest { ProfessionalId = pro.Id }, admin)).Professional.FamilyName);
        await RpcAssert.InvalidFields(async () => await Client.UpdateProfessionalAsync(new UpdateProfessionalRequest
        {
            Professional = new Professional { Id = pro.Id, Etag = read.Etag },
            UpdateMask = new FieldMask { Paths = { "user_name" } },
        }, admin), "update_mask.paths[0]");
    }

    [Fact]
    public async Task Rotated_client_secret_replaces_the_old_one_immediately()
    {
        var admin = await host.AdminAsync();
        var created = await Client.CreateSystemClientAsync(new CreateSystemClientRequest
        {
            SystemClient = new SystemClient
            {
                ClientId = "rotating-" + Guid.NewGuid().ToString("N")[..6], DisplayName = "Rotating",
                Organisation = new OrganisationReference { OdsCode = "RR8" }, Scopes = { "record.contribute" },
            },
        }, admin);
        var rotated = await Client.RotateSystemClientSecretAsync(new RotateSystemClientSecretRequest { ClientId = created.SystemClient.ClientId }, admin);
        Assert.NotEqual(created.ClientSecret, rotated.ClientSecret);
        await RpcAssert.Fails(StatusCode.Unauthenticated, "INVALID_CLIENT", async () =>
            await Client.IssueSystemTokenAsync(new IssueSystemTokenRequest { ClientId = created.SystemClient.ClientId, ClientSecret = created.ClientSecret }));
        await Client.IssueSystemTokenAsync(new IssueSystemTokenRequest { ClientId = created.SystemClient.ClientId, ClientSecret = rotated.ClientSecret });
        await RpcAssert.InvalidFields(async () => await Client.CreateSystemClientAsync(new CreateSystemClientRequest
        {
            SystemClient = new SystemClient { ClientId = "Bad Id", Scopes = { "everything" } },
        }, admin), "system_client.client_id", "system_client.display_name", "system_client.organisation.ods_code", "system_client.scopes[0]");
    }
}
