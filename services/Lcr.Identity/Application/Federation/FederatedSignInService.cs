using Google.Protobuf.WellKnownTypes;
using Lcr.Identity.Domain;
using Lcr.Identity.Domain.Federation;
using Lcr.Identity.Persistence;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults;
using Microsoft.EntityFrameworkCore;

namespace Lcr.Identity.Application.Federation;

/// <summary>
/// ExchangeFederatedToken: a trusted provider's ID token and a chosen role profile become a
/// platform session bound to one role assignment (docs/services/identity.md, "Federated sign-in").
/// The professional is found only by the provider's subject; every outcome is recorded in
/// <see cref="FederatedSignInLog"/> (and refusals logged) with the provider, the reason and (when
/// known) the professional's id, never token text; unknown or unmapped people go on the joiners
/// list; role assignments whose role profile left the token end (leavers).
/// </summary>
public sealed partial class FederatedSignInService(
    IdentityDbContext db,
    FederatedTokenValidator validator,
    NationalRoleMap roleMap,
    TokenIssuer tokens,
    RoleCatalogue roles,
    FederatedSignInLog log,
    JoinerRegister joiners,
    RoleProfileLeavers leavers,
    TimeProvider clock,
    ILogger<FederatedSignInService> logger)
{
    public const int MaxTokenLength = 16384;
    public const string UnknownSubject = "UNKNOWN_FEDERATED_SUBJECT";
    public const string NotConfigured = "FEDERATION_NOT_CONFIGURED";

    public async Task<ExchangeFederatedTokenResponse> ExchangeAsync(ExchangeFederatedTokenRequest request, CancellationToken ct)
    {
        var v = new FieldViolations();
        if (string.IsNullOrEmpty(request.SubjectToken))
        {
            v.Add("subject_token", "is required");
        }
        else
        {
            v.MaxLength(request.SubjectToken, "subject_token", MaxTokenLength);
        }

        if (string.IsNullOrEmpty(request.SubjectTokenType))
        {
            v.Add("subject_token_type", "is required");
        }
        else
        {
            v.Check(request.SubjectTokenType == FederationOptions.IdTokenType, "subject_token_type", $"must be {FederationOptions.IdTokenType}");
        }

        v.RequireText(request.RoleProfileId, "role_profile_id", 64);
        v.ThrowIfAny();

        if (!validator.Enabled)
        {
            throw new FailedPreconditionException(NotConfigured, "Federated sign-in is not configured on this platform.");
        }

        var roleProfileId = request.RoleProfileId.Trim();
        FederatedIdentity identity;
        try
        {
            identity = await validator.ValidateAsync(request.SubjectToken, ct);
        }
        catch (UnauthenticatedException refused)
        {
            // Token refusals: nothing in the token is trusted, so only the provider (when the issuer was one) and the check.
            var e = log.New(refused.Metadata.TryGetValue("provider", out var p) ? p : "unknown", refused.Reason);
            e.FailedCheck = refused.Metadata.TryGetValue("failed_check", out var check) ? check : null;
            e.RoleProfileId = roleProfileId;
            await log.AppendAsync(e, null, ct);
            throw;
        }

        var provider = identity.Provider;
        var subject = provider.SubjectPrefix + identity.Subject;
        var row = await db.Professionals.AsNoTracking().Include(p => p.RoleAssignments)
            .SingleOrDefaultAsync(p => p.FederatedSubject == subject, ct);
        if (row is null || !row.Active)
        {
            LogUnknown(logger, provider.Name, row?.Id.ToString() ?? "none");
            var refused = log.New(provider.Name, UnknownSubject);
            refused.Subject = subject;
            refused.ProfessionalId = row?.Id;
            refused.RoleProfileId = roleProfileId;
            await log.AppendAsync(refused, null, ct);
            if (row is null)
            {
                await joiners.RecordAsync(identity, subject, UnknownSubject, ct);
            }

            var e = new UnauthenticatedException(UnknownSubject,
                "The identity provider vouched for a person the platform does not know or no longer admits; ask your organisation's platform administrator to link your account.");
            e.Metadata["provider"] = provider.Name;
            throw e;
        }

        // Leavers: this provider's role profiles that left the token end the role assignments bound to them, now.
        var now = clock.UtcNowMicros();
        var ended = RoleProfileLeavers.Ended(row.RoleAssignments, provider.Name, identity.Roles, now);
        var activeOrganisations = await db.Organisations.AsNoTracking().Where(o => o.Active).Select(o => o.OdsCode).ToListAsync(ct);
        var active = row.RoleAssignments
            .Where(r => r.StartTime <= now && (r.EndTime is null || r.EndTime > now) && !ended.Contains(r.Id) && roles.Find(r.RoleCode) is not null)
            .Select(r => new ActiveAssignment(r.Id, r.OrganisationOds, r.RoleCode))
            .ToList();
        var decision = roleMap.Decide(identity.Roles, roleProfileId, provider.AllowedOrganisations, activeOrganisations, active);
        var record = log.New(provider.Name, decision.Refusal ?? FederatedSignInLog.SignedIn);
        record.Subject = subject;
        record.ProfessionalId = row.Id;
        record.RoleProfileId = roleProfileId;
        record.RoleAssignmentId = decision.RoleAssignmentId;
        record.EndedRoleAssignmentIds = [.. ended];
        if (ended.Count > 0)
        {
            LogLeaver(logger, provider.Name, row.Id, string.Join(',', ended));
        }

        if (decision.Refusal is { } reason)
        {
            LogRoleRefused(logger, provider.Name, row.Id, reason);
            await log.AppendAsync(record, c => leavers.EndAsync(row.Id, ended, now, c), ct);
            if (reason is NationalRoleMap.RoleNotMapped or NationalRoleMap.NoMatchingRoleAssignment)
            {
                await joiners.RecordAsync(identity, subject, reason, ct);
            }

            var denied = new PermissionDeniedException(reason, reason switch
            {
                NationalRoleMap.RoleProfileNotInToken => "The chosen role profile is not one of the role profiles in the ID token.",
                NationalRoleMap.OrganisationNotTrusted => "The chosen role profile is at an organisation this provider may not vouch for, or that does not take part in the shared care record.",
                NationalRoleMap.RoleNotMapped => "The chosen role profile's national role and activities give no access to the shared care record.",
                _ => "You hold no active role at the platform matching the chosen role profile; ask your organisation's platform administrator.",
            });
            denied.Metadata["provider"] = provider.Name;
            throw denied;
        }

        var assignmentId = decision.RoleAssignmentId!.Value;
        var session = await tokens.SessionAsync(row.Id.ToString(), Mapping.DisplayName(row), row.SecurityStamp, ct, new Dictionary<string, object>
        {
            [SessionClaims.RoleAssignment] = assignmentId.ToString(),
            [SessionClaims.Provider] = provider.Name,
            [SessionClaims.Activities] = NationalRoleMap.SessionActivities(identity.Roles.First(r => r.PersonRoleId == roleProfileId)).ToArray(),
        }, identity.SessionNotAfter);
        record.SessionId = session.TokenId;
        await log.AppendAsync(record, async c =>
        {
            await leavers.EndAsync(row.Id, ended, now, c);
            await leavers.BindAsync(assignmentId, provider.Name, roleProfileId, c);
        }, ct);
        LogExchanged(logger, provider.Name, row.Id, assignmentId.ToString(), decision.PlatformRoleCode!, session.TokenId);
        var orgNames = await db.Organisations.AsNoTracking().ToDictionaryAsync(o => o.OdsCode, o => o.DisplayName, ct);
        foreach (var r in row.RoleAssignments.Where(r => ended.Contains(r.Id)))
        {
            r.EndTime = now;
        }

        return new ExchangeFederatedTokenResponse
        {
            SessionToken = session.Token,
            ExpireTime = Timestamp.FromDateTimeOffset(session.ExpiresAt),
            Professional = Mapping.ToProto(row, roles, orgNames, now),
            RoleAssignmentId = assignmentId.ToString(),
            Provider = provider.Name,
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Federated sign-in (provider {Provider}) ended role assignments {RoleAssignmentIds} of professional {ProfessionalId}: their role profiles left the token")]
    private static partial void LogLeaver(ILogger logger, string provider, Guid professionalId, string roleAssignmentIds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Federated sign-in refused (provider {Provider}): unknown or inactive subject (professional {ProfessionalId})")]
    private static partial void LogUnknown(ILogger logger, string provider, string professionalId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Federated sign-in refused for professional {ProfessionalId} (provider {Provider}): {Reason}")]
    private static partial void LogRoleRefused(ILogger logger, string provider, Guid professionalId, string reason);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Professional {ProfessionalId} signed in through {Provider} as {RoleCode} (role assignment {RoleAssignmentId}, session {TokenId})")]
    private static partial void LogExchanged(ILogger logger, string provider, Guid professionalId, string roleAssignmentId, string roleCode, string tokenId);
}
