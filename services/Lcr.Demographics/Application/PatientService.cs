using Google.Protobuf.WellKnownTypes;
using Lcr.Common.V1;
using Lcr.Demographics.Domain;
using Lcr.Demographics.Persistence;
using Lcr.Demographics.V1;
using Lcr.ServiceDefaults;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Lcr.Demographics.Application;

/// <summary>
/// The demographics use cases. Validates everything first, writes the current row and its
/// history version in one transaction, and turns concurrency conflicts into ABORTED. Every
/// write is announced to the readers that keep demographics in memory (the gateway): the
/// patient's number is marked in the version store (<see cref="PatientVersionStore"/>, kind
/// Demographics) before the write and published after the commit, before the reply; without
/// Redis the write is refused before anything is written.
/// </summary>
public sealed class PatientService(DemographicsDbContext db, NhsNumberResolver resolver, PatientVersionStore versions, TimeProvider clock)
{
    public async Task<Patient> GetAsync(string nhsNumber, CancellationToken ct)
    {
        NhsNumber.Require(nhsNumber);
        var row = await db.Patients.AsNoTracking().SingleOrDefaultAsync(p => p.NhsNumber == nhsNumber, ct)
            ?? throw new NotFoundException("patient");
        var patient = PatientMapping.ToProto(row);
        AddSupersession(patient, await resolver.ResolveAsync(nhsNumber, ct));
        return patient;
    }

    public async Task<SearchPatientsResponse> SearchAsync(SearchPatientsRequest request, CancellationToken ct)
    {
        var v = new FieldViolations();
        var family = SearchText.Normalise(request.Family);
        if (v.RequireText(request.Family, "family", PatientRules.MaxNameLength))
        {
            v.Check(family.Length > 0, "family", "must contain letters");
        }

        var birth = PatientRules.ValidateDate(request.BirthDate, "birth_date", required: true, PatientRules.Today(clock), v);
        v.MaxLength(request.GivenPrefix, "given_prefix", PatientRules.MaxNameLength);
        var given = SearchText.Normalise(request.GivenPrefix);
        string? postcode = null;
        if (!string.IsNullOrWhiteSpace(request.Postcode))
        {
            var normalised = Postcode.Normalise(request.Postcode);
            if (v.Check(normalised is not null, "postcode", "must be a UK postcode, e.g. LS9 7TF"))
            {
                postcode = Postcode.Compact(normalised!);
            }
        }

        v.DefinedEnum(request.Gender, "gender");
        var size = Paging.ResolvePageSize(request.PageSize, v);
        var fingerprint = string.Join('|', "search", family, birth, given, postcode, (int)request.Gender);
        var after = Paging.DecodeToken<SearchPosition>(request.PageToken, fingerprint, v);
        v.ThrowIfAny();

        var query = db.Patients.AsNoTracking().Where(p => p.FamilySearch == family && p.BirthDate == birth!.Value);
        if (given.Length > 0)
        {
            query = query.Where(p => p.GivenSearch.StartsWith(given));
        }

        if (postcode is not null)
        {
            query = query.Where(p => p.PostcodeSearch == postcode);
        }

        if (request.Gender != AdministrativeGender.Unspecified)
        {
            var g = (int)request.Gender;
            query = query.Where(p => p.Gender == g);
        }

        if (after is not null)
        {
            query = query.Where(p => string.Compare(p.GivenSearch, after.Given) > 0 ||
                                     (p.GivenSearch == after.Given && string.Compare(p.NhsNumber, after.Nhs) > 0));
        }

        var rows = await query.OrderBy(p => p.GivenSearch).ThenBy(p => p.NhsNumber).Take(size + 1).ToListAsync(ct);
        var response = new SearchPatientsResponse();
        var page = rows.Take(size).ToList();
        var resolved = await resolver.ResolveInvolvedAsync(page.Select(r => r.NhsNumber).ToList(), ct);

        // A page is `size` matches in the trace order; a superseded match goes to `superseded` (a
        // pointer, no details) instead of `patients`, so `patients` may hold fewer than `size`
        // while more pages follow.
        foreach (var row in page)
        {
            var r = resolved.GetValueOrDefault(row.NhsNumber);
            if (r is { Superseded: true })
            {
                response.Superseded.Add(new SupersededNumber { NhsNumber = row.NhsNumber, CurrentNhsNumber = r.Current });
            }
            else
            {
                var patient = PatientMapping.ToProto(row);
                if (r is not null)
                {
                    AddSupersession(patient, r);
                }

                response.Patients.Add(patient);
            }
        }

        if (rows.Count > size)
        {
            var last = rows[size - 1];
            response.NextPageToken = Paging.EncodeToken(new SearchPosition(last.GivenSearch, last.NhsNumber), fingerprint);
        }

        return response;
    }

