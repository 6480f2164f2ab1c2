using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Gateway.V1;
using Spectre.Console;

namespace Lcr.Cli;

/// <summary>Audit, privacy review and consent replies as tables.</summary>
internal static class AuditView
{
    public static Table AccessLog(IEnumerable<AccessLogEntry> entries)
    {
        var table = new Table { Title = new TableTitle("Who has looked at this record"), Border = TableBorder.Rounded };
        foreach (var c in new[] { "When", "Who", "Role", "Organisation", "Did", "Why", "Saw", "Entries", "Outcome" })
        {
            table.AddColumn(c);
        }

        foreach (var e in entries)
        {
            table.AddRow(
                Markup.Escape(Text.Time(e.AccessTime)),
                Markup.Escape(e.ViewerName) + (e.EmergencyAccess ? " [bold red](emergency)[/]" : string.Empty),
                Markup.Escape(e.ViewerRoleName),
                Markup.Escape(e.Organisation is { } o ? RecordView.Org(o) : string.Empty),
                Markup.Escape(Parsing.Name(e.Action)),
                // The platform's reason words (never the professional's own text), and whether the record was sealed.
                Markup.Escape(e.AccessReason) + (e.SealedRecord ? " [bold]" + Markup.Escape("(sealed record)") + "[/]" : string.Empty),
                Markup.Escape(string.Join(", ", e.Categories.Select(Parsing.Name))),
                e.EntryCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Outcome(e.Outcome));
        }

        return table;
    }

    public static Table Events(string title, IEnumerable<AuditEvent> events)
    {
        var table = new Table { Title = new TableTitle(title), Border = TableBorder.Rounded };
        foreach (var c in new[] { "Recorded", "Actor", "Action", "Outcome", "Patient", "Purpose", "Returned", "Event id" })
        {
            table.AddColumn(c);
        }

        foreach (var e in events)
        {
            var outcome = Outcome(e.Outcome) + (e.DenialReason != AuditDenialReason.Unspecified ? Markup.Escape($" ({Parsing.Name(e.DenialReason)})") : string.Empty);
            table.AddRow(
                Markup.Escape(Text.Time(e.RecordTime ?? e.OccurrenceTime)),
                Markup.Escape(Actor(e.Actor)) + (e.EmergencyAccess is not null ? " [bold red](emergency)[/]" : string.Empty),
                Markup.Escape(Parsing.Name(e.Action)),
                outcome,
                Markup.Escape(RecordView.FormatNhs(e.NhsNumber)),
                Markup.Escape(e.PurposeOfUse == PurposeOfUse.Unspecified ? string.Empty : Parsing.Name(e.PurposeOfUse)),
                Markup.Escape(Returned(e)),
                Markup.Escape(e.EventId));
        }

        return table;
    }

    public static Table Cases(string title, IEnumerable<PrivacyReviewCase> cases)
    {
        var table = new Table { Title = new TableTitle(title), Border = TableBorder.Rounded };
        foreach (var c in new[] { "Severity", "Rule", "Status", "Actor", "Patient", "Events", "Why", "Case id" })
        {
            table.AddColumn(c);
        }

        foreach (var c in cases)
        {
            table.AddRow(
                Severity(c.Severity),
                Markup.Escape(Parsing.Name(c.Rule)),
                Markup.Escape(Parsing.Name(c.Status)),
                Markup.Escape(Actor(c.Actor)),
                Markup.Escape(RecordView.FormatNhs(c.NhsNumber)),
                c.EventCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(c.Explanation),
                Markup.Escape(c.Id));
        }

        return table;
    }

    /// <summary>Privacy alerts in 80 columns: the full case id (to copy), severity, what, status, organisation.</summary>
    public static Table Alerts(string title, IEnumerable<PrivacyReviewCase> cases)
    {
        // No border and two spaces between columns: 36 + 6 + 12 + 9 + 6 characters and the gaps fit 80 columns unwrapped.
        var table = new Table { Title = new TableTitle(title), Border = TableBorder.None };
        foreach (var c in new[] { "Case id", "Sev", "Alert", "Status", "Org" })
        {
            table.AddColumn(new TableColumn(c).NoWrap().PadLeft(0).PadRight(2));
        }

        foreach (var c in cases)
        {
            table.AddRow(
                Markup.Escape(c.Id),
                Severity(c.Severity),
                Markup.Escape(AlertName(c.Rule)),
                Markup.Escape(StatusName(c.Status)),
                Markup.Escape(c.Organisation?.OdsCode ?? string.Empty));
        }

        return table;
    }

    /// <summary>A case's decisions, oldest first: when, status, who, note.</summary>
    public static Table History(IEnumerable<PrivacyReviewCaseChange> history)
    {
        var table = new Table { Title = new TableTitle("History"), Border = TableBorder.Simple };
        foreach (var c in new[] { "When", "Status", "By", "Note" })
        {
            table.AddColumn(c);
        }

        foreach (var h in history)
        {
            table.AddRow(
                Markup.Escape(Text.Time(h.ChangeTime)),
                Markup.Escape(StatusName(h.Status)),
                Markup.Escape(Actor(h.ChangedBy)),
                Markup.Escape(h.Note));
        }

        return table;
    }

