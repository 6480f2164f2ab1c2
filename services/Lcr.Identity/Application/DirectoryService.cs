using Lcr.Identity.Domain;
using Lcr.Identity.Persistence;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Lcr.Identity.Application;

/// <summary>Organisations, professionals and role assignments: the administration the platform team and seeding need.</summary>
public sealed partial class DirectoryService(
    IdentityDbContext db,
    IPasswordHasher<ProfessionalRow> passwords,
    RoleCatalogue roles,
    TimeProvider clock,
    SignInThrottle throttle,
    ILogger<DirectoryService> logger)
{
    public const int MinPasswordLength = 12;

    private static readonly HashSet<string> UpdatableOrganisationFields = ["display_name", "self_claims_disabled"];

    private static readonly HashSet<string> UpdatableProfessionalFields =
        ["given_name", "family_name", "title", "registration", "federated_subject", "personal_nhs_number", "team_ids", "active"];

    // ---- organisations ----

    public async Task<Organisation> CreateOrganisationAsync(Organisation? o, CancellationToken ct)
    {
        var v = new FieldViolations();
        if (o is null)
        {
            v.Add("organisation", "is required");
            v.ThrowIfAny();
        }

        var ods = Identifiers.NormaliseOds(o!.OdsCode);
        v.Check(Identifiers.IsOdsCode(ods), "organisation.ods_code", "must be an ODS code: 3 to 10 letters and digits");
        v.RequireText(o.DisplayName, "organisation.display_name", 200);
        v.RequireEnum(o.Kind, "organisation.kind");
        v.ThrowIfAny();

        var existing = await db.Organisations.AsNoTracking().SingleOrDefaultAsync(x => x.OdsCode == ods, ct);
        if (existing is not null)
        {
            return existing.DisplayName == o.DisplayName.Trim() && existing.Kind == (int)o.Kind
                ? Mapping.ToProto(existing)
                : throw new AlreadyExistsException("organisation", "An organisation with this ODS code is registered with other details.");
        }

        var now = clock.UtcNowMicros();
        var row = new OrganisationRow { OdsCode = ods, DisplayName = o.DisplayName.Trim(), Kind = (int)o.Kind, Active = true, CreatedAt = now, UpdatedAt = now };
        db.Organisations.Add(row);
        await db.SaveChangesAsync(ct);
        LogOrganisation(logger, ods);
        return Mapping.ToProto(row);
    }

    public async Task<Organisation> GetOrganisationAsync(string odsCode, CancellationToken ct)
    {
        var ods = Identifiers.NormaliseOds(odsCode);
        if (!Identifiers.IsOdsCode(ods))
        {
            throw new InvalidArgumentException("ods_code", "must be an ODS code: 3 to 10 letters and digits");
        }

        var row = await db.Organisations.AsNoTracking().SingleOrDefaultAsync(o => o.OdsCode == ods, ct)
            ?? throw new NotFoundException("organisation");
        return Mapping.ToProto(row);
    }

    public async Task<ListOrganisationsResponse> ListOrganisationsAsync(ListOrganisationsRequest request, CancellationToken ct)
    {
        var v = new FieldViolations();
        v.DefinedEnum(request.Kind, "kind");
        var size = Paging.ResolvePageSize(request.PageSize, v);
        var fingerprint = "organisations|" + (int)request.Kind;
        var after = Paging.DecodeToken<string>(request.PageToken, fingerprint, v);
        v.ThrowIfAny();

        var q = db.Organisations.AsNoTracking();
        if (request.Kind != OrganisationKind.Unspecified)
        {
            var kind = (int)request.Kind;
            q = q.Where(o => o.Kind == kind);
        }

        if (after is not null)
        {
            q = q.Where(o => string.Compare(o.OdsCode, after) > 0);
        }

        var rows = await q.OrderBy(o => o.OdsCode).Take(size + 1).ToListAsync(ct);
        var response = new ListOrganisationsResponse();
        response.Organisations.AddRange(rows.Take(size).Select(Mapping.ToProto));
        if (rows.Count > size)
        {
            response.NextPageToken = Paging.EncodeToken(rows[size - 1].OdsCode, fingerprint);
        }

        return response;
    }

    /// <summary>
    /// UpdateOrganisation: the display name and the self-claims switch. The platform operator's
    /// clients change any organisation; any other client only its own (another is NOT_FOUND,
    /// as an unknown one is, so nobody learns what they may not change).
    /// </summary>
    public async Task<Organisation> UpdateOrganisationAsync(UpdateOrganisationRequest request, SystemCaller caller, CancellationToken ct)
    {
        var v = new FieldViolations();
        var o = request.Organisation;
        if (o is null)
        {
            v.Add("organisation", "is required");
            v.ThrowIfAny();
        }

        var ods = Identifiers.NormaliseOds(o!.OdsCode);
        v.Check(Identifiers.IsOdsCode(ods), "organisation.ods_code", "must be an ODS code: 3 to 10 letters and digits");
        v.Check(request.UpdateMask is { Paths.Count: > 0 }, "update_mask", "is required: name the fields to change");
        var paths = v.UpdateMask(request.UpdateMask?.Paths, UpdatableOrganisationFields);
        if (paths.Contains("display_name"))
        {
            v.RequireText(o.DisplayName, "organisation.display_name", 200);
        }

        v.ThrowIfAny();

        var own = caller.OrganisationOds;
        var mayChangeAny = await db.Organisations.AnyAsync(x => x.OdsCode == own && x.Active && x.Kind == (int)OrganisationKind.SharedCareRecordOperator, ct);
        var row = await db.Organisations.SingleOrDefaultAsync(x => x.OdsCode == ods, ct);
        if (row is null || (!mayChangeAny && row.OdsCode != own))
        {
            throw new NotFoundException("organisation");
        }

        var changed = false;
        if (paths.Contains("display_name") && row.DisplayName != o.DisplayName.Trim())
        {
            row.DisplayName = o.DisplayName.Trim();
            changed = true;
        }

        if (paths.Contains("self_claims_disabled") && row.SelfClaimsDisabled != o.SelfClaimsDisabled)
        {
            row.SelfClaimsDisabled = o.SelfClaimsDisabled;
            changed = true;
        }

        if (changed)
        {
            row.UpdatedAt = clock.UtcNowMicros();
            await db.SaveChangesAsync(ct);
            LogOrganisationUpdated(logger, ods, caller.ClientId, string.Join(',', paths.Order(StringComparer.Ordinal)), row.SelfClaimsDisabled);
        }

        return Mapping.ToProto(row);
    }

    // ---- professionals ----

    public async Task<Professional> CreateProfessionalAsync(CreateProfessionalRequest request, CancellationToken ct, Guid? presetId = null)
    {
        var v = new FieldViolations();
        var p = request.Professional;
        if (p is null)
        {
            v.Add("professional", "is required");
        }

        var requestIdOk = Identifiers.TryGuid(request.RequestId, out var requestId);
        v.Check(requestIdOk, "request_id", "is required: a client-chosen UUID");
        ValidatePassword(request.InitialPassword, "initial_password", v);
        if (p is null)
        {
            v.ThrowIfAny();
        }

        var userName = Identifiers.NormaliseUserName(p!.UserName);
        v.Check(Identifiers.IsUserName(userName), "professional.user_name", "must be 3 to 64 letters, digits, '.', '_', '-' or '@'");
        var apply = ValidateDetails(p, UpdatableProfessionalFields, v, "professional.");
        v.ThrowIfAny();

        var repeat = await LoadAsync(db.Professionals.Where(x => x.CreateRequestId == requestId), ct);
        if (repeat is not null)
        {
            return await ToProtoAsync(repeat, ct);
        }

        if (await db.Professionals.AnyAsync(x => x.UserName == userName, ct))
        {
            throw new AlreadyExistsException("professional", "This user name is in use.");
        }

        var now = clock.UtcNowMicros();
        var row = new ProfessionalRow
        {
            // A preset id only for the dev seed, so other services' seeds can name a professional.
            Id = presetId ?? Guid.CreateVersion7(),
            GivenName = string.Empty,
            FamilyName = string.Empty,
            UserName = userName,
            PasswordHash = string.Empty,
            Active = true,
            SecurityStamp = Guid.NewGuid(),
            CreateRequestId = requestId,
            Version = 1,
            CreatedAt = now,
            UpdatedAt = now,
        };
        apply(row);
        row.Active = true;
        row.PasswordHash = passwords.HashPassword(row, request.InitialPassword);
        db.Professionals.Add(row);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            throw new AlreadyExistsException("professional", "This user name or federated subject is in use.");
        }

        LogProfessional(logger, row.Id);
        return await ToProtoAsync(row, ct);
    }

    public async Task<Professional> GetProfessionalAsync(string professionalId, CancellationToken ct)
    {
        if (!Identifiers.TryGuid(professionalId, out var id))
        {
            throw new InvalidArgumentException("professional_id", "must be a platform id (UUID)");
        }

        var row = await LoadAsync(db.Professionals.Where(p => p.Id == id), ct) ?? throw new NotFoundException("professional");
        return await ToProtoAsync(row, ct);
    }

    public async Task<ListProfessionalsResponse> ListProfessionalsAsync(ListProfessionalsRequest request, CancellationToken ct)
    {
        var v = new FieldViolations();
        var ods = string.IsNullOrWhiteSpace(request.OrganisationOdsCode) ? null : Identifiers.NormaliseOds(request.OrganisationOdsCode);
        if (ods is not null)
        {
            v.Check(Identifiers.IsOdsCode(ods), "organisation_ods_code", "must be an ODS code: 3 to 10 letters and digits");
        }

        var size = Paging.ResolvePageSize(request.PageSize, v);
        var fingerprint = string.Join('|', "professionals", ods, request.IncludeInactive);
        var after = Paging.DecodeToken<ProfessionalPosition>(request.PageToken, fingerprint, v);
        v.ThrowIfAny();

        var q = db.Professionals.AsNoTracking();
        if (!request.IncludeInactive)
        {
            q = q.Where(p => p.Active);
        }

        if (ods is not null)
        {
            q = q.Where(p => p.RoleAssignments.Any(r => r.OrganisationOds == ods));
        }

        if (after is not null)
        {
            q = q.Where(p => string.Compare(p.FamilyName, after.Family) > 0 ||
                             (p.FamilyName == after.Family && string.Compare(p.GivenName, after.Given) > 0) ||
                             (p.FamilyName == after.Family && p.GivenName == after.Given && p.Id.CompareTo(after.Id) > 0));
        }

        var rows = await q.Include(p => p.RoleAssignments)
            .OrderBy(p => p.FamilyName).ThenBy(p => p.GivenName).ThenBy(p => p.Id)
            .Take(size + 1).AsSplitQuery().ToListAsync(ct);
        var orgNames = await OrgNamesAsync(ct);
        var now = clock.UtcNowMicros();
        var response = new ListProfessionalsResponse();
        response.Professionals.AddRange(rows.Take(size).Select(r => Mapping.ToProto(r, roles, orgNames, now)));
        if (rows.Count > size)
        {
            var last = rows[size - 1];
            response.NextPageToken = Paging.EncodeToken(new ProfessionalPosition(last.FamilyName, last.GivenName, last.Id), fingerprint);
        }

        return response;
    }

    public async Task<Professional> UpdateProfessionalAsync(UpdateProfessionalRequest request, CancellationToken ct)
    {
        var v = new FieldViolations();
        var p = request.Professional;
        if (p is null)
        {
            v.Add("professional", "is required");
            v.ThrowIfAny();
        }

        v.Check(Identifiers.TryGuid(p!.Id, out var id), "professional.id", "must be a platform id (UUID)");
        v.Check(!string.IsNullOrEmpty(p.Etag), "professional.etag", "is required: send the etag you read");
        v.Check(request.UpdateMask is { Paths.Count: > 0 } || !string.IsNullOrEmpty(request.NewPassword), "update_mask", "is required: name the fields to change");
        var paths = v.UpdateMask(request.UpdateMask?.Paths, UpdatableProfessionalFields);

        if (!string.IsNullOrEmpty(request.NewPassword))
        {
            ValidatePassword(request.NewPassword, "new_password", v);
        }

        var apply = ValidateDetails(p, paths.ToHashSet(), v, "professional.");
        v.ThrowIfAny();

        var row = await db.Professionals.Include(x => x.RoleAssignments).SingleOrDefaultAsync(x => x.Id == id, ct)
            ?? throw new NotFoundException("professional");
        if (Mapping.Etag(row.Version) != p.Etag)
        {
            throw new ConcurrencyConflictException("The professional changed since you read it; read it again and retry.");
        }

        var wasActive = row.Active;
        apply(row);
        if (!string.IsNullOrEmpty(request.NewPassword))
        {
            row.PasswordHash = passwords.HashPassword(row, request.NewPassword);
            row.FailedSignIns = 0;
            row.LockedUntil = null;
            row.SecurityStamp = Guid.NewGuid(); // older sessions stop working
        }

        if (wasActive && !row.Active)
        {
            row.SecurityStamp = Guid.NewGuid();
        }

        row.Version++;
        row.UpdatedAt = clock.UtcNowMicros();
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new ConcurrencyConflictException("The professional changed since you read it; read it again and retry.");
        }
        catch (DbUpdateException e) when (e.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            throw new AlreadyExistsException("professional", "This federated subject is in use.");
        }

        if (!string.IsNullOrEmpty(request.NewPassword))
        {
            // A reset by an administrator also lifts any sign-in delay on the account (docs/services/identity.md).
            await throttle.ResetAccountAsync(SignInThrottle.AccountKey(row.UserName), ct);
        }

        LogProfessionalUpdated(logger, row.Id, string.Join(',', paths), !string.IsNullOrEmpty(request.NewPassword));
        return await ToProtoAsync(row, ct);
    }

    // ---- role assignments ----

    public async Task<RoleAssignment> CreateRoleAssignmentAsync(RoleAssignment? r, CancellationToken ct)
    {
        var v = new FieldViolations();
        if (r is null)
        {
            v.Add("role_assignment", "is required");
            v.ThrowIfAny();
        }

        v.Check(Identifiers.TryGuid(r!.ProfessionalId, out var professionalId), "role_assignment.professional_id", "must be a platform id (UUID)");
        var ods = Identifiers.NormaliseOds(r.Organisation?.OdsCode);
        if (r.Organisation is null || ods.Length == 0)
        {
            v.Add("role_assignment.organisation", "is required");
        }
        else
        {
            v.Check(Identifiers.IsOdsCode(ods), "role_assignment.organisation.ods_code", "must be an ODS code: 3 to 10 letters and digits");
        }

        var code = r.RoleCode?.Trim() ?? string.Empty;
        v.Check(roles.Find(code) is not null, "role_assignment.role_code",
            $"must be one of the configured role codes: {string.Join(", ", roles.Codes)}");
        v.ThrowIfAny();

        if (!await db.Professionals.AnyAsync(p => p.Id == professionalId, ct))
        {
            throw new NotFoundException("professional");
        }

        if (!await db.Organisations.AnyAsync(o => o.OdsCode == ods, ct))
        {
            throw new NotFoundException("organisation");
        }

        var existing = await db.RoleAssignments.AsNoTracking().FirstOrDefaultAsync(x =>
            x.ProfessionalId == professionalId && x.OrganisationOds == ods && x.RoleCode == code && x.EndTime == null, ct);
        if (existing is not null)
        {
            return Mapping.ToProto(existing, roles, await OrgNamesAsync(ct));
        }

        var row = new RoleAssignmentRow
        {
            Id = Guid.CreateVersion7(),
            ProfessionalId = professionalId,
            OrganisationOds = ods,
            RoleCode = code,
            StartTime = clock.UtcNowMicros(),
        };
        db.RoleAssignments.Add(row);
        await db.SaveChangesAsync(ct);
        LogRole(logger, row.Id, professionalId, code, ods);
        return Mapping.ToProto(row, roles, await OrgNamesAsync(ct));
    }

    public async Task<RoleAssignment> EndRoleAssignmentAsync(string roleAssignmentId, CancellationToken ct)
    {
        if (!Identifiers.TryGuid(roleAssignmentId, out var id))
        {
            throw new InvalidArgumentException("role_assignment_id", "must be a platform id (UUID)");
        }

        var row = await db.RoleAssignments.SingleOrDefaultAsync(r => r.Id == id, ct) ?? throw new NotFoundException("role_assignment");
        var now = clock.UtcNowMicros();
        if (row.EndTime is null || row.EndTime > now)
        {
            row.EndTime = now;
            await db.SaveChangesAsync(ct);
            LogRoleEnded(logger, row.Id);
        }

        return Mapping.ToProto(row, roles, await OrgNamesAsync(ct));
    }

    // ---- helpers ----

    private static void ValidatePassword(string? password, string field, FieldViolations v)
    {
        if (string.IsNullOrEmpty(password))
        {
            v.Add(field, "is required");
        }
        else if (password.Length < MinPasswordLength)
        {
            v.Add(field, $"must be at least {MinPasswordLength} characters");
        }
        else
        {
            v.MaxLength(password, field, SignInService.MaxSecretLength);
        }
    }

    /// <summary>Validates the updatable details named in <paramref name="fields"/>; returns how to apply them.</summary>
    private static Action<ProfessionalRow> ValidateDetails(Professional p, IReadOnlySet<string> fields, FieldViolations v, string prefix)
    {
        var actions = new List<Action<ProfessionalRow>>();
        if (fields.Contains("given_name") && v.RequireText(p.GivenName, prefix + "given_name", 100))
        {
            actions.Add(r => r.GivenName = p.GivenName.Trim());
        }

        if (fields.Contains("family_name") && v.RequireText(p.FamilyName, prefix + "family_name", 100))
        {
            actions.Add(r => r.FamilyName = p.FamilyName.Trim());
        }

        if (fields.Contains("title") && v.MaxLength(p.Title, prefix + "title", 40))
        {
            actions.Add(r => r.Title = string.IsNullOrWhiteSpace(p.Title) ? null : p.Title.Trim());
        }

        if (fields.Contains("registration"))
        {
            if (p.Registration is null)
            {
                actions.Add(r => (r.RegistrationBody, r.RegistrationNumber) = (null, null));
            }
            else
            {
                var ok = v.RequireEnum(p.Registration.Body, prefix + "registration.body");
                ok &= v.RequireText(p.Registration.Number, prefix + "registration.number", 20);
                if (ok)
                {
                    actions.Add(r => (r.RegistrationBody, r.RegistrationNumber) = ((int)p.Registration.Body, p.Registration.Number.Trim()));
                }
            }
        }

        if (fields.Contains("federated_subject") && v.MaxLength(p.FederatedSubject, prefix + "federated_subject", 200))
        {
            actions.Add(r => r.FederatedSubject = string.IsNullOrWhiteSpace(p.FederatedSubject) ? null : p.FederatedSubject.Trim());
        }

        if (fields.Contains("personal_nhs_number"))
        {
            if (string.IsNullOrEmpty(p.PersonalNhsNumber))
            {
                actions.Add(r => r.PersonalNhsNumber = null);
            }
            else if (NhsNumber.Validate(p.PersonalNhsNumber, v, prefix + "personal_nhs_number"))
            {
                actions.Add(r => r.PersonalNhsNumber = p.PersonalNhsNumber);
            }
        }

        if (fields.Contains("team_ids"))
        {
            var teams = new List<string>();
            for (var i = 0; i < p.TeamIds.Count; i++)
            {
                var t = Identifiers.NormaliseTeam(p.TeamIds[i]);
                if (v.Check(Identifiers.IsTeamId(t), $"{prefix}team_ids[{i}]", "must be \"<ODS code>:<team code>\", e.g. RGD:CMHT-NORTH"))
                {
                    teams.Add(t);
                }
            }

            v.Check(p.TeamIds.Count <= 50, prefix + "team_ids", "must list at most 50 teams");
            actions.Add(r => r.TeamIds = teams.Distinct().ToList());
        }

        if (fields.Contains("active"))
        {
            actions.Add(r => r.Active = p.Active);
        }

        return row => actions.ForEach(a => a(row));
    }

    private static Task<ProfessionalRow?> LoadAsync(IQueryable<ProfessionalRow> q, CancellationToken ct) =>
        q.AsNoTracking().Include(p => p.RoleAssignments).SingleOrDefaultAsync(ct);

    private async Task<Professional> ToProtoAsync(ProfessionalRow row, CancellationToken ct) =>
        Mapping.ToProto(row, roles, await OrgNamesAsync(ct), clock.UtcNowMicros());

    private Task<Dictionary<string, string>> OrgNamesAsync(CancellationToken ct) =>
        db.Organisations.AsNoTracking().ToDictionaryAsync(o => o.OdsCode, o => o.DisplayName, ct);

    private sealed record ProfessionalPosition(string Family, string Given, Guid Id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Organisation {OdsCode} registered")]
    private static partial void LogOrganisation(ILogger logger, string odsCode);

    [LoggerMessage(Level = LogLevel.Information, Message = "Organisation {OdsCode} updated by {ClientId} (fields {Fields}; self-claims disabled {SelfClaimsDisabled})")]
    private static partial void LogOrganisationUpdated(ILogger logger, string odsCode, string clientId, string fields, bool selfClaimsDisabled);

    [LoggerMessage(Level = LogLevel.Information, Message = "Professional {ProfessionalId} created")]
    private static partial void LogProfessional(ILogger logger, Guid professionalId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Professional {ProfessionalId} updated (fields {Fields}; password reset {PasswordReset})")]
    private static partial void LogProfessionalUpdated(ILogger logger, Guid professionalId, string fields, bool passwordReset);

    [LoggerMessage(Level = LogLevel.Information, Message = "Role assignment {RoleAssignmentId} created: professional {ProfessionalId} as {RoleCode} at {OdsCode}")]
    private static partial void LogRole(ILogger logger, Guid roleAssignmentId, Guid professionalId, string roleCode, string odsCode);

    [LoggerMessage(Level = LogLevel.Information, Message = "Role assignment {RoleAssignmentId} ended")]
    private static partial void LogRoleEnded(ILogger logger, Guid roleAssignmentId);
}
