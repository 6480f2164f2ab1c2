using Google.Protobuf.WellKnownTypes;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Spectre.Console.Testing;

namespace Lcr.Cli.Tests;

/// <summary>`lcr alerts`: the table in 80 columns, the decision and --since words, usage errors before any call.</summary>
public sealed class AlertCommandTests
{
    private static PrivacyReviewCase Alert(PrivacyRule rule, PrivacyReviewCaseStatus status) => new()
    {
        Id = "0193a7b2-5c1e-7d2a-9b1e-3f4a5b6c7d8e",
        Rule = rule,
        Severity = PrivacySeverity.High,
        Status = status,
        Organisation = new OrganisationReference { OdsCode = "B86001" },
        Origin = PrivacyAlertOrigin.RaisedAtAccess,
        NhsNumber = "9990000018",
        Explanation = "Emergency (break-glass) access; coded reason ClinicalEmergency.",
        CreateTime = Timestamp.FromDateTime(new DateTime(2026, 12, 7, 9, 0, 0, DateTimeKind.Utc)),
    };

    [Fact]
    public void The_alert_list_fits_80_columns_with_whole_case_ids()
    {
        var console = new TestConsole().Width(80);
        AuditView.Alerts("Privacy alerts (2)",
        [
            Alert(PrivacyRule.SealedRecordEmergencyAccess, PrivacyReviewCaseStatus.FlaggedForInvestigation),
            Alert(PrivacyRule.SelfClaimedRelationship, PrivacyReviewCaseStatus.Escalated),
        ]).Write(console);
        var lines = console.Output.Split('\n');
        Assert.All(lines, l => Assert.True(l.TrimEnd().Length <= 80, $"{l.TrimEnd().Length} columns: {l}"));
        Assert.Equal(2, lines.Count(l => l.Contains("0193a7b2-5c1e-7d2a-9b1e-3f4a5b6c7d8e", StringComparison.Ordinal)));
        Assert.True(console.Output.Contains("sealed glass", StringComparison.Ordinal), console.Output);
        Assert.Contains("flagged", console.Output);
        Assert.Contains("escalated", console.Output);
    }

    [Fact]
    public void The_history_shows_each_decision_with_who_and_the_note_escaped()
    {
        var console = new TestConsole().Width(80);
        console.Write(AuditView.History(
        [
            new PrivacyReviewCaseChange
            {
                Status = PrivacyReviewCaseStatus.Justified, Note = "[red]Unconscious in ED",
                ChangedBy = new Actor { Kind = ActorKind.Professional, Id = "p", DisplayName = "Ms Rachel Green", Organisation = new OrganisationReference { OdsCode = "RR8" } },
                ChangeTime = Timestamp.FromDateTime(new DateTime(2026, 12, 7, 10, 0, 0, DateTimeKind.Utc)),
            },
        ]));
        Assert.True(console.Output.Contains("[red]Unconscious", StringComparison.Ordinal), console.Output);
        Assert.Contains("justified", console.Output);
        Assert.Contains("2026-12-07 10:00:00Z", console.Output);
    }

    [Fact]
    public void Decision_and_since_words()
    {
        Assert.Equal(PrivacyReviewCaseStatus.FlaggedForInvestigation, AlertCommands.Status("flagged", "--status"));
        Assert.Equal(PrivacyReviewCaseStatus.Open, AlertCommands.Status("open", "--status"));
        Assert.Equal(PrivacyReviewCaseStatus.Breach, AlertCommands.Status("BREACH", "--status"));
        var now = new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(now.AddDays(-7), AlertCommands.Since("7d", now).ToDateTimeOffset());
        Assert.Equal(now.AddHours(-24), AlertCommands.Since("24h", now).ToDateTimeOffset());
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), AlertCommands.Since("2026-12-01", now).ToDateTimeOffset());
        Assert.Throws<CliException>(() => AlertCommands.Since("last week", now));
    }

    [Fact]
    public async Task A_bad_decision_or_a_missing_note_is_a_usage_error_before_any_call()
    {
        using var cli = new CliRunner();
        var r = await cli.RunAsync("alerts", "decide", "0193a7b2-5c1e-7d2a-9b1e-3f4a5b6c7d8e", "--status", "closed", "--note", "x");
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("justified, flagged, escalated, breach", r.Error);
        r = await cli.RunAsync("alerts", "decide", "0193a7b2-5c1e-7d2a-9b1e-3f4a5b6c7d8e", "--status", "justified");
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        r = await cli.RunAsync("alerts", "list", "--status", "pending");
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
    }
}
