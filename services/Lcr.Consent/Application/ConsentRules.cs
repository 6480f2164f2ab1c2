using System.Text.RegularExpressions;
using Lcr.Common.V1;
using Lcr.Consent.Domain;
using Lcr.Consent.V1;
using Lcr.ServiceDefaults;

namespace Lcr.Consent.Application;

/// <summary>Validation and normalisation of consent requests. Every check records a violation; nothing throws until all are seen.</summary>
internal static partial class ConsentRules
{
    public const int MaxReasonLength = 1000;
    public const int MaxViewerIdLength = 100;
    public const int MaxRoleCodeLength = 20;

    /// <summary>The most NHS numbers the gateway may name as merged into a record.</summary>
    public const int MaxMergedNhsNumbers = Lcr.ServiceDefaults.MergedNhsNumbers.Max;

    /// <summary>Checks the gateway's <c>merged_nhs_numbers</c> (<see cref="Lcr.ServiceDefaults.MergedNhsNumbers"/>).</summary>
    public static void MergedNhsNumbers(IReadOnlyList<string> merged, string ownNhsNumber, FieldViolations v) =>
        Lcr.ServiceDefaults.MergedNhsNumbers.Validate(merged, ownNhsNumber, v);

    public static void Reason(string? reason, string field, FieldViolations v) => v.RequireText(reason, field, MaxReasonLength);

    public static void Channel(ConsentChannel channel, string field, FieldViolations v) => v.RequireEnum(channel, field);

    /// <summary>An ODS code, trimmed and upper-cased; null (with a violation) when absent or malformed.</summary>
    public static string? Ods(string? raw, string field, FieldViolations v)
    {
        var ods = raw?.Trim().ToUpperInvariant();
        if (string.IsNullOrEmpty(ods))
        {
            v.Add(field, "is required");
            return null;
        }

        return v.Check(OdsCode().IsMatch(ods), field, "must be an ODS code: 3 to 10 letters and digits") ? ods : null;
    }

    /// <summary>A UUID in canonical lower-case form; null (with a violation) when absent or malformed.</summary>
    public static Guid? Uuid(string? raw, string field, FieldViolations v)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            v.Add(field, "is required");
            return null;
        }

        return v.Check(Guid.TryParseExact(raw.Trim(), "D", out var id), field, "must be a UUID, e.g. 3f2b1c9e-6d4a-4e8b-9a51-0c7d2e4f6a81")
            ? id
            : null;
    }

    public static string Canonical(Guid id) => id.ToString("D");

    /// <summary>A viewer's platform id: required, at most 100 characters; UUIDs are compared in canonical form.</summary>
    public static string? ViewerId(string? raw, string field, FieldViolations v)
    {
        if (!v.RequireText(raw, field, MaxViewerIdLength))
        {
            return null;
        }

        var trimmed = raw!.Trim();
        return Guid.TryParseExact(trimmed, "D", out var id) ? Canonical(id) : trimmed;
    }

    public static void Categories(IEnumerable<RecordCategory> categories, string field, FieldViolations v)
    {
        foreach (var c in categories)
        {
            if (!v.RequireEnum(c, field))
            {
                return;
            }
        }
    }

    /// <summary>Validates an AddRestriction's restriction; returns its normalised target and end time.</summary>
    public static (RestrictionTarget? Target, DateTimeOffset? End) Restriction(Restriction? r, DateTimeOffset now, FieldViolations v)
    {
        if (r is null)
        {
            v.Add("restriction", "is required");
            return (null, null);
        }

        RestrictionTarget? target = null;
        switch (r.TargetCase)
        {
            case V1.Restriction.TargetOneofCase.WithheldOrganisation:
                if (Ods(r.WithheldOrganisation.OdsCode, "restriction.withheld_organisation.ods_code", v) is { } withheldOds)
                {
                    target = new RestrictionTarget(TargetKind.WithheldOrganisation, withheldOds);
                }

                break;
            case V1.Restriction.TargetOneofCase.WithheldCategory:
                if (v.RequireEnum(r.WithheldCategory, "restriction.withheld_category") &&
                    v.Check(r.WithheldCategory != RecordCategory.Demographics, "restriction.withheld_category",
                        "demographics cannot be withheld (the patient must be identifiable); record an opt-out instead"))
                {
                    target = RestrictionTarget.Category(r.WithheldCategory);
                }

                break;
            case V1.Restriction.TargetOneofCase.WithheldEntryId:
                if (Uuid(r.WithheldEntryId, "restriction.withheld_entry_id", v) is { } entry)
                {
                    target = new RestrictionTarget(TargetKind.WithheldEntry, Canonical(entry));
                }

                break;
            case V1.Restriction.TargetOneofCase.BlockedProfessionalId:
                if (Uuid(r.BlockedProfessionalId, "restriction.blocked_professional_id", v) is { } professional)
                {
                    target = new RestrictionTarget(TargetKind.BlockedProfessional, Canonical(professional));
                }

                break;
            case V1.Restriction.TargetOneofCase.BlockedOrganisation:
                if (Ods(r.BlockedOrganisation.OdsCode, "restriction.blocked_organisation.ods_code", v) is { } blockedOds)
                {
                    target = new RestrictionTarget(TargetKind.BlockedOrganisation, blockedOds);
                }

                break;
            case V1.Restriction.TargetOneofCase.SensitiveEntriesRelease:
                target = new RestrictionTarget(TargetKind.SensitiveEntriesRelease, string.Empty);
                break;
            default:
                v.Add("restriction.target", "must name exactly one thing to restrict: withheld_organisation, withheld_category, " +
                                            "withheld_entry_id, blocked_professional_id, blocked_organisation or sensitive_entries_release");
                break;
        }

        Reason(r.Reason, "restriction.reason", v);
        Channel(r.Channel, "restriction.channel", v);
        DateTimeOffset? end = null;
        if (r.EndTime is not null)
        {
            end = v.Time(r.EndTime, "restriction.end_time");
            if (end is { } e && !v.Check(e > now, "restriction.end_time", "must be in the future"))
            {
                end = null;
            }
        }

        return (target, end);
    }

    [GeneratedRegex("^[A-Z0-9]{3,10}$", RegexOptions.CultureInvariant)]
    private static partial Regex OdsCode();
}
