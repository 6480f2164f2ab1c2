using Lcr.Identity.Domain;
using Lcr.Identity.Persistence;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults;
using Microsoft.EntityFrameworkCore;

namespace Lcr.Identity.Application;

/// <summary>
/// Care relationships, recorded and ended by system callers (feeds) only, each within its own
/// organisation (<see cref="RelationshipBoundary"/>); listed to a system only as far as they
/// concern its organisation, except to the platform operator's own systems.
/// </summary>
public sealed partial class RelationshipService(
    IdentityDbContext db,
    PatientPseudonymiser pseudonyms,
    TimeProvider clock,
    ILogger<RelationshipService> logger)
{
    private static readonly TimeSpan FutureTolerance = TimeSpan.FromMinutes(5);

    public async Task<RecordCareRelationshipResponse> RecordAsync(RecordCareRelationshipRequest request, SystemCaller caller, CancellationToken ct)
    {
        var v = new FieldViolations();
        var c = request.CareRelationship;
        if (c is null)
        {
            v.Add("care_relationship", "is required");
            v.ThrowIfAny();
        }

        const string p = "care_relationship.";
        var now = clock.UtcNowMicros();
        NhsNumber.Validate(c!.NhsNumber, v, p + "nhs_number");
        if (v.RequireEnum(c.Kind, p + "kind"))
        {
            // A self-claim is the professional's own statement (ClaimCareRelationship); no feed makes one.
            v.Check(c.Kind != CareRelationshipKind.SelfClaimed, p + "kind", "must not be SELF_CLAIMED: only the professional claims one, with ClaimCareRelationship");
        }

        RelationshipSubject subjectKind = default;
        var subject = string.Empty;
        switch (c.SubjectCase)
        {
            case CareRelationship.SubjectOneofCase.ProfessionalId:
                subjectKind = RelationshipSubject.Professional;
                if (v.Check(Identifiers.TryGuid(c.ProfessionalId, out var pid), p + "professional_id", "must be a professional's platform id (UUID)"))
                {
                    subject = pid.ToString();
                }

                break;
            case CareRelationship.SubjectOneofCase.TeamId:
                subjectKind = RelationshipSubject.Team;
                subject = Identifiers.NormaliseTeam(c.TeamId);
                v.Check(Identifiers.IsTeamId(subject), p + "team_id", "must be \"<ODS code>:<team code>\", e.g. RGD:CMHT-NORTH");
                break;
            case CareRelationship.SubjectOneofCase.OrganisationOdsCode:
                subjectKind = RelationshipSubject.Organisation;
                subject = Identifiers.NormaliseOds(c.OrganisationOdsCode);
                v.Check(Identifiers.IsOdsCode(subject), p + "organisation_ods_code", "must be an ODS code: 3 to 10 letters and digits");
                break;
            default:
                v.Add(p + "subject", "exactly one of professional_id, team_id or organisation_ods_code is required");
                break;
        }

        var start = v.Time(c.StartTime, p + "start_time") is { } startTime ? Clock.Micros(startTime) : now;
        v.Check(start <= now + FutureTolerance, p + "start_time", "must not be more than 5 minutes in the future");
        DateTimeOffset? end = v.Time(c.EndTime, p + "end_time") is { } endTime ? Clock.Micros(endTime) : null;
        if (end is { } e)
        {
            v.Check(e > start, p + "end_time", "must be after start_time");
        }

        var sourceEntryId = c.Source?.SourceEntryId?.Trim() ?? string.Empty;
        v.RequireText(sourceEntryId, p + "source.source_entry_id", 100);
        var sourceSystem = c.Source?.SourceSystem?.Trim();
        v.MaxLength(sourceSystem, p + "source.source_system", 100);
        v.ThrowIfAny();

        var within = await SubjectWithinAsync(subjectKind, subject, caller, now, ct);

        var existing = await db.CareRelationships
            .SingleOrDefaultAsync(r => r.SourceOrganisation == caller.OrganisationOds && r.SourceEntryId == sourceEntryId, ct);
        if (existing is not null)
        {
            if (existing.Kind == (int)CareRelationshipKind.SelfClaimed)
            {
                throw new AlreadyExistsException("care_relationship",
                    "This source_entry_id is a self-claimed relationship's; a feed cannot change it.");
            }

            if (existing.NhsNumber != c.NhsNumber)
            {
                throw new AlreadyExistsException("care_relationship",
                    "This source_entry_id is already used by your organisation for another patient's relationship.");
            }

            var changed = existing.Kind != (int)c.Kind || existing.SubjectKind != subjectKind || existing.SubjectValue != subject ||
                          existing.StartTime != start || existing.EndTime != end || (existing.SourceSystem ?? string.Empty) != (sourceSystem ?? string.Empty);
            if (changed)
            {
                // The same professional keeps their relationship's changes (a new planned end,
                // a discharge) within bounds even after leaving: it was checked when recorded,
                // and it gives access only in a role at this organisation (AccessService).
                var sameProfessional = subjectKind == RelationshipSubject.Professional &&
                                       existing.SubjectKind == RelationshipSubject.Professional && existing.SubjectValue == subject;
                RequireWithin(within || sameProfessional, subjectKind, caller);
                existing.Kind = (int)c.Kind;
                existing.SubjectKind = subjectKind;
                existing.SubjectValue = subject;
                existing.StartTime = start;
                existing.EndTime = end;
                existing.SourceSystem = string.IsNullOrEmpty(sourceSystem) ? null : sourceSystem;
                existing.RecordedBy = caller.ClientId;
                existing.UpdatedAt = now;
                await db.SaveChangesAsync(ct);
                LogUpdated(logger, existing.Id, caller.ClientId, pseudonyms.Pseudonym(existing.NhsNumber));
            }

            return new RecordCareRelationshipResponse { CareRelationship = await ToProtoAsync(existing, ct), Created = false, Changed = changed };
        }

        RequireWithin(within, subjectKind, caller);
        var row = new CareRelationshipRow
        {
            Id = Guid.CreateVersion7(),
            NhsNumber = c.NhsNumber,
            Kind = (int)c.Kind,
            SubjectKind = subjectKind,
            SubjectValue = subject,
            StartTime = start,
            EndTime = end,
            SourceOrganisation = caller.OrganisationOds,
            SourceSystem = string.IsNullOrEmpty(sourceSystem) ? null : sourceSystem,
            SourceEntryId = sourceEntryId,
            RecordedBy = caller.ClientId,
            RecordedAt = now,
            UpdatedAt = now,
        };
        db.CareRelationships.Add(row);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            // A concurrent identical record won the race: answer as a retry would.
            db.ChangeTracker.Clear();
            return await RecordAsync(request, caller, ct);
        }

        LogRecorded(logger, row.Id, subjectKind.ToString(), caller.ClientId, pseudonyms.Pseudonym(row.NhsNumber));
        return new RecordCareRelationshipResponse { CareRelationship = await ToProtoAsync(row, ct), Created = true, Changed = true };
    }

    public async Task<EndCareRelationshipResponse> EndAsync(EndCareRelationshipRequest request, SystemCaller caller, CancellationToken ct)
    {
        var v = new FieldViolations();
        CareRelationshipRow? row = null;
        switch (request.RelationshipCase)
        {
            case EndCareRelationshipRequest.RelationshipOneofCase.CareRelationshipId:
                if (v.Check(Identifiers.TryGuid(request.CareRelationshipId, out var id), "care_relationship_id", "must be a platform id (UUID)"))
                {
                    row = await db.CareRelationships.SingleOrDefaultAsync(r => r.Id == id, ct);
                }

                break;
            case EndCareRelationshipRequest.RelationshipOneofCase.SourceEntryId:
                var sid = request.SourceEntryId?.Trim() ?? string.Empty;
                if (v.RequireText(sid, "source_entry_id", 100))
                {
                    row = await db.CareRelationships.SingleOrDefaultAsync(
                        r => r.SourceOrganisation == caller.OrganisationOds && r.SourceEntryId == sid, ct);
                }

                break;
            default:
                v.Add("relationship", "one of care_relationship_id or source_entry_id is required");
                break;
        }

        var now = clock.UtcNowMicros();
        var end = v.Time(request.EndTime, "end_time") is { } endTime ? Clock.Micros(endTime) : now;
        v.Check(end <= now + FutureTolerance, "end_time", "must not be more than 5 minutes in the future");
        v.ThrowIfAny();

        if (row is null)
        {
            throw new NotFoundException("care_relationship");
        }

        if (row.SourceOrganisation != caller.OrganisationOds)
        {
            throw new PermissionDeniedException("RELATIONSHIP_OF_ANOTHER_ORGANISATION",
                "Only the organisation that recorded a care relationship may end it.");
        }

        if (row.EndTime is { } ended && ended <= now)
        {
            return new EndCareRelationshipResponse { CareRelationship = await ToProtoAsync(row, ct) }; // already ended: idempotent
        }

        if (end < row.StartTime)
        {
            throw new InvalidArgumentException("end_time", "must not be before the relationship's start_time");
        }

        if (row.EndTime == end)
        {
            return new EndCareRelationshipResponse { CareRelationship = await ToProtoAsync(row, ct) }; // already planned to end then
        }

        row.EndTime = end;
        row.UpdatedAt = now;
        row.RecordedBy = caller.ClientId;
        await db.SaveChangesAsync(ct);
        LogEnded(logger, row.Id, caller.ClientId, pseudonyms.Pseudonym(row.NhsNumber));
        return new EndCareRelationshipResponse { CareRelationship = await ToProtoAsync(row, ct), Changed = true };
    }

    public async Task<ListCareRelationshipsResponse> ListAsync(ListCareRelationshipsRequest request, SystemCaller caller, CancellationToken ct)
    {
        var v = new FieldViolations();
        NhsNumber.Validate(request.NhsNumber, v);
        var size = Paging.ResolvePageSize(request.PageSize, v);
        var fingerprint = string.Join('|', "relationships", request.NhsNumber, request.IncludeEnded, caller.OrganisationOds);
        var after = Paging.DecodeToken<RelationshipPosition>(request.PageToken, fingerprint, v);
        v.ThrowIfAny();

        // Pages are computed against the time of the first page, so a relationship ending
        // between pages neither repeats nor disappears.
        var asOf = after?.AsOf ?? clock.UtcNowMicros();
        var all = await VisibleToAsync(caller, db.CareRelationships.AsNoTracking().Where(r => r.NhsNumber == request.NhsNumber), asOf, ct);
        var current = all.Where(r => r.EndTime == null || r.EndTime > asOf);
        var ended = all.Where(r => r.EndTime != null && r.EndTime <= asOf);

        var rows = new List<CareRelationshipRow>(size + 1);
        if (after is null || !after.Ended)
        {
            var q = current;
            if (after is not null)
            {
                q = q.Where(r => r.StartTime < after.Start || (r.StartTime == after.Start && r.Id.CompareTo(after.Id) < 0));
            }

            rows.AddRange(await q.OrderByDescending(r => r.StartTime).ThenByDescending(r => r.Id).Take(size + 1).ToListAsync(ct));
        }

        var endedSeen = after is { Ended: true };
        if (request.IncludeEnded && rows.Count <= size)
        {
            var q = ended;
            if (endedSeen)
            {
                q = q.Where(r => r.StartTime < after!.Start || (r.StartTime == after.Start && r.Id.CompareTo(after.Id) < 0));
            }

            rows.AddRange(await q.OrderByDescending(r => r.StartTime).ThenByDescending(r => r.Id).Take(size + 1 - rows.Count).ToListAsync(ct));
        }

        var orgNames = await OrgNamesAsync(ct);
        var response = new ListCareRelationshipsResponse();
        response.CareRelationships.AddRange(rows.Take(size).Select(r => Mapping.ToProto(r, orgNames, asOf)));
        if (rows.Count > size)
        {
            var last = rows[size - 1];
            response.NextPageToken = Paging.EncodeToken(
                new RelationshipPosition(asOf, last.EndTime is { } e && e <= asOf, last.StartTime, last.Id), fingerprint);
        }

        return response;
    }

    /// <summary>
    /// Whether the subject, which must exist (else NOT_FOUND), is within the caller's
    /// organisation (<see cref="RelationshipBoundary"/>), for <see cref="RequireWithin"/> before
    /// anything is written.
    /// </summary>
    private async Task<bool> SubjectWithinAsync(RelationshipSubject kind, string subject, SystemCaller caller, DateTimeOffset now, CancellationToken ct)
    {
        bool within;
        switch (kind)
        {
            case RelationshipSubject.Professional:
                var id = Guid.Parse(subject);
                if (!await db.Professionals.AnyAsync(p => p.Id == id, ct))
                {
                    throw new NotFoundException("professional");
                }

                var roles = await db.RoleAssignments.AsNoTracking().Where(r => r.ProfessionalId == id)
                    .Select(r => new { r.OrganisationOds, r.StartTime, r.EndTime }).ToListAsync(ct);
                within = RelationshipBoundary.IsOwnProfessional(caller.OrganisationOds,
                    roles.Select(r => (r.OrganisationOds, r.StartTime, r.EndTime)), now);
                break;
            case RelationshipSubject.Team:
                var ods = Identifiers.TeamOrganisation(subject);
                if (!await db.Organisations.AnyAsync(o => o.OdsCode == ods, ct))
                {
                    throw new NotFoundException("organisation");
                }

                within = RelationshipBoundary.IsOwnTeam(caller.OrganisationOds, subject);
                break;
            default:
                if (!await db.Organisations.AnyAsync(o => o.OdsCode == subject, ct))
                {
                    throw new NotFoundException("organisation");
                }

                within = RelationshipBoundary.IsOwnOrganisation(caller.OrganisationOds, subject);
                break;
        }

        return within;
    }

    /// <summary>PERMISSION_DENIED RELATIONSHIP_OUTSIDE_ORGANISATION unless <paramref name="within"/>; names none of the caller's ids.</summary>
    private void RequireWithin(bool within, RelationshipSubject kind, SystemCaller caller)
    {
        if (!within)
        {
            LogOutsideOrganisation(logger, caller.ClientId, kind.ToString());
            throw new PermissionDeniedException(RelationshipBoundary.Reason, RelationshipBoundary.Message);
        }
    }

    /// <summary>
    /// The relationships a system may list: every one for the platform operator's own
    /// organisations; otherwise those its organisation recorded, or that name its organisation,
    /// one of its teams, or one of its professionals (an active role assignment there now).
    /// </summary>
    private async Task<IQueryable<CareRelationshipRow>> VisibleToAsync(SystemCaller caller, IQueryable<CareRelationshipRow> rows, DateTimeOffset now,
        CancellationToken ct)
    {
        var ods = caller.OrganisationOds;
        if (await db.Organisations.AnyAsync(o => o.OdsCode == ods && o.Kind == (int)OrganisationKind.SharedCareRecordOperator, ct))
        {
            return rows;
        }

        var teamPrefix = ods + ":";
        var professionals = db.RoleAssignments
            .Where(a => a.OrganisationOds == ods && a.StartTime <= now && (a.EndTime == null || a.EndTime > now))
            .Select(a => a.ProfessionalId.ToString());
        return rows.Where(r => r.SourceOrganisation == ods ||
                               (r.SubjectKind == RelationshipSubject.Organisation && r.SubjectValue == ods) ||
                               (r.SubjectKind == RelationshipSubject.Team && r.SubjectValue.StartsWith(teamPrefix)) ||
                               (r.SubjectKind == RelationshipSubject.Professional && professionals.Contains(r.SubjectValue)));
    }

    private async Task<CareRelationship> ToProtoAsync(CareRelationshipRow row, CancellationToken ct) =>
        Mapping.ToProto(row, await OrgNamesAsync(ct), clock.UtcNowMicros());

    private Task<Dictionary<string, string>> OrgNamesAsync(CancellationToken ct) =>
        db.Organisations.AsNoTracking().ToDictionaryAsync(o => o.OdsCode, o => o.DisplayName, ct);

    private sealed record RelationshipPosition(DateTimeOffset AsOf, bool Ended, DateTimeOffset Start, Guid Id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Care relationship {RelationshipId} ({SubjectKind}) recorded by {ClientId} (patient ref {PatientRef})")]
    private static partial void LogRecorded(ILogger logger, Guid relationshipId, string subjectKind, string clientId, string patientRef);

    [LoggerMessage(Level = LogLevel.Information, Message = "Care relationship {RelationshipId} updated by {ClientId} (patient ref {PatientRef})")]
    private static partial void LogUpdated(ILogger logger, Guid relationshipId, string clientId, string patientRef);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Care relationship refused to {ClientId}: the {SubjectKind} named is outside its organisation")]
    private static partial void LogOutsideOrganisation(ILogger logger, string clientId, string subjectKind);

    [LoggerMessage(Level = LogLevel.Information, Message = "Care relationship {RelationshipId} ended by {ClientId} (patient ref {PatientRef})")]
    private static partial void LogEnded(ILogger logger, Guid relationshipId, string clientId, string patientRef);
}
