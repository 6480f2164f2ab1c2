using System.Collections.Concurrent;
using System.Security.Claims;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Lcr.Common.V1;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Lcr.ServiceDefaults;

/// <summary>
/// The signed internal credential: how an internal service knows a call comes from the
/// gateway (or another named platform service) and who it acts for.
/// <para>
/// The caller puts a short-lived JWT (HS256 under the shared <c>Internal:SigningKey</c>) in
/// the <c>x-lcr-internal</c> metadata; its issuer names the calling service and its claims
/// name the actor (kind, id, organisation, role). Every internal service with a signing key
/// configured refuses any call (other than health and reflection) without a valid credential
/// from an allowed caller, and takes the actor only from the credential. In the cluster, mTLS
/// between pods (a mesh) can add transport identity on top; the credential is what the
/// application checks either way.
/// </para>
/// </summary>
public sealed class InternalCredentials
{
    public const string Header = "x-lcr-internal";
    public const string Audience = "lcr-internal";
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan Reuse = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Skew = TimeSpan.FromSeconds(30);

    private readonly SymmetricSecurityKey _key;
    private readonly SigningCredentials _signing;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly ConcurrentDictionary<string, (string Token, DateTimeOffset Expires)> _issued = new();
    private readonly VerifiedTokenMemo<Verified> _verified = new(10_000, Skew);
    private readonly TimeProvider _clock;

    public InternalCredentials(byte[] key, string serviceName, IReadOnlyCollection<string> allowedCallers, TimeProvider? clock = null)
    {
        if (key.Length < 32)
        {
            throw new ArgumentException("Internal:SigningKey must be at least 32 bytes (base64).", nameof(key));
        }

        _key = new SymmetricSecurityKey(key) { KeyId = "internal" };
        _signing = new SigningCredentials(_key, SecurityAlgorithms.HmacSha256);
        ServiceName = serviceName;
        AllowedCallers = allowedCallers;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>This service's name: the issuer of credentials it signs.</summary>
    public string ServiceName { get; }

    /// <summary>Services whose credentials this service accepts.</summary>
    public IReadOnlyCollection<string> AllowedCallers { get; }

    /// <summary>
    /// Creates the credential service from configuration: null when no <c>Internal:SigningKey</c>
    /// is set, which only the Development and Test environments allow.
    /// </summary>
    public static InternalCredentials? FromConfiguration(IConfiguration config, IHostEnvironment env, string serviceName)
    {
        var key = config["Internal:SigningKey"];
        if (string.IsNullOrWhiteSpace(key))
        {
            if (env.IsDevelopment() || env.IsEnvironment("Test"))
            {
                return null;
            }

            throw new InvalidOperationException(
                "Internal:SigningKey is not configured: internal services refuse to run unauthenticated outside Development/Test.");
        }

        var allowed = config.GetSection("Internal:AllowedCallers").Get<string[]>() ?? ["gateway"];
        return new InternalCredentials(Convert.FromBase64String(key), serviceName, allowed);
    }

    /// <summary>Metadata carrying a credential for <paramref name="actor"/>, signed as this service.</summary>
    public Metadata For(Actor actor) => new() { { Header, Issue(actor) } };

    /// <summary>A credential for <paramref name="actor"/>; reused for a minute to keep signing off the hot path.</summary>
    public string Issue(Actor actor)
    {
        var cacheKey = string.Join('|', (int)actor.Kind, actor.Id, actor.Organisation?.OdsCode, actor.RoleCode);
        var now = _clock.GetUtcNow();
        if (_issued.TryGetValue(cacheKey, out var cached) && cached.Expires - now > Lifetime - Reuse)
        {
            return cached.Token;
        }

        var expires = now + Lifetime;
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = ServiceName,
            Audience = Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime.AddSeconds(-5),
            Expires = expires.UtcDateTime,
            SigningCredentials = _signing,
            TokenType = "lcr-internal+jwt",
            Claims = new Dictionary<string, object>
            {
                ["act_kind"] = (int)actor.Kind,
                ["sub"] = actor.Id,
                ["org"] = actor.Organisation?.OdsCode ?? string.Empty,
                ["role"] = actor.RoleCode ?? string.Empty,
            },
        });
        if (_issued.Count > 10_000)
        {
            _issued.Clear();
        }

        _issued[cacheKey] = (token, expires);
        return token;
    }

    /// <summary>
    /// Verifies a credential; returns the calling service and actor, or throws UNAUTHENTICATED.
    /// <para>
    /// A credential whose signature, issuer, audience and type were verified is remembered by
    /// its exact text until it expires (the gateway reuses one for a minute, so most calls
    /// present one already verified): a repeat costs a dictionary lookup and the lifetime
    /// check, which runs on every call, cached or not. Any other text, a tampered copy
    /// included, is a different key and is verified in full.
    /// </para>
    /// </summary>
    public async Task<(string Caller, Actor Actor)> VerifyAsync(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            throw new UnauthenticatedException("INTERNAL_CREDENTIAL_MISSING",
                "Internal services accept calls only from the platform gateway (no internal credential).");
        }

        if (_verified.TryGet(token, _clock.GetUtcNow(), out var known))
        {
            return (known.Caller, known.Actor.Clone());
        }

        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidAudience = Audience,
            ValidIssuers = AllowedCallers,
            IssuerSigningKey = _key,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ValidTypes = ["lcr-internal+jwt"],
            ClockSkew = Skew,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            LifetimeValidator = (nbf, exp, _, p) =>
            {
                var now = _clock.GetUtcNow().UtcDateTime;
                return exp is { } e && e + p.ClockSkew > now && (nbf is not { } n || n - p.ClockSkew <= now);
            },
        });
        if (!result.IsValid)
        {
            throw new UnauthenticatedException("INTERNAL_CREDENTIAL_INVALID",
                "The internal credential is not valid (expired, wrong key, or a caller this service does not accept).");
        }

        var claims = result.ClaimsIdentity;
        var kind = int.TryParse(claims.FindFirst("act_kind")?.Value, out var k) ? (ActorKind)k : ActorKind.Unspecified;
        var actor = new Actor
        {
            Kind = kind,
            Id = claims.FindFirst("sub")?.Value ?? claims.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? string.Empty,
            Organisation = new OrganisationReference { OdsCode = claims.FindFirst("org")?.Value ?? string.Empty },
            RoleCode = claims.FindFirst("role")?.Value ?? string.Empty,
        };
        if (result.SecurityToken is JsonWebToken jwt)
        {
            _verified.Remember(token, new Verified(result.Issuer, actor.Clone()), new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero),
                jwt.ValidFrom == DateTime.MinValue ? null : new DateTimeOffset(jwt.ValidFrom, TimeSpan.Zero), _clock.GetUtcNow());
        }

        return (result.Issuer, actor);
    }

    /// <summary>A verified credential: who sent it, for whom (its lifetime is the memo's to check).</summary>
    private sealed record Verified(string Caller, Actor Actor);
}

/// <summary>The service's internal credentials, or null where none are configured (Development/Test only).</summary>
public sealed record InternalCredentialsHolder(InternalCredentials? Value);
