using Google.Protobuf.WellKnownTypes;
using Lcr.Audit.V1;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Gateway.V1;
using Spectre.Console.Testing;

namespace Lcr.Cli.Tests;

/// <summary>
/// Tables at 80 columns: identifiers (case, event, restriction and entry ids, NHS numbers) are printed whole on one line,
/// no line is wider than the terminal, and --columns / --plain give scripts what they ask for.
/// </summary>
public sealed class TableIdentifierTests
{
    private const string CaseId = "0193a7b2-5c1e-7d2a-9b1e-3f4a5b6c7d8e";
    private const string EventId = "0193a7b2-aaaa-7d2a-9b1e-000000000001";
    private const string RestrictionId = "0193a7b2-bbbb-7d2a-9b1e-000000000002";
    private const string EntryId = "0193a7b2-cccc-7d2a-9b1e-000000000003";
    private const string Nhs = "999 000 0018";
    private static readonly Timestamp At = Timestamp.FromDateTime(new DateTime(2026, 12, 7, 9, 0, 0, DateTimeKind.Utc));
    private static readonly Actor Professional = new()
    {
        Kind = ActorKind.Professional, Id = "p1", DisplayName = "Dr Alexandra Montgomery-Fotheringham",
        Organisation = new OrganisationReference { OdsCode = "RR8" },
    };

    private static string At80(CliTable table)
    {
        var console = new TestConsole().Width(80);
        table.Write(console);
        var lines = console.Output.Split('\n');
        Assert.All(lines, l => Assert.True(l.TrimEnd().Length <= 80, $"{l.TrimEnd().Length} columns: {l}"));
        return console.Output;
    }

    private static void Whole(string output, string id, int times = 1) =>
        Assert.True(output.Split('\n').Count(l => l.Contains(id, StringComparison.Ordinal)) == times, $"{id} not whole {times} time(s):\n{output}");

    private static PrivacyReviewCase Case() => new()
    {
        Id = CaseId, Rule = PrivacyRule.SealedRecordEmergencyAccess, Severity = PrivacySeverity.High,
        Status = PrivacyReviewCaseStatus.FlaggedForInvestigation, Organisation = new OrganisationReference { OdsCode = "B86001" },
        NhsNumber = "9990000018", Actor = Professional, EventCount = 12,
        Explanation = "Emergency (break-glass) access to a sealed record; coded reason ClinicalEmergency, outside usual hours.",
    };

    private static AuditEvent Event() => new()
    {
        EventId = EventId, RecordTime = At, Actor = Professional, Action = AuditAction.ViewSummary, Outcome = AuditOutcome.Denied,
        DenialReason = AuditDenialReason.NoCareRelationship, NhsNumber = "9990000018", PurposeOfUse = PurposeOfUse.DirectCare,
        ReturnedCategories = { RecordCategory.Problems, RecordCategory.Medications, RecordCategory.TestResults },
    };

    private static Restriction Restriction() => new()
    {
        Id = RestrictionId, BlockedOrganisation = new OrganisationReference { OdsCode = "RR8" }, Reason = "The patient asked that this trust not see the record",
        Channel = ConsentChannel.InPerson, CreateTime = At,
    };

    [Fact]
    public void Alerts_list_keeps_case_ids_whole() => Whole(At80(AuditView.Alerts("Privacy alerts (1)", [Case()])), CaseId);

    [Fact]
    public void Review_cases_keep_case_ids_and_nhs_numbers_whole()
    {
        var text = At80(AuditView.Cases("Privacy review cases (1)", [Case()]));
        Whole(text, CaseId);
        Whole(text, Nhs);
    }

    [Fact]
    public void Audit_events_of_a_patient_or_professional_keep_event_ids_and_nhs_numbers_whole()
    {
        var text = At80(AuditView.Events("Audit events of p1", [Event(), Event()]));
        Whole(text, EventId, 2);
        Whole(text, Nhs, 2);
    }