    /// <summary>A short name for an alert's rule (the list is read in 80 columns).</summary>
    public static string AlertName(PrivacyRule rule) => rule switch
    {
        PrivacyRule.EmergencyAccess => "emergency",
        PrivacyRule.SelfClaimedRelationship => "self-claim",
        PrivacyRule.SealedRecordAccess => "sealed view",
        PrivacyRule.SealedRecordEmergencyAccess => "sealed glass",
        PrivacyRule.ViewSurge => "view surge",
        PrivacyRule.NoCareRelationship => "no relation",
        PrivacyRule.OwnRecord => "own record",
        PrivacyRule.SharedFamilyName => "same name",
        PrivacyRule.SharedAddress => "same address",
        PrivacyRule.UnusualPatientVolume => "volume",
        PrivacyRule.OutsideUsualHours => "hours",
        PrivacyRule.RepeatedDenials => "denials",
        _ => Parsing.Name(rule),
    };

    /// <summary>A short name for a case's status.</summary>
    public static string StatusName(PrivacyReviewCaseStatus status) =>
        status == PrivacyReviewCaseStatus.FlaggedForInvestigation ? "flagged" : Parsing.Name(status);

    public static void Consent(IAnsiConsole console, ConsentState c)
    {
        var changed = c.UpdateTime is { } t ? $", changed {Text.Time(t)}" : string.Empty;
        console.MarkupLineInterpolated($"[bold]Patient {RecordView.FormatNhs(c.NhsNumber)}[/]: consent version {c.Version}{changed}");
        if (c.OptedOut)
        {
            console.MarkupLineInterpolated($"[bold red]Opted out[/] of the shared care record ({Parsing.Name(c.OptOut.Channel)}, {c.OptOut.Reason}); nobody can see it.");
        }
        else
        {
            console.MarkupLine("Not opted out: the record is shared with the professionals caring for the patient.");
        }

        ConsentSealView.Write(console, c);

        if (c.Restrictions.Count == 0)
        {
            console.MarkupLine("No restrictions.");
            return;
        }

        var table = new Table { Title = new TableTitle("Restrictions in force"), Border = TableBorder.Rounded };
        foreach (var h in new[] { "Restriction", "Reason", "Channel", "Until", "Recorded", "Id" })
        {
            table.AddColumn(h);
        }

        foreach (var r in c.Restrictions)
        {
            table.AddRow(Markup.Escape(Describe(r)), Markup.Escape(r.Reason), Markup.Escape(Parsing.Name(r.Channel)),
                Markup.Escape(r.EndTime is null ? "until removed" : Text.Time(r.EndTime)), Markup.Escape(Text.Time(r.CreateTime)), Markup.Escape(r.Id));
        }

        console.Write(table);
    }

    public static string Describe(Restriction r) => r.TargetCase switch
    {
        Restriction.TargetOneofCase.WithheldOrganisation => $"withhold entries from {r.WithheldOrganisation.OdsCode}",
        Restriction.TargetOneofCase.WithheldCategory => $"withhold {Parsing.Name(r.WithheldCategory)}",
        Restriction.TargetOneofCase.WithheldEntryId => $"withhold entry {r.WithheldEntryId}",
        Restriction.TargetOneofCase.BlockedProfessionalId => $"block professional {r.BlockedProfessionalId}",
        Restriction.TargetOneofCase.BlockedOrganisation => $"block organisation {r.BlockedOrganisation.OdsCode}",
        Restriction.TargetOneofCase.SensitiveEntriesRelease => "release sensitive entries",
        _ => "(unknown)",
    };

    public static string Actor(Actor? a) => a is null
        ? string.Empty
        : (a.DisplayName is { Length: > 0 } n ? n : a.Id) + (a.Organisation is { OdsCode.Length: > 0 } o ? $" ({o.OdsCode})" : string.Empty);

    private static string Returned(AuditEvent e) =>
        e.ReturnedCategories.Count == 0 ? string.Empty
            : string.Join(", ", e.ReturnedCategories.Select(Parsing.Name)) + (e.ReturnedEntryIds.Count > 0 ? $" ({e.ReturnedEntryIds.Count} entries)" : string.Empty);

    private static string Outcome(AuditOutcome o) => o switch
    {
        AuditOutcome.Permitted => "[green]permitted[/]",
        AuditOutcome.Denied => "[red]denied[/]",
        _ => string.Empty,
    };

    private static string Severity(PrivacySeverity s) => s switch
    {
        PrivacySeverity.High => "[bold red]high[/]",
        PrivacySeverity.Medium => "[yellow]medium[/]",
        PrivacySeverity.Low => "low",
        _ => string.Empty,
    };
}
