using Google.Protobuf.WellKnownTypes;
using Lcr.Identity.Domain;
using Lcr.Identity.Domain.Federation;
using Lcr.Identity.Persistence;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults;
using Microsoft.EntityFrameworkCore;

namespace Lcr.Identity.Application.Federation;

/// <summary>
/// Reading and verifying the federated sign-in record (ListFederatedSignInEvents,
/// VerifyFederatedSignInEvents): for administration clients of the platform operator's
/// organisation only, since sign-in attempts (an unknown subject, a refused token) belong to no
/// one organisation.
/// </summary>
public sealed class SignInRecordService(IdentityDbContext db)
{
    private sealed record Position(long Sequence);

    public async Task<ListFederatedSignInEventsResponse> ListAsync(ListFederatedSignInEventsRequest request, SystemCaller caller, CancellationToken ct)
    {
        var v = new FieldViolations();
        Guid? professional = null;
        if (!string.IsNullOrEmpty(request.ProfessionalId))
        {
            v.Check(Identifiers.TryGuid(request.ProfessionalId, out var id), "professional_id", "must be a platform id (UUID)");
            professional = id;
        }

        var subject = string.IsNullOrEmpty(request.Subject) ? null : request.Subject;
        v.MaxLength(subject, "subject", 200);
        var outcome = string.IsNullOrEmpty(request.Outcome) ? null : request.Outcome;
        v.MaxLength(outcome, "outcome", 64);
        var size = Paging.ResolvePageSize(request.PageSize, v);
        var fingerprint = string.Join('|', "sign-ins", professional, subject, outcome);
        var after = Paging.DecodeToken<Position>(request.PageToken, fingerprint, v);
        v.ThrowIfAny();
        await RequireOperatorAsync(caller, ct);

        var q = db.FederatedSignInEvents.AsNoTracking();
        if (professional is { } p)
        {
            q = q.Where(e => e.ProfessionalId == p);
        }

        if (subject is not null)
        {
            q = q.Where(e => e.Subject == subject);
        }

        if (outcome is not null)
        {
            q = q.Where(e => e.Outcome == outcome);
        }

        if (after is not null)
        {
            q = q.Where(e => e.Sequence < after.Sequence);
        }

        var rows = await q.OrderByDescending(e => e.Sequence).Take(size + 1).ToListAsync(ct);
        var response = new ListFederatedSignInEventsResponse();
        response.Events.AddRange(rows.Take(size).Select(ToProto));
        if (rows.Count > size)
        {
            response.NextPageToken = Paging.EncodeToken(new Position(rows[size - 1].Sequence), fingerprint);
        }

        return response;
    }

    public async Task<VerifyFederatedSignInEventsResponse> VerifyAsync(SystemCaller caller, CancellationToken ct)
    {
        await RequireOperatorAsync(caller, ct);
        var rows = await db.FederatedSignInEvents.AsNoTracking().OrderBy(e => e.Sequence).ToListAsync(ct);
        var broken = SignInEventChain.FirstBreak(rows);
        return new VerifyFederatedSignInEventsResponse { Intact = broken is null, FirstBreakSequence = broken ?? 0, EventsVerified = rows.Count };
    }

    private async Task RequireOperatorAsync(SystemCaller caller, CancellationToken ct)
    {
        var ods = caller.OrganisationOds;
        if (!await db.Organisations.AnyAsync(o => o.OdsCode == ods && o.Active && o.Kind == (int)OrganisationKind.SharedCareRecordOperator, ct))
        {
            throw new PermissionDeniedException("PLATFORM_OPERATOR_ONLY", "Only the platform operator's administration clients may read the federated sign-in record.");
        }
    }

    private static FederatedSignInEvent ToProto(FederatedSignInEventRow e)
    {
        var p = new FederatedSignInEvent
        {
            Sequence = e.Sequence,
            Id = e.Id.ToString(),
            OccurTime = Timestamp.FromDateTimeOffset(e.OccurredAt),
            Provider = e.Provider,
            Outcome = e.Outcome,
            FailedCheck = e.FailedCheck ?? string.Empty,
            Subject = e.Subject ?? string.Empty,
            ProfessionalId = e.ProfessionalId?.ToString() ?? string.Empty,
            RoleProfileId = e.RoleProfileId ?? string.Empty,
            RoleAssignmentId = e.RoleAssignmentId?.ToString() ?? string.Empty,
            SessionId = e.SessionId ?? string.Empty,
        };
        p.EndedRoleAssignmentIds.AddRange(e.EndedRoleAssignmentIds.Select(i => i.ToString()));
        return p;
    }
}