    [Fact]
    public void Consent_history_keeps_restriction_ids_whole()
    {
        var text = At80(AuditView.ConsentHistory([new ConsentChange
        {
            Version = 4, Kind = ConsentChangeKind.RestrictionAdded, ChangeTime = At, Actor = Professional, Channel = ConsentChannel.InPerson,
            Reason = "The patient asked that this trust not see the record", Restriction = Restriction(),
        }]));
        Whole(text, RestrictionId);
    }

    [Fact]
    public void Restrictions_in_force_keep_their_ids_whole()
    {
        var console = new TestConsole().Width(80);
        AuditView.Consent(console, new ConsentState { NhsNumber = "9990000018", Version = 4, Restrictions = { Restriction() } });
        Assert.All(console.Output.Split('\n'), l => Assert.True(l.TrimEnd().Length <= 80, l));
        Whole(console.Output, RestrictionId);
    }

    [Fact]
    public void Access_log_reads_at_80_columns_with_times_whole()
    {
        var text = At80(AuditView.AccessLog([new AccessLogEntry
        {
            AccessTime = At, ViewerName = "Dr Alexandra Montgomery-Fotheringham", ViewerRoleName = "Clinical Practitioner Access Role",
            Organisation = new OrganisationReference { OdsCode = "RR8", DisplayName = "Leeds Teaching Hospitals NHS Trust" },
            Action = AuditAction.ViewSummary, AccessReason = "emergency access to your sealed record - clinical emergency", SealedRecord = true,
            Categories = { RecordCategory.Problems, RecordCategory.Medications }, EntryCount = 3, Outcome = AuditOutcome.Permitted,
        }]));
        Whole(text, "2026-12-07 09:00:00Z");
        Assert.Contains("permitted", text);
        Assert.DoesNotContain("Left out", text);
    }

    [Theory]
    [InlineData(RecordCategory.Medications)]
    [InlineData(RecordCategory.Documents)]
    [InlineData(RecordCategory.TestResults)]
    public void Entries_keep_entry_ids_whole(RecordCategory category)
    {
        var entry = new Entry
        {
            Id = EntryId, Code = new CodedConcept { Display = "Amoxicillin 500mg capsules with a long descriptive name" },
            Provenance = new Provenance { SourceOrganisation = new OrganisationReference { OdsCode = "B86001", DisplayName = "Leeds City Medical Practice" } },
        };
        Whole(At80(RecordView.Entries("Entries (1)", category, [entry])), EntryId);
    }

    [Fact]
    public void Plain_is_tab_separated_without_markup_and_columns_chooses_and_orders()
    {
        var table = AuditView.Alerts("Privacy alerts (1)", [Case()]);

        var plain = table.Plain(new TableFormat(null, true)).ToList();
        Assert.Equal("case-id\tsev\talert\tstatus\torg", plain[0]);
        Assert.Equal($"{CaseId}\thigh\tsealed glass\tflagged\tB86001", plain[1]);

        Assert.Equal(["org\tcase-id", $"B86001\t{CaseId}"], table.Plain(TableFormat.Parse("org, case-id", true)));
    }

    [Fact]
    public void Columns_naming_a_column_the_table_lacks_is_a_usage_error_listing_its_columns()
    {
        var e = Assert.Throws<CliException>(() => AuditView.Alerts("x", [Case()]).Chosen(TableFormat.Parse("case-id,gossip", false)));

        Assert.Equal(ExitCodes.Usage, e.ExitCode);
        Assert.Contains("case-id,sev,alert,status,org", e.Message);
        Assert.DoesNotContain("gossip", e.Message);
    }

    [Fact]
    public void Chosen_columns_are_printed_alone()
    {
        var console = new TestConsole().Width(80);
        AuditView.Cases("Cases", [Case()]).Write(console, TextWriter.Null, TableFormat.Parse("case-id,why", false));

        Assert.Contains("Case id", console.Output);
        Assert.DoesNotContain("Severity", console.Output);
        Whole(console.Output, CaseId);
    }
}
