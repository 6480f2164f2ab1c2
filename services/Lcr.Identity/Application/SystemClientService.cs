using System.Buffers.Text;
using System.Security.Cryptography;
using Lcr.Identity.Domain;
using Lcr.Identity.Persistence;
using Lcr.Identity.V1;
using Lcr.Security;
using Lcr.ServiceDefaults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Lcr.Identity.Application;

/// <summary>System clients: registration, secrets (shown once, stored only hashed), scopes.</summary>
public sealed partial class SystemClientService(
    IdentityDbContext db,
    IPasswordHasher<SystemClientRow> secrets,
    TimeProvider clock,
    ILogger<SystemClientService> logger)
{
    private static readonly HashSet<string> UpdatableFields = ["display_name", "scopes", "active"];

    public async Task<CreateSystemClientResponse> CreateAsync(SystemClient? c, CancellationToken ct, string? presetSecret = null)
    {
        var v = new FieldViolations();
        if (c is null)
        {
            v.Add("system_client", "is required");
            v.ThrowIfAny();
        }

        var clientId = (c!.ClientId ?? string.Empty).Trim();
        v.Check(Identifiers.IsClientId(clientId), "system_client.client_id", "must be 3 to 64 lower-case letters, digits and '-'");
        v.RequireText(c.DisplayName, "system_client.display_name", 200);
        var ods = Identifiers.NormaliseOds(c.Organisation?.OdsCode);
        v.Check(Identifiers.IsOdsCode(ods), "system_client.organisation.ods_code", "is required: an ODS code of 3 to 10 letters and digits");
        var scopes = ValidateScopes(c.Scopes, "system_client.scopes", v);
        v.ThrowIfAny();

        if (!await db.Organisations.AnyAsync(o => o.OdsCode == ods, ct))
        {
            throw new NotFoundException("organisation");
        }

        if (await db.SystemClients.AnyAsync(x => x.ClientId == clientId, ct))
        {
            throw new AlreadyExistsException("system_client", "This client id is in use.");
        }

        var secret = presetSecret ?? NewSecret();
        var now = clock.UtcNowMicros();
        var row = new SystemClientRow
        {
            ClientId = clientId,
            DisplayName = c.DisplayName.Trim(),
            OrganisationOds = ods,
            Scopes = scopes,
            Active = true,
            SecretHash = string.Empty,
            SecretUpdatedAt = now,
            Version = 1,
            CreatedAt = now,
        };
        row.SecretHash = secrets.HashPassword(row, secret);
        db.SystemClients.Add(row);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            throw new AlreadyExistsException("system_client", "This client id is in use.");
        }

        LogCreated(logger, clientId, ods, string.Join(' ', scopes));
        return new CreateSystemClientResponse { SystemClient = Mapping.ToProto(row, await OrgNamesAsync(ct)), ClientSecret = secret };
    }

    public async Task<SystemClient> GetAsync(string clientId, CancellationToken ct)
    {
        var id = RequireClientId(clientId);
        var row = await db.SystemClients.AsNoTracking().SingleOrDefaultAsync(c => c.ClientId == id, ct) ?? throw new NotFoundException("system_client");
        return Mapping.ToProto(row, await OrgNamesAsync(ct));
    }

    public async Task<ListSystemClientsResponse> ListAsync(ListSystemClientsRequest request, CancellationToken ct)
    {
        var v = new FieldViolations();
        var ods = string.IsNullOrWhiteSpace(request.OrganisationOdsCode) ? null : Identifiers.NormaliseOds(request.OrganisationOdsCode);
        if (ods is not null)
        {
            v.Check(Identifiers.IsOdsCode(ods), "organisation_ods_code", "must be an ODS code: 3 to 10 letters and digits");
        }

        var size = Paging.ResolvePageSize(request.PageSize, v);
        var fingerprint = "clients|" + ods;
        var after = Paging.DecodeToken<string>(request.PageToken, fingerprint, v);
        v.ThrowIfAny();

        var q = db.SystemClients.AsNoTracking();
        if (ods is not null)
        {
            q = q.Where(c => c.OrganisationOds == ods);
        }

        if (after is not null)
        {
            q = q.Where(c => string.Compare(c.ClientId, after) > 0);
        }

        var rows = await q.OrderBy(c => c.ClientId).Take(size + 1).ToListAsync(ct);
        var names = await OrgNamesAsync(ct);
        var response = new ListSystemClientsResponse();
        response.SystemClients.AddRange(rows.Take(size).Select(r => Mapping.ToProto(r, names)));
        if (rows.Count > size)
        {
            response.NextPageToken = Paging.EncodeToken(rows[size - 1].ClientId, fingerprint);
        }

        return response;
    }

    public async Task<SystemClient> UpdateAsync(UpdateSystemClientRequest request, CancellationToken ct)
    {
        var v = new FieldViolations();
        var c = request.SystemClient;
        if (c is null)
        {
            v.Add("system_client", "is required");
            v.ThrowIfAny();
        }

        v.Check(Identifiers.IsClientId(c!.ClientId), "system_client.client_id", "must be 3 to 64 lower-case letters, digits and '-'");
        v.Check(!string.IsNullOrEmpty(c.Etag), "system_client.etag", "is required: send the etag you read");
        v.Check(request.UpdateMask is { Paths.Count: > 0 }, "update_mask", "is required: name the fields to change");
        var paths = v.UpdateMask(request.UpdateMask?.Paths, UpdatableFields);

        if (paths.Contains("display_name"))
        {
            v.RequireText(c.DisplayName, "system_client.display_name", 200);
        }

        var scopes = paths.Contains("scopes") ? ValidateScopes(c.Scopes, "system_client.scopes", v) : null;
        v.ThrowIfAny();

        var row = await db.SystemClients.SingleOrDefaultAsync(x => x.ClientId == c.ClientId, ct) ?? throw new NotFoundException("system_client");
        if (Mapping.Etag(row.Version) != c.Etag)
        {
            throw new ConcurrencyConflictException("The system client changed since you read it; read it again and retry.");
        }

        if (paths.Contains("display_name"))
        {
            row.DisplayName = c.DisplayName.Trim();
        }

        if (scopes is not null)
        {
            row.Scopes = scopes;
        }

        if (paths.Contains("active"))
        {
            row.Active = c.Active;
        }

        row.Version++;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new ConcurrencyConflictException("The system client changed since you read it; read it again and retry.");
        }

        LogUpdated(logger, row.ClientId, string.Join(',', paths));
        return Mapping.ToProto(row, await OrgNamesAsync(ct));
    }

    public async Task<RotateSystemClientSecretResponse> RotateSecretAsync(string clientId, CancellationToken ct)
    {
        var id = RequireClientId(clientId);
        var row = await db.SystemClients.SingleOrDefaultAsync(c => c.ClientId == id, ct) ?? throw new NotFoundException("system_client");
        var secret = NewSecret();
        row.SecretHash = secrets.HashPassword(row, secret);
        row.SecretUpdatedAt = clock.UtcNowMicros();
        row.Version++;
        await db.SaveChangesAsync(ct);
        LogRotated(logger, row.ClientId);
        return new RotateSystemClientSecretResponse { SystemClient = Mapping.ToProto(row, await OrgNamesAsync(ct)), ClientSecret = secret };
    }

    /// <summary>A new secret: 256 random bits, base64url.</summary>
    public static string NewSecret() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    private static string RequireClientId(string? clientId)
    {
        var id = (clientId ?? string.Empty).Trim();
        return Identifiers.IsClientId(id) ? id : throw new InvalidArgumentException("client_id", "must be 3 to 64 lower-case letters, digits and '-'");
    }

    private static List<string> ValidateScopes(IList<string> scopes, string field, FieldViolations v)
    {
        var result = new List<string>();
        for (var i = 0; i < scopes.Count; i++)
        {
            var s = scopes[i].Trim();
            if (v.Check(Scopes.Known.Contains(s), $"{field}[{i}]", "is not a known scope"))
            {
                result.Add(s);
            }
        }

        v.Check(scopes.Count > 0, field, "must name at least one scope");
        return result.Distinct().Order(StringComparer.Ordinal).ToList();
    }

    private Task<Dictionary<string, string>> OrgNamesAsync(CancellationToken ct) =>
        db.Organisations.AsNoTracking().ToDictionaryAsync(o => o.OdsCode, o => o.DisplayName, ct);

    [LoggerMessage(Level = LogLevel.Information, Message = "System client {ClientId} registered for {OdsCode} with scopes {Scopes}")]
    private static partial void LogCreated(ILogger logger, string clientId, string odsCode, string scopes);

    [LoggerMessage(Level = LogLevel.Information, Message = "System client {ClientId} updated (fields {Fields})")]
    private static partial void LogUpdated(ILogger logger, string clientId, string fields);

    [LoggerMessage(Level = LogLevel.Warning, Message = "System client {ClientId} secret rotated")]
    private static partial void LogRotated(ILogger logger, string clientId);
}
