using System.Text.RegularExpressions;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;

namespace Lcr.Consent.Application;

/// <summary>A seal as validated and normalised from a SealRecord request.</summary>
/// <param name="Reason">Why (never VIEW_SURGE: only the platform seals for a surge).</param>
/// <param name="ProfessionalIds">Named professionals, lower-case UUIDs, distinct, in request order.</param>
/// <param name="TeamIds">Named teams, "ODS:TEAM" upper case, distinct, in request order.</param>
/// <param name="Note">Why, for IG officers, trimmed.</param>
/// <param name="ReviewTime">When to review the seal (in the future).</param>
internal sealed record ValidSeal(SealReason Reason, string[] ProfessionalIds, string[] TeamIds, string Note, DateTimeOffset ReviewTime);

/// <summary>Validation of seals and team ids. Every check records a violation; nothing throws until all are seen.</summary>
internal static partial class SealRules
{
    /// <summary>At most this many named viewers (professionals and teams together) on one seal.</summary>
    public const int MaxNamedViewers = 50;

    /// <summary>Validates SealRecord's seal (field names under <c>seal.</c>); null when anything is wrong.</summary>
    public static ValidSeal? Seal(V1.Seal? seal, DateTimeOffset now, FieldViolations v)
    {
        if (seal is null)
        {
            v.Add("seal", "is required");
            return null;
        }

        var before = v.Items.Count;
        if (v.RequireEnum(seal.Reason, "seal.reason"))
        {
            v.Check(seal.Reason != SealReason.ViewSurge, "seal.reason", "VIEW_SURGE is set only by the platform; choose another reason");
        }

        ConsentRules.Reason(seal.Note, "seal.note", v);
        var review = ReviewTime(seal.ReviewTime, "seal.review_time", now, v);

        var professionals = new List<string>();
        var teams = new List<string>();
        if (v.Check(seal.AllowedProfessionalIds.Count + seal.AllowedTeamIds.Count <= MaxNamedViewers, "seal",
                $"names at most {MaxNamedViewers} viewers (allowed_professional_ids and allowed_team_ids together)"))
        {
            for (var i = 0; i < seal.AllowedProfessionalIds.Count; i++)
            {
                var field = $"seal.allowed_professional_ids[{i}]";
                if (ConsentRules.Uuid(seal.AllowedProfessionalIds[i], field, v) is { } id &&
                    v.Check(id != Guid.Empty, field, "must be a professional's platform id, not the empty UUID"))
                {
                    professionals.Add(ConsentRules.Canonical(id));
                }
            }

            for (var i = 0; i < seal.AllowedTeamIds.Count; i++)
            {
                if (Team(seal.AllowedTeamIds[i], $"seal.allowed_team_ids[{i}]", required: true, v) is { } team)
                {
                    teams.Add(team);
                }
            }
        }

        return v.Items.Count > before || review is null
            ? null
            : new ValidSeal(seal.Reason, professionals.Distinct(StringComparer.Ordinal).ToArray(),
                teams.Distinct(StringComparer.Ordinal).ToArray(), seal.Note.Trim(), review.Value);
    }

    /// <summary>A required review time in the future.</summary>
    public static DateTimeOffset? ReviewTime(Google.Protobuf.WellKnownTypes.Timestamp? value, string field, DateTimeOffset now, FieldViolations v)
    {
        if (value is null)
        {
            v.Add(field, "is required");
            return null;
        }

        var time = v.Time(value, field);
        return time is { } t && v.Check(t > now, field, "must be in the future") ? t : null;
    }

    /// <summary>
    /// A team id "&lt;ODS code&gt;:&lt;team code&gt;" (as identity records teams), trimmed and
    /// upper-cased; null when absent (a violation only if <paramref name="required"/>) or malformed.
    /// </summary>
    public static string? Team(string? raw, string field, bool required, FieldViolations v)
    {
        var team = raw?.Trim().ToUpperInvariant();
        if (string.IsNullOrEmpty(team))
        {
            if (required)
            {
                v.Add(field, "is required");
            }

            return null;
        }

        return v.Check(TeamPattern().IsMatch(team), field, "must be \"<ODS code>:<team code>\", e.g. RGD:CMHT-NORTH") ? team : null;
    }

    [GeneratedRegex("^[A-Z0-9]{3,10}:[A-Z0-9-]{1,40}$", RegexOptions.CultureInvariant)]
    private static partial Regex TeamPattern();
}
