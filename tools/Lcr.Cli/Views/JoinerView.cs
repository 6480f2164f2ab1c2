using Lcr.Identity.V1;
using Spectre.Console;

namespace Lcr.Cli;

/// <summary>The joiners list as a table for people (names from the provider's token, escaped).</summary>
internal static class JoinerView
{
    public static Table Joiners(string title, IEnumerable<FederatedJoiner> joiners)
    {
        var table = new Table { Title = new TableTitle(title), Border = TableBorder.Rounded };
        foreach (var c in new[] { "Status", "Provider", "Subject", "Name", "Role profiles", "Why", "Attempts", "Last seen", "Joiner id" })
        {
            table.AddColumn(c);
        }

        foreach (var j in joiners)
        {
            var status = Parsing.Name(j.Status);
            if (j.LinkedProfessionalId.Length > 0)
            {
                status += " to " + j.LinkedProfessionalId;
            }

            table.AddRow(
                Markup.Escape(status),
                Markup.Escape(j.Provider),
                Markup.Escape(j.Subject),
                Markup.Escape($"{j.GivenName} {j.FamilyName}".Trim()),
                Markup.Escape(string.Join(", ", j.RoleProfiles.Select(p => $"{p.RoleProfileId} {p.RoleCode} at {p.OrgCode}"))),
                Markup.Escape(j.LastReason),
                j.Attempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(Text.Time(j.LastSeenTime)),
                Markup.Escape(j.Id));
        }

        return table;
    }
}
