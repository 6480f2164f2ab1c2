using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Lcr.Identity.Domain;
using Lcr.Identity.Persistence;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults;
using Microsoft.EntityFrameworkCore;

namespace Lcr.Identity.Application.Federation;

/// <summary>
/// The joiners list for the platform team (ListFederatedJoiners, LinkFederatedJoiner,
/// DismissFederatedJoiner). Who sees whom: a client of the platform operator's organisation
/// (kind SHARED_CARE_RECORD_OPERATOR) sees every joiner; any other administration client only the
/// joiners with a role profile at its own organisation, the organisation that vouches for the
/// person's role there. A joiner outside the caller's view is NOT_FOUND, as if it did not exist.
/// </summary>
public sealed class JoinerService(IdentityDbContext db, TimeProvider clock)
{
    private sealed record Position(DateTimeOffset LastSeen, Guid Id);

    public async Task<ListFederatedJoinersResponse> ListAsync(ListFederatedJoinersRequest request, SystemCaller caller, CancellationToken ct)
    {
        var v = new FieldViolations();
        v.Check(System.Enum.IsDefined(request.Status), "status", "must be a FederatedJoinerStatus value");
        var ods = string.IsNullOrWhiteSpace(request.OrganisationOdsCode) ? null : Identifiers.NormaliseOds(request.OrganisationOdsCode);
        if (ods is not null)
        {
            v.Check(Identifiers.IsOdsCode(ods), "organisation_ods_code", "must be an ODS code: 3 to 10 letters and digits");
        }

        var provider = string.IsNullOrWhiteSpace(request.Provider) ? null : request.Provider.Trim();
        v.MaxLength(provider, "provider", 64);
        var size = Paging.ResolvePageSize(request.PageSize, v);
        var fingerprint = string.Join('|', "joiners", caller.OrganisationOds, (int)request.Status, provider, ods);
        var after = Paging.DecodeToken<Position>(request.PageToken, fingerprint, v);
        v.ThrowIfAny();

        var q = await VisibleAsync(caller, ct);
        if (request.Status != FederatedJoinerStatus.Unspecified)
        {
            q = q.Where(j => j.Status == (int)request.Status);
        }

        if (provider is not null)
        {
            q = q.Where(j => j.Provider == provider);
        }

        if (ods is not null)
        {
            q = q.Where(j => j.OrganisationOds.Contains(ods));
        }

        if (after is not null)
        {
            q = q.Where(j => j.LastSeen < after.LastSeen || (j.LastSeen == after.LastSeen && j.Id.CompareTo(after.Id) < 0));
        }

        var rows = await q.OrderByDescending(j => j.LastSeen).ThenByDescending(j => j.Id).Take(size + 1).ToListAsync(ct);
        var response = new ListFederatedJoinersResponse();
        response.Joiners.AddRange(rows.Take(size).Select(ToProto));
        if (rows.Count > size)
        {
            var last = rows[size - 1];
            response.NextPageToken = Paging.EncodeToken(new Position(last.LastSeen, last.Id), fingerprint);
        }

        return response;
    }

    public async Task<FederatedJoiner> LinkAsync(LinkFederatedJoinerRequest request, SystemCaller caller, CancellationToken ct)
    {
        var v = new FieldViolations();
        v.Check(Identifiers.TryGuid(request.JoinerId, out var joinerId), "joiner_id", "must be a joiner id (UUID)");
        v.Check(Identifiers.TryGuid(request.ProfessionalId, out var professionalId), "professional_id", "must be a platform id (UUID)");
        v.ThrowIfAny();

        var joiner = await FindAsync(joinerId, caller, ct);
        // Beyond the platform operator, an organisation links only its own people: a professional
        // with a current role there (anyone else is NOT_FOUND, as if absent), not already linked to
        // another subject (relinking an account is the operator's call: it changes who signs in as it).
        var now = clock.UtcNowMicros();
        var operatorCaller = await IsOperatorAsync(caller, ct);
        var professional = await db.Professionals.Include(p => p.RoleAssignments).SingleOrDefaultAsync(p => p.Id == professionalId, ct);
        if (professional is null || (!operatorCaller && !professional.RoleAssignments.Any(r =>
                r.OrganisationOds == caller.OrganisationOds && r.StartTime <= now && (r.EndTime is null || r.EndTime > now))))
        {
            throw new NotFoundException("professional");
        }

        if (!operatorCaller && !string.IsNullOrEmpty(professional.FederatedSubject) && professional.FederatedSubject != joiner.Subject)
        {
            throw new FailedPreconditionException("PROFESSIONAL_ALREADY_LINKED",
                "The professional is already linked to another identity at a provider; only the platform operator relinks an account.");
        }

        if (joiner.Status == JoinerRegister.Dismissed)
        {
            throw new FailedPreconditionException("JOINER_DISMISSED", "The joiner was dismissed; it cannot be linked.");
        }

        if (await db.Professionals.AnyAsync(p => p.FederatedSubject == joiner.Subject && p.Id != professionalId, ct))
        {
            throw new AlreadyExistsException("professional", "Another professional is already linked to this subject.");
        }

        if (professional.FederatedSubject != joiner.Subject)
        {
            professional.FederatedSubject = joiner.Subject;
            professional.Version++;
            professional.UpdatedAt = now;
        }

        joiner.Status = JoinerRegister.Linked;
        joiner.LinkedProfessionalId = professionalId;
        joiner.ResolvedBy = caller.ClientId;
        joiner.ResolvedAt = now;
        joiner.Version++;
        await SaveAsync(ct);
        return ToProto(joiner);
    }

