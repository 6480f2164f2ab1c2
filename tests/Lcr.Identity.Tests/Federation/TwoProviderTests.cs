using Grpc.Core;
using Lcr.Identity.Application.Federation;
using Lcr.Identity.Domain.Federation;
using Lcr.Identity.V1;

namespace Lcr.Identity.Tests.Federation;

/// <summary>Two trusted providers, each for its own organisations, and a provider's key rotation.</summary>
[Collection(TwoProviderCollection.Name)]
public sealed class TwoProviderTests(TwoProviderFixture fixture)
{
    private const string SocialWorkerAt00da = "555083727483";
    private const string IgOfficerAtB86001 = "582351388882";

    private IdentityService.IdentityServiceClient Client => fixture.Host.Client;

    private Task<ExchangeFederatedTokenResponse> ExchangeAsync(string idToken, string roleProfileId) =>
        Client.ExchangeFederatedTokenAsync(new ExchangeFederatedTokenRequest
        {
            SubjectToken = idToken,
            SubjectTokenType = FederationOptions.IdTokenType,
            RoleProfileId = roleProfileId,
        }).ResponseAsync;

    private Task<string> SecondProviderTokenAsync(string userName) =>
        DevOidcProvider.IdTokenAsync(userName, FederationHost.GpSystem, issuer: fixture.Second.Issuer);

    /// <summary>Links a seeded professional to the second provider's subject for them (the same UUID, prefixed).</summary>
    private async Task LinkToSecondProviderAsync(string userName)
    {
        var admin = await fixture.Host.AdminAsync();
        var pro = (await Client.ListProfessionalsAsync(new ListProfessionalsRequest { PageSize = 100 }, admin)).Professionals.Single(p => p.UserName == userName);
        if (pro.FederatedSubject.StartsWith(TwoProviderFixture.SecondPrefix, StringComparison.Ordinal))
        {
            return;
        }

        await Client.UpdateProfessionalAsync(new UpdateProfessionalRequest
        {
            Professional = new Professional { Id = pro.Id, Etag = pro.Etag, FederatedSubject = TwoProviderFixture.SecondPrefix + pro.FederatedSubject },
            UpdateMask = new Google.Protobuf.WellKnownTypes.FieldMask { Paths = { "federated_subject" } },
        }, admin);
    }

    [Fact]
    public async Task Each_provider_vouches_only_for_its_own_organisations_and_its_own_subjects()
    {
        await LinkToSecondProviderAsync("socialworker.00da");
        await LinkToSecondProviderAsync("ig.b86001");

        // The second provider signs the social worker in at 00DA, which it is trusted for.
        var session = await ExchangeAsync(await SecondProviderTokenAsync("socialworker.00da"), SocialWorkerAt00da);
        Assert.Equal(TwoProviderFixture.SecondProvider, session.Provider);

        // A person it knows, with a role profile at B86001: it may not vouch for that organisation.
        await RpcAssert.Fails(StatusCode.PermissionDenied, NationalRoleMap.OrganisationNotTrusted,
            async () => await ExchangeAsync(await SecondProviderTokenAsync("ig.b86001"), IgOfficerAtB86001));
        await SignInEvents.AssertRefusedAsync(fixture.Host, TwoProviderFixture.SecondProvider, NationalRoleMap.OrganisationNotTrusted);

        // Its subjects never match the first provider's: the GP is linked to dev-oidc only.
        await RpcAssert.Fails(StatusCode.Unauthenticated, FederatedSignInService.UnknownSubject,
            async () => await ExchangeAsync(await SecondProviderTokenAsync("gp.b86001"), "953712240002"));

        // And the first provider still signs the GP in.
        var gp = await ExchangeAsync(await DevOidcProvider.IdTokenAsync("gp.b86001", FederationHost.GpSystem), "953712240002");
        Assert.Equal(FederationHost.Provider, gp.Provider);
    }

    [Fact]
    public async Task A_provider_key_rotation_is_followed_and_tokens_under_the_withdrawn_key_are_refused()
    {
        await LinkToSecondProviderAsync("socialworker.00da");
        var before = await SecondProviderTokenAsync("socialworker.00da");
        await ExchangeAsync(before, SocialWorkerAt00da); // identity has read the provider's keys

        await fixture.Second.RotateKeysAsync();
        var after = await SecondProviderTokenAsync("socialworker.00da");
        Assert.NotEqual(new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(before).Kid, new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(after).Kid);

        // A token under the new key id: identity re-reads the JWKS instead of refusing.
        await ExchangeAsync(after, SocialWorkerAt00da);

        // The old key is no longer published: its tokens are refused, whatever their lifetime.
        var e = await RpcAssert.Fails(StatusCode.Unauthenticated, FederatedTokenValidator.Invalid, () => ExchangeAsync(before, SocialWorkerAt00da));
        Assert.Equal("signing_key", e.Metadata["failed_check"]);
        await SignInEvents.AssertRefusedAsync(fixture.Host, TwoProviderFixture.SecondProvider, FederatedTokenValidator.Invalid, "signing_key");
    }

    [Fact]
    public async Task A_provider_whose_keys_cannot_be_read_gives_unavailable_not_a_refusal()
    {
        await RpcAssert.Fails(StatusCode.Unavailable, FederatedTokenValidator.ProviderUnavailable,
            () => ExchangeAsync(fixture.TokenFromGoneProvider, "953712240002"));
    }
}
