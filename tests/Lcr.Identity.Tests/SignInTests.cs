using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Identity.Domain;
using Lcr.Identity.V1;
using Lcr.Testing;

namespace Lcr.Identity.Tests;

[Collection(IdentityCollection.Name)]
public sealed class SignInTests(IdentityHost host)
{
    private IdentityService.IdentityServiceClient Client => host.Client;

    [Fact]
    public async Task A_success_resets_the_failure_count()
    {
        var pro = await host.NewProfessionalAsync(RoleCatalogue.ClinicalPractitioner, "B86001");
        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < 4; i++)
            {
                await RpcAssert.Fails(StatusCode.Unauthenticated, "INVALID_CREDENTIALS", () => host.SignInAsync(pro.UserName, "wrong-password"));
            }

            await host.SignInAsync(pro.UserName);
        }
    }

    [Fact]
    public async Task Unknown_user_and_wrong_password_are_indistinguishable()
    {
        var unknown = await RpcAssert.Fails(StatusCode.Unauthenticated, () => host.SignInAsync("nobody.here", "whatever-password"));
        var wrong = await RpcAssert.Fails(StatusCode.Unauthenticated, () => host.SignInAsync("gp.b86001", "whatever-password"));
        Assert.Equal(unknown.Status.Detail, wrong.Status.Detail);
        await RpcAssert.InvalidFields(async () => await Client.SignInAsync(new SignInRequest()), "user_name", "password");
    }

    [Fact]
    public async Task Passwords_and_secrets_are_never_stored_or_logged_in_clear()
    {
        const string password = "Distinctive-Pa55word-Canary";
        var pro = await host.NewProfessionalAsync(RoleCatalogue.ClinicalPractitioner, "B86001", password);
        await host.SignInAsync(pro.UserName, password);
        await RpcAssert.Fails(StatusCode.Unauthenticated, () => host.SignInAsync(pro.UserName, password + "-wrong"));

        var admin = await host.AdminAsync();
        var created = await Client.CreateSystemClientAsync(new CreateSystemClientRequest
        {
            SystemClient = new SystemClient
            {
                ClientId = "canary-feed-" + Guid.NewGuid().ToString("N")[..6],
                DisplayName = "Canary feed",
                Organisation = new OrganisationReference { OdsCode = "RY6" },
                Scopes = { "record.contribute" },
            },
        }, admin);
        var secret = created.ClientSecret;
        Assert.True(secret.Length >= 43);
        await Client.IssueSystemTokenAsync(new IssueSystemTokenRequest { ClientId = created.SystemClient.ClientId, ClientSecret = secret });
        await RpcAssert.Fails(StatusCode.Unauthenticated, "INVALID_CLIENT", async () =>
            await Client.IssueSystemTokenAsync(new IssueSystemTokenRequest { ClientId = created.SystemClient.ClientId, ClientSecret = secret + "x" }));

        // Nothing in the database holds them in clear: every column of every row is searched.
        var dump = (string)(await host.Database.ScalarAsync(
            "select string_agg(t::text, '|') from (select p::text as t from professionals p union all select c::text from system_clients c) x"))!;
        Assert.DoesNotContain(password, dump, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, dump, StringComparison.Ordinal);
        Assert.DoesNotContain(IdentityHost.SeedPassword, dump, StringComparison.Ordinal);
        Assert.DoesNotContain(IdentityHost.SeedSecret, dump, StringComparison.Ordinal);
        var hash = (string)(await host.Database.ScalarAsync("select password_hash from professionals where user_name = @u", ("u", pro.UserName)))!;
        Assert.StartsWith("AQAAAA", hash, StringComparison.Ordinal); // ASP.NET Core Identity v3 format (PBKDF2, salted)

        // Nor in any log line or span.
        var text = string.Join('\n', host.Logs.Lines) + string.Join('\n', SpanText.Of(host.Spans));
        Assert.DoesNotContain(password, text, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        Assert.DoesNotContain(IdentityHost.SeedPassword, text, StringComparison.Ordinal);
        Assert.DoesNotContain(IdentityHost.SeedSecret, text, StringComparison.Ordinal);
        Assert.DoesNotContain(IdentityHost.Patient(0), text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task System_token_carries_only_the_scopes_asked_for_and_held()
    {
        var r = await Client.IssueSystemTokenAsync(new IssueSystemTokenRequest { ClientId = "rr8-ppm-feed", ClientSecret = IdentityHost.SeedSecret, Scopes = { "record.contribute" } });
        Assert.Equal(["record.contribute"], r.Scopes);
        await RpcAssert.InvalidFields(async () => await Client.IssueSystemTokenAsync(
            new IssueSystemTokenRequest { ClientId = "rr8-ppm-feed", ClientSecret = IdentityHost.SeedSecret, Scopes = { "record.contribute", "identity.admin" } }),
            "scopes[1]");
    }

    [Fact]
    public async Task Disabled_client_gets_no_token_and_its_tokens_stop_working_at_identity()
    {
        var admin = await host.AdminAsync();
        var created = await Client.CreateSystemClientAsync(new CreateSystemClientRequest
        {
            SystemClient = new SystemClient
            {
                ClientId = "retiring-" + Guid.NewGuid().ToString("N")[..6], DisplayName = "Retiring feed",
                Organisation = new OrganisationReference { OdsCode = "RR8" }, Scopes = { "relationships.read" },
            },
        }, admin);
        var token = await Client.IssueSystemTokenAsync(new IssueSystemTokenRequest { ClientId = created.SystemClient.ClientId, ClientSecret = created.ClientSecret });
        var feed = Lcr.Security.BearerToken.Metadata(token.SystemToken);
        await Client.ListCareRelationshipsAsync(new ListCareRelationshipsRequest { NhsNumber = IdentityHost.Patient(0) }, feed);

        await Client.UpdateSystemClientAsync(new UpdateSystemClientRequest
        {
            SystemClient = new SystemClient { ClientId = created.SystemClient.ClientId, Etag = created.SystemClient.Etag, Active = false },
            UpdateMask = new FieldMask { Paths = { "active" } },
        }, admin);
        await RpcAssert.Fails(StatusCode.Unauthenticated, "CLIENT_DISABLED",
            async () => await Client.ListCareRelationshipsAsync(new ListCareRelationshipsRequest { NhsNumber = IdentityHost.Patient(0) }, feed));
        await RpcAssert.Fails(StatusCode.Unauthenticated, "INVALID_CLIENT", async () =>
            await Client.IssueSystemTokenAsync(new IssueSystemTokenRequest { ClientId = created.SystemClient.ClientId, ClientSecret = created.ClientSecret }));
    }
}
