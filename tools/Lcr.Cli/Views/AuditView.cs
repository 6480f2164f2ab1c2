using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Gateway.V1;
using Spectre.Console;

namespace Lcr.Cli;

/// <summary>Audit, privacy review and consent replies as tables.</summary>
internal static class AuditView
{
    /// <summary>The access log, readable at 80 columns: when (whole), who with their role and organisation, what was done and why, what was seen.</summary>
    public static CliTable AccessLog(IEnumerable<AccessLogEntry> entries)
    {
        var table = new CliTable("Who has looked at this record", [CliColumn.Id("When"), new("Who"), new("Did"), new("Saw"), new("Outcome")]);
        foreach (var e in entries)
        {
            var saw = string.Join(", ", e.Categories.Select(Parsing.Name));
            table.AddRow(
                Markup.Escape(Text.Time(e.AccessTime)),
                Markup.Escape(e.ViewerName) + (e.EmergencyAccess ? " [bold red](emergency)[/]" : string.Empty) +
                    (e.ViewerRoleName.Length > 0 ? "\n[grey]" + Markup.Escape(e.ViewerRoleName) + "[/]" : string.Empty) +
                    (e.Organisation is { } o ? "\n" + Markup.Escape(RecordView.Org(o)) : string.Empty),
                // The platform's reason words (never the professional's own text), and whether the record was sealed.
                Markup.Escape(Parsing.Name(e.Action)) + (e.AccessReason.Length > 0 ? "\n" + Markup.Escape(e.AccessReason) : string.Empty) +
                    (e.SealedRecord ? " [bold]" + Markup.Escape("(sealed record)") + "[/]" : string.Empty),
                Markup.Escape(saw + (e.EntryCount > 0 ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $" ({e.EntryCount} entries)") : string.Empty)),
                Outcome(e.Outcome));
        }

        return table;
    }

    public static CliTable Events(string title, IEnumerable<AuditEvent> events)
    {
        var table = new CliTable(title, [new("Recorded"), new("Actor"), new("Action"), new("Outcome"), CliColumn.Id("Patient"), new("Purpose"),
            new("Returned"), CliColumn.Id("Event id")]);

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

    public static CliTable Cases(string title, IEnumerable<PrivacyReviewCase> cases)
    {
        var table = new CliTable(title, [new("Severity"), new("Rule"), new("Status"), new("Actor"), CliColumn.Id("Patient"), new("Events"), new("Why"),
            CliColumn.Id("Case id")]);

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
    public static CliTable Alerts(string title, IEnumerable<PrivacyReviewCase> cases)
    {
        // No border and two spaces between columns: 36 + 6 + 12 + 9 + 6 characters and the gaps fit 80 columns unwrapped.
        var table = new CliTable(title, [CliColumn.Id("Case id"), new("Sev"), new("Alert"), new("Status"), CliColumn.Id("Org")], compact: true);

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

    /// <summary>A patient's consent, the restrictions table as --columns and --plain ask.</summary>
    public static void Consent(Invocation i, ConsentState c) => Consent(i.Console, c, i.Write);

    /// <summary>A patient's consent on a console (all columns).</summary>
    public static void Consent(IAnsiConsole console, ConsentState c) => Consent(console, c, t => t.Write(console));

    private static void Consent(IAnsiConsole console, ConsentState c, Action<CliTable> write)
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

        var table = new CliTable("Restrictions in force", [new("Restriction"), new("Reason"), new("Channel"), new("Until"), new("Recorded"), CliColumn.Id("Id")]);

        foreach (var r in c.Restrictions)
        {
            table.AddRow(Markup.Escape(Describe(r)), Markup.Escape(r.Reason), Markup.Escape(Parsing.Name(r.Channel)),
                Markup.Escape(r.EndTime is null ? "until removed" : Text.Time(r.EndTime)), Markup.Escape(Text.Time(r.CreateTime)), Markup.Escape(r.Id));
        }

        write(table);
    }

    /// <summary>A patient's consent changes, each restriction with its id (what `lcr consent unrestrict` needs), never wrapped.</summary>
    public static CliTable ConsentHistory(IEnumerable<ConsentChange> changes)
    {
        var table = new CliTable("Consent history", [new("Version"), new("When"), new("Change"), new("By"), new("Channel"), new("Reason"),
            new("Restriction or seal"), CliColumn.Id("Restriction id")]);
        foreach (var c in changes)
        {
            table.AddRow(c.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(Text.Time(c.ChangeTime)),
                Markup.Escape(Parsing.Name(c.Kind)), Markup.Escape(Actor(c.Actor)), Markup.Escape(Parsing.Name(c.Channel)),
                Markup.Escape(c.Reason), Markup.Escape(c.Restriction is not null ? Describe(c.Restriction)
                    : c.Seal is not null ? ConsentSealView.Describe(c.Seal) : string.Empty), Markup.Escape(c.Restriction?.Id ?? string.Empty));
        }

        return table;
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
