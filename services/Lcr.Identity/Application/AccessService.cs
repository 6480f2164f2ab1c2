using Google.Protobuf.WellKnownTypes;
using Lcr.Common.V1;
using Lcr.Identity.Domain;
using Lcr.Identity.Persistence;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults;
using Microsoft.EntityFrameworkCore;

namespace Lcr.Identity.Application;

/// <summary>
/// IssueAccessToken and IssueEmergencyAccessToken: the decision whether a signed-in
/// professional may look at one patient's record, and the signed statement of it.
/// </summary>
public sealed partial class AccessService(
    IdentityDbContext db,
    TokenIssuer tokens,
    RoleCatalogue roles,
    PatientPseudonymiser pseudonyms,
    TimeProvider clock,
    ILogger<AccessService> logger)
{
    public const int MinReasonText = 10;
    public const int MaxReasonText = 1000;

    /// <summary>The shortest sealed-record justification (emergency access into a sealed record); the longest is <see cref="MaxReasonText"/>.</summary>
    public const int MinSealedRecordJustification = 20;

    /// <param name="sessionActivities">A federated session's national RBAC activities (<see cref="SessionClaims.Activities"/>); null for a password session.</param>
    public async Task<IssueAccessTokenResponse> IssueAsync(ProfessionalRow professional, IssueAccessTokenRequest request, CancellationToken ct,
        IReadOnlyCollection<string>? sessionActivities = null)
    {
        var v = new FieldViolations();
        NhsNumber.Validate(request.NhsNumber, v);
        MergedNhsNumbers.Validate(request.MergedNhsNumbers, request.NhsNumber, v);
        if (v.RequireEnum(request.Purpose, "purpose"))
        {
            v.Check(request.Purpose is not (PurposeOfUse.EmergencyCare or PurposeOfUse.RecordContribution), "purpose",
                request.Purpose == PurposeOfUse.EmergencyCare
                    ? "emergency care is requested with IssueEmergencyAccessToken"
                    : "record contribution uses system tokens, not access tokens");
        }

        var now = clock.UtcNowMicros();
        var (assignment, role) = await ChooseRoleAsync(professional, request.RoleAssignmentId, now, v, ct);
        v.ThrowIfAny();

        if (!role.Purposes.Contains(request.Purpose))
        {
            LogRefused(logger, professional.Id, "PURPOSE_NOT_PERMITTED", pseudonyms.Pseudonym(request.NhsNumber));
            var denied = new PermissionDeniedException("PURPOSE_NOT_PERMITTED", "Your role may not request access for this purpose.");
            denied.Metadata["role_code"] = assignment.RoleCode;
            throw denied;
        }

        CareRelationshipRow? relationship = null;
        if (request.Purpose == PurposeOfUse.DirectCare)
        {
            relationship = await FindRelationshipAsync(professional, assignment.OrganisationOds, [request.NhsNumber, .. request.MergedNhsNumbers], now, ct);
            if (relationship is null)
            {
                LogRefused(logger, professional.Id, "NO_CARE_RELATIONSHIP", pseudonyms.Pseudonym(request.NhsNumber));
                var denied = new PermissionDeniedException("NO_CARE_RELATIONSHIP",
                    "No active care relationship links you, your team or your organisation to this patient." +
                    (role.EmergencyAccess ? " If this is an emergency, you may request emergency access." : string.Empty));
                denied.Metadata["emergency_access_allowed"] = role.EmergencyAccess ? "true" : "false";
                throw denied;
            }
        }

        var categories = RoleCatalogue.CategoriesFor(role, request.Purpose);
        var token = await tokens.AccessAsync(new AccessGrant(
            professional.Id.ToString(), Mapping.DisplayName(professional), assignment.OrganisationOds, assignment.RoleCode,
            assignment.Id.ToString(), request.NhsNumber, request.Purpose, categories, relationship?.Id.ToString(), null, null)
        {
            SensitiveRecordsWithheld = !Domain.Federation.NationalRoleMap.MaySeeSensitiveRecords(sessionActivities),
            FamilyName = professional.FamilyName,
            PersonalNhsNumber = professional.PersonalNhsNumber,
            CareRelationshipKind = (CareRelationshipKind)(relationship?.Kind ?? 0),
            SelfClaim = SelfClaimOf(relationship),
            CareTeamId = relationship?.SubjectKind == RelationshipSubject.Team ? relationship.SubjectValue : null,
            AlertDetailsWithheld = role.AlertDetailsWithheld,
        }, ct);
        LogIssued(logger, token.TokenId, professional.Id, assignment.RoleCode, assignment.OrganisationOds,
            relationship?.Id.ToString() ?? "none", pseudonyms.Pseudonym(request.NhsNumber));

        return new IssueAccessTokenResponse
        {
            AccessToken = token.Token,
            ExpireTime = Timestamp.FromDateTimeOffset(token.ExpiresAt),
            TokenId = token.TokenId,
            CareRelationshipId = relationship?.Id.ToString() ?? string.Empty,
            AllowedCategories = { categories },
            CareRelationshipKind = (CareRelationshipKind)(relationship?.Kind ?? 0),
            AlertDetailsWithheld = role.AlertDetailsWithheld,
        };
    }

    /// <param name="sessionActivities">A federated session's national RBAC activities; null for a password session.</param>
    public async Task<IssueEmergencyAccessTokenResponse> IssueEmergencyAsync(
        ProfessionalRow professional, IssueEmergencyAccessTokenRequest request, CancellationToken ct,
        IReadOnlyCollection<string>? sessionActivities = null)
    {
        var v = new FieldViolations();
        NhsNumber.Validate(request.NhsNumber, v);
        v.RequireEnum(request.ReasonCode, "reason_code");
        var text = request.ReasonText?.Trim() ?? string.Empty;
        if (text.Length == 0)
        {
            v.Add("reason_text", "is required: explain why you need emergency access");
        }
        else
        {
            v.Check(text.Length >= MinReasonText, "reason_text", $"must be at least {MinReasonText} characters");
            v.MaxLength(text, "reason_text", MaxReasonText);
        }

        // Only to break the glass into a sealed record: a second, stronger justification (optional).
        var sealedJustification = request.SealedRecordJustification?.Trim() ?? string.Empty;
        if (sealedJustification.Length > 0)
        {
            v.Check(sealedJustification.Length >= MinSealedRecordJustification, "sealed_record_justification",
                $"must be at least {MinSealedRecordJustification} characters");
            v.MaxLength(sealedJustification, "sealed_record_justification", MaxReasonText);
        }

        var now = clock.UtcNowMicros();
        var (assignment, role) = await ChooseRoleAsync(professional, request.RoleAssignmentId, now, v, ct);
        v.ThrowIfAny();

        if (!role.EmergencyAccess)
        {
            LogRefused(logger, professional.Id, "EMERGENCY_ACCESS_NOT_PERMITTED", pseudonyms.Pseudonym(request.NhsNumber));
            var denied = new PermissionDeniedException("EMERGENCY_ACCESS_NOT_PERMITTED", "Your role may not use emergency access.");
            denied.Metadata["role_code"] = assignment.RoleCode;
            throw denied;
        }

        if (!Domain.Federation.NationalRoleMap.MayBreakGlass(sessionActivities))
        {
            LogRefused(logger, professional.Id, "EMERGENCY_ACCESS_NOT_PERMITTED", pseudonyms.Pseudonym(request.NhsNumber));
            var denied = new PermissionDeniedException("EMERGENCY_ACCESS_NOT_PERMITTED",
                "The role profile you signed in with at the identity provider does not carry the national activity for overriding patient consent (B0082).");
            denied.Metadata["required_activity"] = Domain.Federation.NationalRoleMap.OverridePatientConsent;
            throw denied;
        }

        var categories = RoleCatalogue.CategoriesFor(role, PurposeOfUse.EmergencyCare);
        var token = await tokens.AccessAsync(new AccessGrant(
            professional.Id.ToString(), Mapping.DisplayName(professional), assignment.OrganisationOds, assignment.RoleCode,
            assignment.Id.ToString(), request.NhsNumber, PurposeOfUse.EmergencyCare, categories, null, request.ReasonCode, text)
        {
            SensitiveRecordsWithheld = !Domain.Federation.NationalRoleMap.MaySeeSensitiveRecords(sessionActivities),
            FamilyName = professional.FamilyName,
            PersonalNhsNumber = professional.PersonalNhsNumber,
            SealedRecordJustification = sealedJustification.Length > 0 ? sealedJustification : null,
            AlertDetailsWithheld = role.AlertDetailsWithheld,
        }, ct);
        LogEmergency(logger, token.TokenId, professional.Id, assignment.RoleCode, assignment.OrganisationOds,
            request.ReasonCode.ToString(), pseudonyms.Pseudonym(request.NhsNumber));

        return new IssueEmergencyAccessTokenResponse
        {
            AccessToken = token.Token,
            ExpireTime = Timestamp.FromDateTimeOffset(token.ExpiresAt),
            TokenId = token.TokenId,
            AllowedCategories = { categories },
            AlertDetailsWithheld = role.AlertDetailsWithheld,
        };
    }

    /// <summary>
    /// The role assignment to act in: the one named, or the only active one. Active means
    /// started, not ended, at an active organisation, with a role code the catalogue knows.
    /// </summary>
    internal async Task<(RoleAssignmentRow Assignment, RoleDefinition Role)> ChooseRoleAsync(
        ProfessionalRow professional, string? requestedId, DateTimeOffset now, FieldViolations v, CancellationToken ct)
    {
        var activeOrgs = await db.Organisations.AsNoTracking().Where(o => o.Active).Select(o => o.OdsCode).ToListAsync(ct);
        var active = professional.RoleAssignments
            .Where(r => r.StartTime <= now && (r.EndTime is null || r.EndTime > now) && activeOrgs.Contains(r.OrganisationOds) && roles.Find(r.RoleCode) is not null)
            .ToList();

        RoleAssignmentRow? chosen;
        if (!string.IsNullOrWhiteSpace(requestedId))
        {
            chosen = Identifiers.TryGuid(requestedId, out var id) ? active.SingleOrDefault(r => r.Id == id) : null;
            if (chosen is null)
            {
                v.Add("role_assignment_id", "is not an active role assignment of the signed-in professional");
            }
        }
        else if (active.Count > 1)
        {
            v.Add("role_assignment_id", "is required: you hold several active roles; choose the one you are acting in");
            chosen = null;
        }
        else
        {
            chosen = active.SingleOrDefault();
        }

        if (v.Any)
        {
            return (null!, null!);
        }

        if (chosen is null)
        {
            LogRefused(logger, professional.Id, "NO_ACTIVE_ROLE", "n/a");
            throw new PermissionDeniedException("NO_ACTIVE_ROLE", "You hold no active role at an organisation taking part in the shared care record.");
        }

        return (chosen, roles.Find(chosen.RoleCode)!);
    }

    /// <summary>
    /// The most specific active care relationship linking the patient to the professional
    /// directly, to one of their teams at the organisation they act for, or to that organisation.
    /// A relationship naming the professional counts only when the organisation they act for
    /// recorded it: it vouches for their care there, not in a role held elsewhere. A self-claim
    /// names its claimant and the organisation of the role they claimed in, so it counts only for
    /// them acting at that organisation; a relationship a feed recorded is preferred to it.
    /// <paramref name="nhsNumbers"/> is the patient's own number first, then the numbers merged
    /// into it: a relationship recorded under any of them counts (under the own number preferred).
    /// </summary>
    private async Task<CareRelationshipRow?> FindRelationshipAsync(
        ProfessionalRow professional, string organisationOds, string[] nhsNumbers, DateTimeOffset now, CancellationToken ct)
    {
        var professionalId = professional.Id.ToString();
        var teams = professional.TeamIds.Where(t => Identifiers.TeamOrganisation(t) == organisationOds).ToList();
        var candidates = await db.CareRelationships.AsNoTracking()
            .Where(r => nhsNumbers.Contains(r.NhsNumber) && r.StartTime <= now && (r.EndTime == null || r.EndTime > now))
            .Where(r => (r.SubjectKind == RelationshipSubject.Professional && r.SubjectValue == professionalId && r.SourceOrganisation == organisationOds) ||
                        (r.SubjectKind == RelationshipSubject.Team && teams.Contains(r.SubjectValue)) ||
                        (r.SubjectKind == RelationshipSubject.Organisation && r.SubjectValue == organisationOds))
            .ToListAsync(ct);
        return candidates.OrderBy(r => r.Kind == (int)CareRelationshipKind.SelfClaimed)
            .ThenBy(r => r.SubjectKind).ThenBy(r => r.NhsNumber != nhsNumbers[0]).ThenByDescending(r => r.StartTime).FirstOrDefault();
    }

    /// <summary>The self-claim a token rests on: its reason and the professional's own words.</summary>
    private static Lcr.Security.SelfClaimGrant? SelfClaimOf(CareRelationshipRow? relationship) =>
        relationship is { Kind: (int)CareRelationshipKind.SelfClaimed }
            ? new Lcr.Security.SelfClaimGrant((SelfClaimReason)(relationship.SelfClaimReason ?? 0), relationship.SelfClaimReasonText ?? string.Empty)
            : null;

    [LoggerMessage(Level = LogLevel.Information, Message = "Access refused to professional {ProfessionalId}: {Reason} (patient ref {PatientRef})")]
    private static partial void LogRefused(ILogger logger, Guid professionalId, string reason, string patientRef);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Access token {TokenId} issued to professional {ProfessionalId} as {RoleCode} at {Organisation} on relationship {RelationshipId} (patient ref {PatientRef})")]
    private static partial void LogIssued(ILogger logger, string tokenId, Guid professionalId, string roleCode, string organisation, string relationshipId, string patientRef);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "EMERGENCY access token {TokenId} issued to professional {ProfessionalId} as {RoleCode} at {Organisation}, reason {ReasonCode} (patient ref {PatientRef})")]
    private static partial void LogEmergency(ILogger logger, string tokenId, Guid professionalId, string roleCode, string organisation, string reasonCode, string patientRef);
}
