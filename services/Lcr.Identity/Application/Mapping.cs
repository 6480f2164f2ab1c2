using Google.Protobuf.WellKnownTypes;
using Lcr.Common.V1;
using Lcr.Identity.Domain;
using Lcr.Identity.Persistence;
using Lcr.Identity.V1;

namespace Lcr.Identity.Application;

/// <summary>Rows to contract messages. Never copies password or secret data.</summary>
public static class Mapping
{
    public static Organisation ToProto(OrganisationRow row) => new()
    {
        OdsCode = row.OdsCode,
        DisplayName = row.DisplayName,
        Kind = (OrganisationKind)row.Kind,
        Active = row.Active,
        CreateTime = Timestamp.FromDateTimeOffset(row.CreatedAt),
        UpdateTime = Timestamp.FromDateTimeOffset(row.UpdatedAt),
        SelfClaimsDisabled = row.SelfClaimsDisabled,
    };

    public static string DisplayName(ProfessionalRow row) =>
        string.Join(' ', new[] { row.Title, row.GivenName, row.FamilyName }.Where(s => !string.IsNullOrWhiteSpace(s)));

    public static string Etag(long version) => "v" + version.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static Professional ToProto(ProfessionalRow row, RoleCatalogue roles, IReadOnlyDictionary<string, string> orgNames, DateTimeOffset now)
    {
        var p = new Professional
        {
            Id = row.Id.ToString(),
            GivenName = row.GivenName,
            FamilyName = row.FamilyName,
            DisplayName = DisplayName(row),
            Title = row.Title ?? string.Empty,
            UserName = row.UserName,
            FederatedSubject = row.FederatedSubject ?? string.Empty,
            PersonalNhsNumber = row.PersonalNhsNumber ?? string.Empty,
            TeamIds = { row.TeamIds },
            Active = row.Active,
            Etag = Etag(row.Version),
            CreateTime = Timestamp.FromDateTimeOffset(row.CreatedAt),
            UpdateTime = Timestamp.FromDateTimeOffset(row.UpdatedAt),
        };
        if (row.RegistrationBody is { } body)
        {
            p.Registration = new ProfessionalRegistration { Body = (RegulatoryBody)body, Number = row.RegistrationNumber ?? string.Empty };
        }

        // locked_until_time is no longer set: sign-in is throttled per route, not by locking the account.
        p.RoleAssignments.AddRange(row.RoleAssignments.OrderBy(r => r.StartTime).Select(r => ToProto(r, roles, orgNames)));
        return p;
    }

    public static RoleAssignment ToProto(RoleAssignmentRow row, RoleCatalogue roles, IReadOnlyDictionary<string, string> orgNames)
    {
        var role = roles.Find(row.RoleCode);
        var r = new RoleAssignment
        {
            Id = row.Id.ToString(),
            ProfessionalId = row.ProfessionalId.ToString(),
            Organisation = new OrganisationReference
            {
                OdsCode = row.OrganisationOds,
                DisplayName = orgNames.TryGetValue(row.OrganisationOds, out var n) ? n : string.Empty,
            },
            RoleCode = row.RoleCode,
            RoleName = role?.Name ?? string.Empty,
            EmergencyAccessAllowed = role?.EmergencyAccess ?? false,
            SelfClaimAllowed = role?.SelfClaim ?? false,
            PrivacyOfficer = role?.PrivacyOfficer ?? false,
            AlertDetailsWithheld = role?.AlertDetailsWithheld ?? false,
            StartTime = Timestamp.FromDateTimeOffset(row.StartTime),
        };
        if (role is not null)
        {
            r.AllowedCategories.AddRange(role.Categories.Distinct().Order());
            r.AllowedPurposes.AddRange(role.Purposes.Distinct().Order());
        }

        if (row.EndTime is { } end)
        {
            r.EndTime = Timestamp.FromDateTimeOffset(end);
        }

        return r;
    }

    public static CareRelationship ToProto(CareRelationshipRow row, IReadOnlyDictionary<string, string> orgNames, DateTimeOffset now)
    {
        var c = new CareRelationship
        {
            Id = row.Id.ToString(),
            NhsNumber = row.NhsNumber,
            Kind = (CareRelationshipKind)row.Kind,
            StartTime = Timestamp.FromDateTimeOffset(row.StartTime),
            Source = new Provenance
            {
                SourceOrganisation = new OrganisationReference
                {
                    OdsCode = row.SourceOrganisation,
                    DisplayName = orgNames.TryGetValue(row.SourceOrganisation, out var n) ? n : string.Empty,
                },
                SourceSystem = row.SourceSystem ?? string.Empty,
                SourceEntryId = row.SourceEntryId,
                RecordedTime = Timestamp.FromDateTimeOffset(row.UpdatedAt),
            },
            Active = IsActive(row, now),
        };
        switch (row.SubjectKind)
        {
            case RelationshipSubject.Professional:
                c.ProfessionalId = row.SubjectValue;
                break;
            case RelationshipSubject.Team:
                c.TeamId = row.SubjectValue;
                break;
            default:
                c.OrganisationOdsCode = row.SubjectValue;
                break;
        }

        if (row.EndTime is { } end)
        {
            c.EndTime = Timestamp.FromDateTimeOffset(end);
        }

        if (row.Kind == (int)CareRelationshipKind.SelfClaimed)
        {
            c.SelfClaim = new SelfClaim
            {
                ReasonCode = (SelfClaimReason)(row.SelfClaimReason ?? 0),
                ReasonText = row.SelfClaimReasonText ?? string.Empty,
                RoleAssignmentId = row.SelfClaimRoleAssignmentId?.ToString() ?? string.Empty,
                RoleCode = row.SelfClaimRoleCode ?? string.Empty,
            };
        }

        return c;
    }

    public static bool IsActive(CareRelationshipRow row, DateTimeOffset now) =>
        row.StartTime <= now && (row.EndTime is null || row.EndTime > now);

    public static SystemClient ToProto(SystemClientRow row, IReadOnlyDictionary<string, string> orgNames) => new()
    {
        ClientId = row.ClientId,
        DisplayName = row.DisplayName,
        Organisation = new OrganisationReference
        {
            OdsCode = row.OrganisationOds,
            DisplayName = orgNames.TryGetValue(row.OrganisationOds, out var n) ? n : string.Empty,
        },
        Scopes = { row.Scopes.Order(StringComparer.Ordinal) },
        Active = row.Active,
        Etag = Etag(row.Version),
        CreateTime = Timestamp.FromDateTimeOffset(row.CreatedAt),
        SecretUpdateTime = Timestamp.FromDateTimeOffset(row.SecretUpdatedAt),
    };

    public static SigningKey ToProto(SigningKeyRow row)
    {
        var k = new SigningKey
        {
            Kid = row.Kid,
            Kty = "EC",
            Crv = "P-256",
            X = row.X,
            Y = row.Y,
            Alg = "ES256",
            Use = "sig",
            NotBefore = Timestamp.FromDateTimeOffset(row.CurrentSince ?? row.CreatedAt),
            Status = row.IsCurrent ? SigningKeyStatus.Current : row.IsNext ? SigningKeyStatus.Next : SigningKeyStatus.Retired,
        };
        if (row.NotAfter is { } end)
        {
            k.NotAfter = Timestamp.FromDateTimeOffset(end);
        }

        return k;
    }
}
