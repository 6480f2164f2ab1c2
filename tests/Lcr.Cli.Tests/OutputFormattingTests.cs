using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Lcr.Audit.V1;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Demographics.V1;
using Lcr.Gateway.V1;
using Lcr.ServiceDefaults;
using Lcr.ServiceDefaults.DevData;
using Spectre.Console.Testing;

namespace Lcr.Cli.Tests;

/// <summary>Tables for people, the proto JSON mapping for scripts, and the friendly option values.</summary>
public sealed class OutputFormattingTests
{
    private static GetPatientRecordResponse Record(bool restricted = false, bool emergency = false)
    {
        var r = new GetPatientRecordResponse
        {
            Patient = new Patient
            {
                NhsNumber = "9990000018",
                Name = new HumanName { Prefix = "Ms", Given = { "Amelia" }, Family = "Hart" },
                BirthDate = new Date { Year = 1961, Month = 3, Day = 14 },
                Gender = AdministrativeGender.Female,
                Address = restricted ? null : new Address { Lines = { "12 Beckett Street", "Leeds" }, Postcode = "LS9 7TF" },
            },
            ContactDetailsWithheld = restricted,
            EmergencyAccess = emergency,
            RecordVersion = 12,
            AuditEventId = "4d1b7c2e-0000-4000-8000-000000000001",
            ReturnedCategories = { RecordCategory.Demographics, RecordCategory.Problems, RecordCategory.TestResults, RecordCategory.Allergies },
            CategoryCounts = { new CategoryCount { Category = RecordCategory.Problems, Count = 1 } },
        };
        r.ActiveProblems.Add(new Entry
        {
            Id = "e1",
            Category = RecordCategory.Problems,
            Code = new CodedConcept { Display = "Diabetes mellitus type 2" },
            Problem = new Problem { ClinicalStatus = ProblemClinicalStatus.Active, OnsetDate = new Date { Year = 2015, Month = 6, Day = 2 } },
            Provenance = new Provenance { SourceOrganisation = new OrganisationReference { OdsCode = "B86001", DisplayName = "Beckett Street Surgery" } },
        });
        r.LatestResults.Add(new Entry
        {
            Id = "e2",
            Category = RecordCategory.TestResults,
            Code = new CodedConcept { Display = "Haemoglobin A1c level" },
            TestResult = new TestResult
            {
                Quantity = new Quantity { Value = 48, Unit = "mmol/mol" },
                ReferenceRange = new ReferenceRange { Text = "20-41 mmol/mol" },
                AbnormalFlag = AbnormalFlag.High,
                EffectiveTime = Timestamp.FromDateTime(new DateTime(2026, 5, 1, 9, 0, 0, DateTimeKind.Utc)),
            },
        });
        return r;
    }

    private static string Render(GetPatientRecordResponse r)
    {
        var console = new TestConsole().Width(220);
        RecordView.Render(console, r);
        return console.Output;
    }

    [Fact]
    public void Record_summary_shows_the_patient_and_each_returned_section()
    {
        var text = Render(Record());

        Assert.Contains("Ms Amelia Hart", text);
        Assert.Contains("999 000 0018", text);
        Assert.Contains("12 Beckett Street, Leeds, LS9 7TF", text);
        Assert.Contains("Diabetes mellitus type 2", text);
        Assert.Contains("Beckett Street Surgery (B86001)", text);
        Assert.Contains("48 mmol/mol", text);
        Assert.Contains("high", text);
        Assert.Contains("Allergies and intolerances: none recorded", text);
        Assert.DoesNotContain("Current medications", text); // not returned: not shown as empty either
        Assert.Contains("Audit event 4d1b7c2e-0000-4000-8000-000000000001", text);
    }

    [Fact]
    public void Restricted_patient_shows_the_address_as_withheld()
    {
        var text = Render(Record(restricted: true));

        Assert.Contains("withheld (restricted record)", text);
        Assert.DoesNotContain("Beckett Street, Leeds", text);
    }

    [Fact]
    public void Emergency_access_is_called_out()
    {
        Assert.Contains("Emergency (break-glass) access", Render(Record(emergency: true)));
    }

    [Fact]
    public void Text_from_the_record_is_not_read_as_markup()
    {
        var r = Record();
        r.ActiveProblems[0].Code.Display = "[red]Injected[/] [bold]";

        Assert.Contains("[red]Injected[/] [bold]", Render(r));
    }

    [Fact]
    public void Json_output_is_the_proto3_json_mapping()
    {
        using var doc = JsonDocument.Parse(Invocation.Format(Record()));
        var root = doc.RootElement;

        Assert.Equal("9990000018", root.GetProperty("patient").GetProperty("nhsNumber").GetString());
        Assert.Equal("PROBLEM_CLINICAL_STATUS_ACTIVE", root.GetProperty("activeProblems")[0].GetProperty("problem").GetProperty("clinicalStatus").GetString());
        Assert.Equal("RECORD_CATEGORY_PROBLEMS", root.GetProperty("returnedCategories")[1].GetString());
        Assert.Equal("12", root.GetProperty("recordVersion").GetString()); // int64 as a string, per the mapping
        Assert.Equal("2026-05-01T09:00:00Z", root.GetProperty("latestResults")[0].GetProperty("testResult").GetProperty("effectiveTime").GetString());
    }

