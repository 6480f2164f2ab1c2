using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Lcr.Common.V1;
using Lcr.Security;
using Lcr.ServiceDefaults;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Lcr.Identity.Tests;

/// <summary>
/// Every refusal case of the gateway's verifier, each with its own crafted token, against a
/// key source the test controls (no identity service needed).
/// </summary>
public sealed class VerifierTests
{
    private const string Nhs = "9990000018";
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Now);
    private readonly TestKeySource _source = new();
    private readonly TestKey _key = new();
    private readonly TokenVerificationOptions _options = new();

    public VerifierTests() => _source.Publish(_key);

    private (AccessTokenVerifier Access, SystemTokenVerifier System, SigningKeyCache Cache) Build()
    {
        var options = Options.Create(_options);
        var cache = new SigningKeyCache(_source, options, _clock, NullLogger<SigningKeyCache>.Instance);
        var core = new PlatformTokenVerifier(cache, options, _clock);
        return (new AccessTokenVerifier(core), new SystemTokenVerifier(core), cache);
    }

    private static Dictionary<string, object> AccessClaims() => new()
    {
        [JwtRegisteredClaimNames.Sub] = "0193a4c2-0000-7000-8000-000000000001",
        [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString(),
        [TokenClaims.Name] = "Dr Priya Shah",
        [TokenClaims.Organisation] = "B86001",
        [TokenClaims.Role] = "R8000",
        [TokenClaims.RoleAssignment] = "0193a4c2-0000-7000-8000-000000000002",
        [TokenClaims.NhsNumber] = Nhs,
        [TokenClaims.Purpose] = "direct_care",
        [TokenClaims.Categories] = new[] { "demographics", "problems" },
        [TokenClaims.CareRelationship] = "0193a4c2-0000-7000-8000-000000000003",
    };

    private string Token(TestKey? key = null, string type = TokenTypes.Access, string issuer = "lcr-identity", string audience = "lcr-gateway",
        DateTimeOffset? notBefore = null, DateTimeOffset? expires = null, Dictionary<string, object>? claims = null, string? kid = null)
    {
        key ??= _key;
        var securityKey = new ECDsaSecurityKey(key.Ecdsa) { KeyId = kid ?? key.Kid };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = type,
            Issuer = issuer,
            Audience = audience,
            IssuedAt = (notBefore ?? Now.AddMinutes(-1)).UtcDateTime,
            NotBefore = (notBefore ?? Now.AddMinutes(-1)).UtcDateTime,
            Expires = (expires ?? Now.AddMinutes(9)).UtcDateTime,
            Claims = claims ?? AccessClaims(),
            SigningCredentials = new SigningCredentials(securityKey, SecurityAlgorithms.EcdsaSha256),
        });
    }

    private async Task<string> Refusal(string? token)
    {
        var e = await Assert.ThrowsAsync<UnauthenticatedException>(() => Build().Access.VerifyAsync(token));
        return e.Reason;
    }

    [Fact]
    public async Task Valid_access_token_yields_every_claim()
    {
        var t = await Build().Access.VerifyAsync(Token());
        Assert.Equal("0193a4c2-0000-7000-8000-000000000001", t.ProfessionalId);
        Assert.Equal("Dr Priya Shah", t.ProfessionalName);
        Assert.Equal("B86001", t.OrganisationOdsCode);
        Assert.Equal("R8000", t.RoleCode);
        Assert.Equal(Nhs, t.NhsNumber);
        Assert.Equal(PurposeOfUse.DirectCare, t.Purpose);
        Assert.Equal(new HashSet<RecordCategory> { RecordCategory.Demographics, RecordCategory.Problems }, t.AllowedCategories);
        Assert.Equal("0193a4c2-0000-7000-8000-000000000003", t.CareRelationshipId);
        Assert.False(t.IsEmergency);
        Assert.Equal(Now.AddMinutes(9), t.ExpiresAt);
        Assert.Equal(_key.Kid, t.KeyId);
    }

    [Fact]
    public async Task Alert_kind_only_claim_and_the_risks_and_alerts_category_are_read()
    {
        Assert.False((await Build().Access.VerifyAsync(Token())).AlertDetailsWithheld);
        var claims = AccessClaims();
        claims[TokenClaims.AlertDetailsWithheld] = true;
        claims[TokenClaims.Categories] = new[] { "demographics", "risks_and_alerts" };
        var t = await Build().Access.VerifyAsync(Token(claims: claims));
        Assert.True(t.AlertDetailsWithheld);
        Assert.Equal(new HashSet<RecordCategory> { RecordCategory.Demographics, RecordCategory.RisksAndAlerts }, t.AllowedCategories);
        Assert.Equal("lcr_alert_kind_only", TokenClaims.AlertDetailsWithheld);
    }

    [Fact]
    public async Task Missing_token_is_refused() => Assert.Equal(TokenRefusal.Missing, await Refusal(null));

    [Fact]
    public async Task Garbage_token_is_refused_as_malformed() => Assert.Equal(TokenRefusal.Malformed, await Refusal("not.a.jwt"));

    [Fact]
    public async Task Expired_token_is_refused() =>
        Assert.Equal(TokenRefusal.Expired, await Refusal(Token(notBefore: Now.AddMinutes(-20), expires: Now.AddMinutes(-5))));

    [Fact]
    public async Task Token_expired_within_the_clock_skew_is_accepted_but_skew_is_bounded()
    {
        await Build().Access.VerifyAsync(Token(notBefore: Now.AddMinutes(-20), expires: Now.AddSeconds(-20)));

        // A misconfigured hour of skew is capped at two minutes: five minutes past expiry is refused.
        _options.ClockSkew = TimeSpan.FromHours(1);
        Assert.Equal(TokenRefusal.Expired, await Refusal(Token(notBefore: Now.AddMinutes(-20), expires: Now.AddMinutes(-5))));
    }

    [Fact]
    public async Task Not_yet_valid_token_is_refused() =>
        Assert.Equal(TokenRefusal.NotYetValid, await Refusal(Token(notBefore: Now.AddMinutes(5), expires: Now.AddMinutes(15))));

    [Fact]
    public async Task Tampered_payload_fails_the_signature()
    {
        var parts = Token().Split('.');
        var payload = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1])).Replace(Nhs, "9990000026", StringComparison.Ordinal);
        var tampered = $"{parts[0]}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload))}.{parts[2]}";
        Assert.Equal(TokenRefusal.BadSignature, await Refusal(tampered));
    }

    [Fact]
    public async Task Token_signed_by_another_key_under_a_published_kid_fails_the_signature() =>
        Assert.Equal(TokenRefusal.BadSignature, await Refusal(Token(key: new TestKey(), kid: _key.Kid)));

    [Fact]
    public async Task Token_signed_by_an_unpublished_key_is_refused_as_unknown_key() =>
        Assert.Equal(TokenRefusal.UnknownKey, await Refusal(Token(key: new TestKey())));

    [Fact]
    public async Task Wrong_audience_is_refused() =>
        Assert.Equal(TokenRefusal.WrongAudience, await Refusal(Token(audience: "some-other-service")));

    [Fact]
    public async Task Wrong_issuer_is_refused() =>
        Assert.Equal(TokenRefusal.WrongIssuer, await Refusal(Token(issuer: "https://evil.example")));

    [Fact]
    public async Task Alg_none_is_refused()
    {
        var header = Base64Url.EncodeToString("""{"alg":"none","typ":"lcr-access+jwt"}"""u8);
        var claims = AccessClaims();
        claims["iss"] = "lcr-identity";
        claims["aud"] = "lcr-gateway";
        claims["exp"] = Now.AddMinutes(5).ToUnixTimeSeconds();
        var payload = Base64Url.EncodeToString(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(claims));
        Assert.Equal(TokenRefusal.AlgorithmNotAllowed, await Refusal($"{header}.{payload}."));
    }

    [Fact]
    public async Task Hs256_signed_with_the_public_key_as_secret_is_refused()
    {
        // Algorithm confusion: the attacker knows the public key and uses it as an HMAC secret.
        var publicKeyBytes = Encoding.UTF8.GetBytes($"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{_key.X}\",\"y\":\"{_key.Y}\"}}");
        var hmacKey = new SymmetricSecurityKey(SHA256.HashData(publicKeyBytes).Concat(publicKeyBytes).ToArray()) { KeyId = _key.Kid };
        var token = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = TokenTypes.Access,
            Issuer = "lcr-identity",
            Audience = "lcr-gateway",
            NotBefore = Now.AddMinutes(-1).UtcDateTime,
            Expires = Now.AddMinutes(5).UtcDateTime,
            Claims = AccessClaims(),
            SigningCredentials = new SigningCredentials(hmacKey, SecurityAlgorithms.HmacSha256),
        });
        Assert.Equal(TokenRefusal.AlgorithmNotAllowed, await Refusal(token));
    }

    [Fact]
    public async Task Session_token_is_not_an_access_token() =>
        Assert.Equal(TokenRefusal.WrongType, await Refusal(Token(type: TokenTypes.Session)));

    [Fact]
    public async Task System_token_is_not_an_access_token_and_access_token_is_not_a_system_token()
    {
        Assert.Equal(TokenRefusal.WrongType, await Refusal(Token(type: TokenTypes.System)));
        var e = await Assert.ThrowsAsync<UnauthenticatedException>(() => Build().System.VerifyAsync(Token()));
        Assert.Equal(TokenRefusal.WrongType, e.Reason);
    }

    [Fact]
    public async Task Plain_jwt_typ_is_refused() => Assert.Equal(TokenRefusal.WrongType, await Refusal(Token(type: "JWT")));

    [Fact]
    public async Task Direct_care_token_without_a_care_relationship_is_refused_as_inconsistent()
    {
        var claims = AccessClaims();
        claims.Remove(TokenClaims.CareRelationship);
        Assert.Equal(TokenRefusal.ClaimsInvalid, await Refusal(Token(claims: claims)));
    }

    [Fact]
    public async Task Emergency_token_carries_its_reason()
    {
        var claims = AccessClaims();
        claims.Remove(TokenClaims.CareRelationship);
        claims[TokenClaims.Purpose] = "emergency_care";
        claims[TokenClaims.Emergency] = true;
        claims[TokenClaims.EmergencyReasonCode] = "clinical_emergency";
        claims[TokenClaims.EmergencyReasonText] = "Unconscious in resus, no history available";
        var t = await Build().Access.VerifyAsync(Token(claims: claims));
        Assert.True(t.IsEmergency);
        Assert.Equal(EmergencyAccessReason.ClinicalEmergency, t.Emergency!.ReasonCode);
        Assert.Null(t.CareRelationshipId);
    }

    [Fact]
    public async Task Self_claimed_token_carries_the_kind_and_the_reason()
    {
        var claims = AccessClaims();
        claims[TokenClaims.CareRelationshipKind] = "self_claimed";
        claims[TokenClaims.SelfClaimReason] = "referral_received";
        claims[TokenClaims.SelfClaimReasonText] = "Urgent referral faxed over this morning";
        var t = await Build().Access.VerifyAsync(Token(claims: claims));
        Assert.Equal(Lcr.Identity.V1.CareRelationshipKind.SelfClaimed, t.CareRelationshipKind);
        Assert.Equal(new SelfClaimGrant(SelfClaimReason.ReferralReceived, "Urgent referral faxed over this morning"), t.SelfClaim);
        Assert.False(t.IsEmergency);
    }

    [Fact]
    public async Task Feed_relationship_kind_and_team_are_read_without_a_self_claim()
    {
        var claims = AccessClaims();
        claims[TokenClaims.CareRelationshipKind] = "inpatient_episode";
        claims[TokenClaims.CareTeam] = "RR8:WARD-12";
        var t = await Build().Access.VerifyAsync(Token(claims: claims));
        Assert.Equal(Lcr.Identity.V1.CareRelationshipKind.InpatientEpisode, t.CareRelationshipKind);
        Assert.Equal("RR8:WARD-12", t.CareTeamId);
        Assert.Null(t.SelfClaim);
    }

    [Fact]
    public async Task Self_claim_reason_without_the_self_claimed_kind_is_refused_as_inconsistent()
    {
        var claims = AccessClaims();
        claims[TokenClaims.SelfClaimReason] = "patient_presented";
        Assert.Equal(TokenRefusal.ClaimsInvalid, await Refusal(Token(claims: claims)));
        claims[TokenClaims.CareRelationshipKind] = "registered_gp";
        Assert.Equal(TokenRefusal.ClaimsInvalid, await Refusal(Token(claims: claims)));
    }

    [Fact]
    public async Task Self_claimed_kind_without_a_reason_or_a_relationship_is_refused_as_inconsistent()
    {
        var claims = AccessClaims();
        claims[TokenClaims.CareRelationshipKind] = "self_claimed";
        Assert.Equal(TokenRefusal.ClaimsInvalid, await Refusal(Token(claims: claims)));

        // An emergency token names no relationship, so it cannot name a relationship's kind either.
        var emergency = AccessClaims();
        emergency.Remove(TokenClaims.CareRelationship);
        emergency[TokenClaims.Purpose] = "emergency_care";
        emergency[TokenClaims.Emergency] = true;
        emergency[TokenClaims.EmergencyReasonCode] = "clinical_emergency";
        emergency[TokenClaims.EmergencyReasonText] = "Unconscious in resus, no history available";
        emergency[TokenClaims.CareRelationshipKind] = "self_claimed";
        emergency[TokenClaims.SelfClaimReason] = "patient_presented";
        Assert.Equal(TokenRefusal.ClaimsInvalid, await Refusal(Token(claims: emergency)));
    }

    [Fact]
    public async Task Unknown_relationship_kind_or_self_claim_reason_is_refused()
    {
        var claims = AccessClaims();
        claims[TokenClaims.CareRelationshipKind] = "best_friend";
        Assert.Equal(TokenRefusal.ClaimsInvalid, await Refusal(Token(claims: claims)));
        claims[TokenClaims.CareRelationshipKind] = "self_claimed";
        claims[TokenClaims.SelfClaimReason] = "curiosity";
        Assert.Equal(TokenRefusal.ClaimsInvalid, await Refusal(Token(claims: claims)));
    }

    [Fact]
    public async Task Sealed_record_justification_on_a_non_emergency_token_is_refused_as_inconsistent()
    {
        var claims = AccessClaims();
        claims[TokenClaims.SealedRecordJustification] = "Treating the patient in resus after a collapse";
        Assert.Equal(TokenRefusal.ClaimsInvalid, await Refusal(Token(claims: claims)));

        var emergency = AccessClaims();
        emergency.Remove(TokenClaims.CareRelationship);
        emergency[TokenClaims.Purpose] = "emergency_care";
        emergency[TokenClaims.Emergency] = true;
        emergency[TokenClaims.EmergencyReasonCode] = "clinical_emergency";
        emergency[TokenClaims.EmergencyReasonText] = "Unconscious in resus, no history available";
        emergency[TokenClaims.SealedRecordJustification] = "Treating the patient in resus after a collapse";
        var t = await Build().Access.VerifyAsync(Token(claims: emergency));
        Assert.Equal("Treating the patient in resus after a collapse", t.SealedRecordJustification);
    }

    [Fact]
    public async Task Retired_key_past_its_publication_window_is_refused()
    {
        _source.Clear();
        _source.Publish(_key, notAfter: Now.AddMinutes(-1));
        Assert.Equal(TokenRefusal.UnknownKey, await Refusal(Token()));
    }

    [Fact]
    public async Task Unknown_kid_refreshes_keys_at_most_once_per_interval()
    {
        var (access, _, cache) = Build();
        await access.VerifyAsync(Token());
        Assert.Equal(1, cache.FetchCount);

        // Right after a fetch, an unknown key id costs no refresh at all.
        await Assert.ThrowsAsync<UnauthenticatedException>(() => access.VerifyAsync(Token(kid: "garbage")));
        Assert.Equal(1, cache.FetchCount);

        // Later, a flood of invented key ids costs one refresh, not one per token.
        _clock.Advance(_options.UnknownKeyRefreshInterval);
        for (var i = 0; i < 20; i++)
        {
            var e = await Assert.ThrowsAsync<UnauthenticatedException>(() => access.VerifyAsync(Token(kid: "garbage-" + i)));
            Assert.Equal(TokenRefusal.UnknownKey, e.Reason);
        }

        Assert.Equal(2, cache.FetchCount);

        // A key rotated in after the last refresh is found once the interval has passed.
        var rotated = new TestKey();
        _source.Publish(rotated);
        _clock.Advance(_options.UnknownKeyRefreshInterval);
        var t = await access.VerifyAsync(Token(key: rotated));
        Assert.Equal(rotated.Kid, t.KeyId);
        Assert.Equal(3, cache.FetchCount);
    }

    [Fact]
    public async Task Cached_keys_keep_verifying_while_the_key_source_is_down()
    {
        var (access, _, _) = Build();
        await access.VerifyAsync(Token());
        _source.Down = true;
        _clock.Advance(TimeSpan.FromMinutes(30)); // well past the cache age
        await access.VerifyAsync(Token(notBefore: _clock.GetUtcNow().AddMinutes(-1), expires: _clock.GetUtcNow().AddMinutes(5)));
    }

    [Fact]
    public async Task No_keys_at_all_is_unavailable_not_a_refusal()
    {
        _source.Down = true;
        var e = await Assert.ThrowsAsync<DependencyUnavailableException>(() => Build().Access.VerifyAsync(Token()));
        Assert.Equal(Grpc.Core.StatusCode.Unavailable, e.Code);
    }

    [Fact]
    public async Task System_token_yields_client_organisation_and_scopes()
    {
        var claims = new Dictionary<string, object>
        {
            ["sub"] = "rr8-ppm-feed",
            ["jti"] = Guid.NewGuid().ToString(),
            [TokenClaims.Organisation] = "RR8",
            [TokenClaims.Scope] = "record.contribute relationships.write",
        };
        var t = await Build().System.VerifyAsync(Token(type: TokenTypes.System, claims: claims));
        Assert.Equal("rr8-ppm-feed", t.ClientId);
        Assert.Equal("RR8", t.OrganisationOdsCode);
        Assert.True(t.HasScope("relationships.write"));
        Assert.False(t.HasScope("identity.admin"));
    }

    // The verified-token memo: a repeat of a verified token skips the signature check, never the
    // lifetime, key or type checks.
    private (AccessTokenVerifier Access, SystemTokenVerifier System, PlatformTokenVerifier Core) BuildWithCore()
    {
        var options = Options.Create(_options);
        var core = new PlatformTokenVerifier(new SigningKeyCache(_source, options, _clock, NullLogger<SigningKeyCache>.Instance), options, _clock);
        return (new AccessTokenVerifier(core), new SystemTokenVerifier(core), core);
    }

    [Fact]
    public async Task A_repeated_access_token_is_remembered_and_yields_the_same_claims()
    {
        var (access, _, core) = BuildWithCore();
        var token = Token();
        var first = await access.VerifyAsync(token);
        var again = await access.VerifyAsync(token);
        Assert.Equal(1, core.RememberedCount);
        Assert.Equal(first.TokenId, again.TokenId);
        Assert.Equal(first.NhsNumber, again.NhsNumber);
        Assert.Equal(first.AllowedCategories, again.AllowedCategories);
    }

    [Fact]
    public async Task A_remembered_access_token_is_refused_once_it_expires()
    {
        var (access, _, core) = BuildWithCore();
        var token = Token(expires: Now.AddMinutes(2));
        await access.VerifyAsync(token);
        Assert.Equal(1, core.RememberedCount);
        _clock.Advance(TimeSpan.FromMinutes(3)); // past exp + 30 s skew; the key set is still fresh
        var e = await Assert.ThrowsAsync<UnauthenticatedException>(() => access.VerifyAsync(token));
        Assert.Equal(TokenRefusal.Expired, e.Reason);
    }

    [Fact]
    public async Task A_remembered_access_token_is_refused_once_its_key_is_withdrawn()
    {
        var (access, _, _) = BuildWithCore();
        var token = Token();
        await access.VerifyAsync(token);
        _source.Clear(); // the identity service stops publishing the key (revoked)
        _clock.Advance(TimeSpan.FromMinutes(6)); // the key set's cache age (5 min) passes; the token itself is still in date
        var e = await Assert.ThrowsAsync<UnauthenticatedException>(() => access.VerifyAsync(token));
        Assert.Equal(TokenRefusal.UnknownKey, e.Reason);
    }

    [Fact]
    public async Task A_remembered_access_token_is_still_not_a_system_token()
    {
        var (access, system, _) = BuildWithCore();
        var token = Token();
        await access.VerifyAsync(token);
        var e = await Assert.ThrowsAsync<UnauthenticatedException>(() => system.VerifyAsync(token));
        Assert.Equal(TokenRefusal.WrongType, e.Reason);
    }

    [Fact]
    public async Task A_tampered_copy_of_a_remembered_token_fails_the_signature()
    {
        var (access, _, _) = BuildWithCore();
        var token = Token();
        await access.VerifyAsync(token);
        var parts = token.Split('.');
        var claims = AccessClaims();
        claims[TokenClaims.NhsNumber] = "9990000026";
        var forged = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            Expires = Now.AddMinutes(9).UtcDateTime,
        });
        var tampered = string.Join('.', parts[0], forged.Split('.')[1], parts[2]);
        var e = await Assert.ThrowsAsync<UnauthenticatedException>(() => access.VerifyAsync(tampered));
        Assert.Equal(TokenRefusal.BadSignature, e.Reason);
    }

    internal sealed class TestKey
    {
        public ECDsa Ecdsa { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        public string X => Base64Url.EncodeToString(Ecdsa.ExportParameters(false).Q.X!);

        public string Y => Base64Url.EncodeToString(Ecdsa.ExportParameters(false).Q.Y!);

        public string Kid { get; } = "test-" + Guid.NewGuid().ToString("N")[..8];
    }

    internal sealed class TestKeySource : ISigningKeySource
    {
        private readonly List<PublishedSigningKey> _keys = [];

        public bool Down { get; set; }

        public void Publish(TestKey key, DateTimeOffset? notAfter = null) =>
            _keys.Add(new PublishedSigningKey(key.Kid, key.X, key.Y, Now.AddDays(-1), notAfter));

        public void Clear() => _keys.Clear();

        public Task<SigningKeySet> FetchAsync(CancellationToken cancellationToken) => Down
            ? throw new DependencyUnavailableException("SIGNING_KEYS_UNAVAILABLE", "down")
            : Task.FromResult(new SigningKeySet(_keys.ToList(), TimeSpan.FromMinutes(5)));
    }
}
