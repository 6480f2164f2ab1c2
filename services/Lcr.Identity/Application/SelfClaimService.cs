using Lcr.Common.V1;
using Lcr.Identity.Domain;
using Lcr.Identity.Persistence;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Lcr.Identity.Application;

/// <summary>
/// ClaimCareRelationship: a signed-in professional records, for themselves, a time-boxed care
/// relationship with a patient no feed has recorded yet (kind SELF_CLAIMED, subject the
/// professional, source organisation the organisation of the role they claim in). Only roles
/// allowed to self-claim, at organisations that have not switched self-claims off. An active
/// claim by the same professional at the same organisation is returned unchanged.
/// </summary>
public sealed partial class SelfClaimService(
    IdentityDbContext db,
    AccessService access,
    IOptions<SelfClaimOptions> options,
    PatientPseudonymiser pseudonyms,
    TimeProvider clock,
    ILogger<SelfClaimService> logger)
{
    /// <summary>The <c>recorded_by</c> of every self-claim: no system client recorded it.</summary>
    public const string RecordedBy = "self-claim";

    /// <summary>The prefix of a self-claim's source entry id (the rest is its own id).</summary>
    public const string SourceEntryPrefix = "self-claim:";

    public async Task<ClaimCareRelationshipResponse> ClaimAsync(ProfessionalRow professional, ClaimCareRelationshipRequest request, CancellationToken ct)
    {
        var v = new FieldViolations();
        NhsNumber.Validate(request.NhsNumber, v);
        var reasonOk = v.RequireEnum(request.ReasonCode, "reason_code");
        var text = request.ReasonText?.Trim() ?? string.Empty;
        if (reasonOk && SelfClaimRules.TextProblem(request.ReasonCode, text) is { } problem)
        {
            v.Add("reason_text", problem);
        }
        else if (!reasonOk)
        {
            v.MaxLength(text, "reason_text", SelfClaimRules.MaxReasonText);
        }

        TimeSpan? asked = null;
        if (request.Duration is { } duration)
        {
            var wellFormed = duration.Nanos is > -1_000_000_000 and < 1_000_000_000 &&
                             (duration.Seconds == 0 || duration.Nanos == 0 || (duration.Seconds > 0) == (duration.Nanos > 0)) &&
                             Math.Abs(duration.Seconds) <= 315_576_000_000L;
            if (v.Check(wellFormed, "duration", "is not a valid duration") &&
                v.Check(duration.Seconds >= 0 && duration.Nanos >= 0, "duration", "must not be negative"))
            {
                // Anything longer than a year is capped anyway; avoid TimeSpan overflow.
                asked = duration.Seconds > 366L * 24 * 3600 ? TimeSpan.FromDays(366) : duration.ToTimeSpan();
            }
        }

        var now = clock.UtcNowMicros();
        var (assignment, role) = await access.ChooseRoleAsync(professional, request.RoleAssignmentId, now, v, ct);
        v.ThrowIfAny();

        var ods = assignment.OrganisationOds;
        if (!role.SelfClaim)
        {
            LogRefused(logger, professional.Id, "SELF_CLAIM_NOT_PERMITTED", pseudonyms.Pseudonym(request.NhsNumber));
            throw Refusal("SELF_CLAIM_NOT_PERMITTED", "Your role may not claim a care relationship itself.", assignment);
        }

        if (await db.Organisations.AsNoTracking().AnyAsync(o => o.OdsCode == ods && o.SelfClaimsDisabled, ct))
        {
            LogRefused(logger, professional.Id, "SELF_CLAIMS_DISABLED", pseudonyms.Pseudonym(request.NhsNumber));
            throw Refusal("SELF_CLAIMS_DISABLED",
                "Your organisation has switched self-claimed care relationships off; ask for the relationship to be recorded by its system.", assignment);
        }

        var maximum = options.Value.MaximumFor(request.ReasonCode);
        var (row, created) = await db.Database.CreateExecutionStrategy().ExecuteAsync(
            ct => StoreAsync(professional.Id.ToString(), assignment, request, text, asked, maximum, now, ct), ct);
        if (created)
        {
            LogClaimed(logger, row.Id, professional.Id, assignment.RoleCode, ods, request.ReasonCode.ToString(), pseudonyms.Pseudonym(row.NhsNumber));
        }

        return new ClaimCareRelationshipResponse { CareRelationship = await ToProtoAsync(row, now, ct), Created = created };
    }

    /// <summary>The active claim of the professional at the organisation for the patient, or a new one; in one transaction.</summary>
    private async Task<(CareRelationshipRow Row, bool Created)> StoreAsync(string subject, RoleAssignmentRow assignment, ClaimCareRelationshipRequest request,
        string text, TimeSpan? asked, TimeSpan maximum, DateTimeOffset now, CancellationToken ct)
    {
        var ods = assignment.OrganisationOds;
        db.ChangeTracker.Clear();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // One claimant, organisation and patient at a time, so two concurrent claims make one relationship.
        await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock({0})", [LockKey(subject, ods, request.NhsNumber)], ct);
        var kind = (int)CareRelationshipKind.SelfClaimed;
        var existing = await db.CareRelationships.AsNoTracking()
            .Where(r => r.NhsNumber == request.NhsNumber && r.Kind == kind && r.SubjectKind == RelationshipSubject.Professional &&
                        r.SubjectValue == subject && r.SourceOrganisation == ods && r.StartTime <= now && (r.EndTime == null || r.EndTime > now))
            .OrderByDescending(r => r.StartTime).FirstOrDefaultAsync(ct);
        if (existing is not null)
        {
            await tx.CommitAsync(ct);
            return (existing, false);
        }

        var id = Guid.CreateVersion7();
        var row = new CareRelationshipRow
        {
            Id = id,
            NhsNumber = request.NhsNumber,
            Kind = kind,
            SubjectKind = RelationshipSubject.Professional,
            SubjectValue = subject,
            StartTime = now,
            EndTime = now + SelfClaimRules.Duration(asked, maximum),
            SourceOrganisation = ods,
            SourceEntryId = SourceEntryPrefix + id.ToString("D"),
            RecordedBy = RecordedBy,
            RecordedAt = now,
            UpdatedAt = now,
            SelfClaimReason = (int)request.ReasonCode,
            SelfClaimReasonText = text.Length == 0 ? null : text,
            SelfClaimRoleAssignmentId = assignment.Id,
            SelfClaimRoleCode = assignment.RoleCode,
        };
        db.CareRelationships.Add(row);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return (row, true);
    }

    /// <summary>A refusal naming the role and organisation the claim was tried in (the caller's own), for the gateway's audit.</summary>
    private static PermissionDeniedException Refusal(string reason, string message, RoleAssignmentRow assignment)
    {
        var denied = new PermissionDeniedException(reason, message);
        denied.Metadata["role_code"] = assignment.RoleCode;
        denied.Metadata["organisation_ods_code"] = assignment.OrganisationOds;
        return denied;
    }

    private static long LockKey(string professionalId, string ods, string nhsNumber)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"self-claim|{professionalId}|{ods}|{nhsNumber}"));
        return BitConverter.ToInt64(hash, 0);
    }

    private async Task<CareRelationship> ToProtoAsync(CareRelationshipRow row, DateTimeOffset now, CancellationToken ct) =>
        Mapping.ToProto(row, await db.Organisations.AsNoTracking().Where(o => o.OdsCode == row.SourceOrganisation)
            .ToDictionaryAsync(o => o.OdsCode, o => o.DisplayName, ct), now);

    [LoggerMessage(Level = LogLevel.Information, Message = "Self-claim refused to professional {ProfessionalId}: {Reason} (patient ref {PatientRef})")]
    private static partial void LogRefused(ILogger logger, Guid professionalId, string reason, string patientRef);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Care relationship {RelationshipId} SELF-CLAIMED by professional {ProfessionalId} as {RoleCode} at {Organisation}, reason {ReasonCode} (patient ref {PatientRef})")]
    private static partial void LogClaimed(ILogger logger, Guid relationshipId, Guid professionalId, string roleCode, string organisation, string reasonCode, string patientRef);
}