    [Fact]
    public void Access_log_marks_emergency_access_and_refusals()
    {
        var console = new TestConsole().Width(400);
        AuditView.AccessLog([
            new AccessLogEntry
            {
                AccessTime = Timestamp.FromDateTime(new DateTime(2026, 12, 1, 10, 0, 0, DateTimeKind.Utc)),
                ViewerName = "Dr Sam Okoro", ViewerRoleName = "Clinical Practitioner Access Role",
                Organisation = new OrganisationReference { OdsCode = "RR8" }, Action = AuditAction.ViewSummary,
                Categories = { RecordCategory.Problems }, EntryCount = 3, Outcome = AuditOutcome.Permitted, EmergencyAccess = true,
                AccessReason = "emergency access to your sealed record - clinical emergency", SealedRecord = true,
            },
            new AccessLogEntry { ViewerName = "Mr Ben Carter", Action = AuditAction.ViewSummary, Outcome = AuditOutcome.Denied },
        ]).Write(console);

        Assert.Contains("Dr Sam Okoro (emergency)", console.Output);
        Assert.Contains("emergency access to your sealed record - clinical emergency (sealed record)", console.Output);
        Assert.Contains("view-summary", console.Output);
        Assert.Contains("denied", console.Output);
    }

    [Theory]
    [InlineData("test-results", RecordCategory.TestResults)]
    [InlineData("PROBLEMS", RecordCategory.Problems)]
    [InlineData("RECORD_CATEGORY_DOCUMENTS", RecordCategory.Documents)]
    public void Categories_are_accepted_in_kebab_case_or_by_proto_name(string value, RecordCategory expected) =>
        Assert.Equal(expected, Parsing.Enum<RecordCategory>(value, "--category"));

    [Fact]
    public void Unknown_enum_value_is_a_usage_error_listing_the_choices()
    {
        var e = Assert.Throws<CliException>(() => Parsing.Enum<RecordCategory>("gossip", "--category"));

        Assert.Equal(ExitCodes.Usage, e.ExitCode);
        Assert.Contains("test-results", e.Message);
        Assert.DoesNotContain("unspecified", e.Message);
    }

    [Fact]
    public void Seeded_patients_have_valid_distinct_test_range_nhs_numbers_apart_from_the_make_run_cohort()
    {
        var cohort = SyntheticCohort.Patients.Select(p => p.NhsNumber).ToHashSet();
        var seeded = Enumerable.Range(0, 500).Select(SyntheticFeed.NhsNumber).ToList();

        Assert.All(seeded, n => Assert.True(NhsNumber.IsValid(n) && n.StartsWith("999", StringComparison.Ordinal)));
        Assert.Equal(seeded.Count, seeded.Distinct().Count());
        Assert.DoesNotContain(seeded, cohort.Contains);
        Assert.Equal(SyntheticFeed.Patient(7, "B86001").ToString(), SyntheticFeed.Patient(7, "B86001").ToString());
    }

    [Fact]
    public void A_joiner_shows_as_a_row_with_the_markup_in_their_name_escaped()
    {
        var console = new TestConsole().Width(260);
        console.Write(JoinerView.Joiners("Joiners (1)",
        [
            new Lcr.Identity.V1.FederatedJoiner
            {
                Id = "7f0c", Provider = "cis2", Subject = "5a6b-uuid", GivenName = "[red]Nadia", FamilyName = "Starter",
                RoleProfiles = { new Lcr.Identity.V1.FederatedJoinerRoleProfile { RoleProfileId = "700000000001", OrgCode = "RR8", RoleCode = "S8000:G8000:R8000" } },
                LastReason = "UNKNOWN_FEDERATED_SUBJECT", Attempts = 2, Status = Lcr.Identity.V1.FederatedJoinerStatus.Open,
                LastSeenTime = Timestamp.FromDateTime(new DateTime(2026, 12, 7, 9, 0, 0, DateTimeKind.Utc)),
            },
        ]));
        Assert.Contains("[red]Nadia Starter", console.Output);
        Assert.Contains("700000000001 S8000:G8000:R8000 at RR8", console.Output);
        Assert.Contains("open", console.Output);
        Assert.Contains("2026-12-07 09:00:00Z", console.Output);
    }

    [Fact]
    public async Task An_unknown_joiner_status_is_a_usage_error_before_any_call()
    {
        using var cli = new CliRunner();
        var r = await cli.RunAsync("joiners", "list", "--status", "pending");
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("open, linked, dismissed", r.Error);
    }
}