    public async Task<FederatedJoiner> DismissAsync(DismissFederatedJoinerRequest request, SystemCaller caller, CancellationToken ct)
    {
        var v = new FieldViolations();
        v.Check(Identifiers.TryGuid(request.JoinerId, out var joinerId), "joiner_id", "must be a joiner id (UUID)");
        v.ThrowIfAny();

        var joiner = await FindAsync(joinerId, caller, ct);
        if (joiner.Status != JoinerRegister.Dismissed)
        {
            joiner.Status = JoinerRegister.Dismissed;
            joiner.ResolvedBy = caller.ClientId;
            joiner.ResolvedAt = clock.UtcNowMicros();
            joiner.Version++;
            await SaveAsync(ct);
        }

        return ToProto(joiner);
    }

    private async Task SaveAsync(CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new ConcurrencyConflictException("The joiner or professional changed meanwhile; read it again and retry.");
        }
        catch (DbUpdateException ex) when (ex.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            throw new AlreadyExistsException("professional", "Another professional is already linked to this subject.");
        }
    }

    private async Task<FederatedJoinerRow> FindAsync(Guid id, SystemCaller caller, CancellationToken ct)
    {
        var q = await VisibleAsync(caller, ct, tracking: true);
        return await q.SingleOrDefaultAsync(j => j.Id == id, ct) ?? throw new NotFoundException("joiner");
    }

    /// <summary>The joiners the caller's organisation may see.</summary>
    private async Task<IQueryable<FederatedJoinerRow>> VisibleAsync(SystemCaller caller, CancellationToken ct, bool tracking = false)
    {
        var q = tracking ? db.FederatedJoiners : db.FederatedJoiners.AsNoTracking();
        var ods = caller.OrganisationOds;
        return await IsOperatorAsync(caller, ct) ? q : q.Where(j => j.OrganisationOds.Contains(ods));
    }

    /// <summary>A client of the platform operator's organisation: it sees and resolves every joiner.</summary>
    private Task<bool> IsOperatorAsync(SystemCaller caller, CancellationToken ct) =>
        db.Organisations.AnyAsync(o => o.OdsCode == caller.OrganisationOds && o.Active && o.Kind == (int)OrganisationKind.SharedCareRecordOperator, ct);

    private static FederatedJoiner ToProto(FederatedJoinerRow row)
    {
        var joiner = new FederatedJoiner
        {
            Id = row.Id.ToString(),
            Provider = row.Provider,
            Subject = row.Subject,
            GivenName = row.GivenName ?? string.Empty,
            FamilyName = row.FamilyName ?? string.Empty,
            LastReason = row.LastReason,
            FirstSeenTime = Timestamp.FromDateTimeOffset(row.FirstSeen),
            LastSeenTime = Timestamp.FromDateTimeOffset(row.LastSeen),
            Attempts = row.Attempts,
            Status = (FederatedJoinerStatus)row.Status,
            LinkedProfessionalId = row.LinkedProfessionalId?.ToString() ?? string.Empty,
        };
        foreach (var p in JsonSerializer.Deserialize<List<JoinerRoleProfileJson>>(row.RoleProfilesJson) ?? [])
        {
            joiner.RoleProfiles.Add(new FederatedJoinerRoleProfile { RoleProfileId = p.RoleProfileId, OrgCode = p.OrgCode, RoleCode = p.RoleCode });
        }

        return joiner;
    }
}