    public async Task<(Patient Patient, bool Created)> CreateAsync(Patient? patient, Actor actor, CancellationToken ct)
    {
        var v = new FieldViolations();
        if (patient is null)
        {
            v.Add("patient", "is required");
            v.ThrowIfAny();
        }

        NhsNumber.Validate(patient!.NhsNumber, v, "patient.nhs_number");
        var apply = PatientRules.Validate(patient, PatientRules.UpdatableFields, PatientRules.Today(clock), v, "patient.");
        v.ThrowIfAny();

        var now = clock.GetUtcNow();
        var row = NewPatientRow(patient.NhsNumber, now);
        apply(row);

        var existing = await db.Patients.AsNoTracking().SingleOrDefaultAsync(p => p.NhsNumber == row.NhsNumber, ct);
        if (existing is not null)
        {
            return SameDetails(existing, row) ? (PatientMapping.ToProto(existing), false) : throw AlreadyExists();
        }

        var write = await versions.BeginWriteAsync(PatientDataKind.Demographics, row.NhsNumber, ct);
        try
        {
            db.Patients.Add(row);
            db.PatientVersions.Add(NewVersion(row, ChangeKind.Created, actor, now));
            try
            {
                write.EnsureCovered();
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
            {
                // A concurrent create of the same patient won the race: answer as for a re-send.
                db.ChangeTracker.Clear();
                existing = await db.Patients.AsNoTracking().SingleAsync(p => p.NhsNumber == row.NhsNumber, ct);
                return SameDetails(existing, row) ? (PatientMapping.ToProto(existing), false) : throw AlreadyExists();
            }
        }
        finally
        {
            await write.CompleteAsync();
        }

        return (PatientMapping.ToProto(row), true);
    }

    public async Task<Patient> UpdateAsync(UpdatePatientRequest request, Actor actor, CancellationToken ct)
    {
        var v = new FieldViolations();
        if (request.Patient is null)
        {
            v.Add("patient", "is required");
            v.ThrowIfAny();
        }

        NhsNumber.Validate(request.Patient!.NhsNumber, v, "patient.nhs_number");
        var expected = ExpectedVersion(request.Etag, required: true, v);
        IReadOnlySet<string> fields = PatientRules.UpdatableFields;
        if (request.UpdateMask is { Paths.Count: > 0 } mask)
        {
            var set = v.UpdateMask(mask.Paths, PatientRules.UpdatableFields);

            fields = set;
        }

        var apply = PatientRules.Validate(request.Patient, fields, PatientRules.Today(clock), v, "patient.");
        v.ThrowIfAny();
        return await ChangeAsync(request.Patient.NhsNumber, expected, apply, ChangeKind.Updated, actor, ct);
    }

    public async Task<Patient> UpdateContactDetailsAsync(UpdateContactDetailsRequest request, Actor actor, CancellationToken ct)
    {
        var v = new FieldViolations();
        NhsNumber.Validate(request.NhsNumber, v);
        var expected = ExpectedVersion(request.Etag, required: false, v);
        var address = PatientRules.ValidateAddress(request.Address, "address", required: true, v);
        var telephones = PatientRules.ValidateTelephones(request.Telephones, "telephones", v);
        var email = PatientRules.ValidateEmail(request.Email, "email", v);
        v.ThrowIfAny();
        return await ChangeAsync(request.NhsNumber, expected, r =>
        {
            address!(r);
            r.Telephones = telephones!;
            r.Email = email.value;
        }, ChangeKind.ContactDetailsUpdated, actor, ct);
    }

    public async Task<ListPatientHistoryResponse> HistoryAsync(ListPatientHistoryRequest request, CancellationToken ct)
    {
        var v = new FieldViolations();
        NhsNumber.Validate(request.NhsNumber, v);
        var size = Paging.ResolvePageSize(request.PageSize, v);
        var fingerprint = "history|" + request.NhsNumber;
        var before = Paging.DecodeToken<long?>(request.PageToken, fingerprint, v);
        v.ThrowIfAny();

        if (!await db.Patients.AnyAsync(p => p.NhsNumber == request.NhsNumber, ct))
        {
            throw new NotFoundException("patient");
        }

        var query = db.PatientVersions.AsNoTracking().Where(x => x.NhsNumber == request.NhsNumber);
        if (before is { } b)
        {
            query = query.Where(x => x.Version < b);
        }

        var rows = await query.OrderByDescending(x => x.Version).Take(size + 1).ToListAsync(ct);
        var response = new ListPatientHistoryResponse();
        foreach (var row in rows.Take(size))
        {
            response.Versions.Add(new PatientVersion
            {
                Patient = PatientMapping.FromSnapshot(row.Snapshot),
                ChangeKind = (ChangeKind)row.ChangeKind,
                ChangeTime = Timestamp.FromDateTimeOffset(row.ChangedAt),
                ChangedBy = new Actor
                {
                    Kind = (ActorKind)row.ActorKind,
                    Id = row.ActorId,
                    Organisation = new OrganisationReference { OdsCode = row.ActorOrganisation ?? string.Empty },
                    RoleCode = row.ActorRole ?? string.Empty,
                },
            });
        }

        if (rows.Count > size)
        {
            response.NextPageToken = Paging.EncodeToken<long?>(rows[size - 1].Version, fingerprint);
        }

        return response;
    }

    private async Task<Patient> ChangeAsync(string nhsNumber, long? expectedVersion, Action<PatientRow> apply, ChangeKind kind,
        Actor actor, CancellationToken ct)
    {
        var write = await versions.BeginWriteAsync(PatientDataKind.Demographics, nhsNumber, ct);
        try
        {
            return await ChangeMarkedAsync(nhsNumber, expectedVersion, apply, kind, actor, write, ct);
        }
        finally
        {
            await write.CompleteAsync();
        }
    }

    private async Task<Patient> ChangeMarkedAsync(string nhsNumber, long? expectedVersion, Action<PatientRow> apply, ChangeKind kind,
        Actor actor, PatientWrite write, CancellationToken ct)
    {
        var row = await db.Patients.SingleOrDefaultAsync(p => p.NhsNumber == nhsNumber, ct)
            ?? throw new NotFoundException("patient");
        if (expectedVersion is { } expected && row.Version != expected)
        {
            throw Stale();
        }

        apply(row);
        var now = clock.GetUtcNow();
        row.Version += 1;
        row.UpdatedAt = now;
        db.PatientVersions.Add(NewVersion(row, kind, actor, now));
        try
        {
            // The UPDATE carries "WHERE version = <the version read>": a concurrent writer that
            // committed first makes it match no row, and EF throws rather than overwrite.
            write.EnsureCovered();
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw Stale();
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Two writers raced to add the same history version.
            throw Stale();
        }

        return PatientMapping.ToProto(row);
    }

    /// <summary>A new patient's row at version 1, before the validated details are applied (also used by the bulk loader in bench/).</summary>
    internal static PatientRow NewPatientRow(string nhsNumber, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(),
        NhsNumber = nhsNumber,
        Family = string.Empty,
        FamilySearch = string.Empty,
        GivenSearch = string.Empty,
        Version = 1,
        CreatedAt = now,
        UpdatedAt = now,
    };

    /// <summary>The history row of the version <paramref name="row"/> is at (also used by the bulk loader in bench/).</summary>
    internal static PatientVersionRow NewVersion(PatientRow row, ChangeKind kind, Actor actor, DateTimeOffset now)
    {
        var snapshot = PatientMapping.ToProto(row);
        snapshot.UpdateTime = Timestamp.FromDateTimeOffset(now);
        return new PatientVersionRow
        {
            PatientId = row.Id,
            NhsNumber = row.NhsNumber,
            Version = row.Version,
            ChangeKind = (int)kind,
            Snapshot = PatientMapping.Snapshot(snapshot),
            ActorKind = (int)actor.Kind,
            ActorId = actor.Id,
            ActorOrganisation = string.IsNullOrEmpty(actor.Organisation?.OdsCode) ? null : actor.Organisation.OdsCode,
            ActorRole = string.IsNullOrEmpty(actor.RoleCode) ? null : actor.RoleCode,
            ChangedAt = now,
        };
    }

    /// <summary>
    /// Fills the output-only supersession fields: a superseded patient names the number now in
    /// use (the end of its chain); a current patient lists the numbers merged into it.
    /// </summary>
    private static void AddSupersession(Patient patient, NhsNumberResolver.Resolution r)
    {
        if (r.Superseded)
        {
            patient.SupersededByNhsNumber = r.Current;
        }
        else
        {
            patient.MergedNhsNumbers.AddRange(r.Merged);
        }
    }

    private static long? ExpectedVersion(string? etag, bool required, FieldViolations v)
    {
        if (string.IsNullOrEmpty(etag))
        {
            v.Check(!required, "etag", "is required: send the etag from your last read of this patient");
            return null;
        }

        var version = PatientMapping.ParseETag(etag);
        v.Check(version is not null, "etag", "is not an etag issued by this service");
        return version;
    }

    private static bool SameDetails(PatientRow a, PatientRow b) =>
        a.Family == b.Family && a.Given.SequenceEqual(b.Given) && a.Prefix == b.Prefix && a.BirthDate == b.BirthDate &&
        a.Gender == b.Gender && a.AddressLines.SequenceEqual(b.AddressLines) && a.Postcode == b.Postcode &&
        a.Telephones.SequenceEqual(b.Telephones) && a.Email == b.Email && a.RegisteredPracticeOds == b.RegisteredPracticeOds &&
        a.DeathDate == b.DeathDate && a.Restricted == b.Restricted;

    private static AlreadyExistsException AlreadyExists() =>
        new("patient", "A patient with this NHS number already exists with different details; use UpdatePatient.");

    private static ConcurrencyConflictException Stale() =>
        new("The patient changed since the etag was read; read it again and reapply the change.");

    private sealed record SearchPosition(string Given, string Nhs);
}
