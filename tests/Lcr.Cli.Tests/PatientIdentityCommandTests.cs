using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Demographics.V1;
using Lcr.Gateway.V1;
using Spectre.Console.Testing;

namespace Lcr.Cli.Tests;

/// <summary>
/// Issue 21 in lcr: `lcr patient supersede|withdraw-supersession|supersessions` (inputs and
/// output), the deceased notice and merged numbers in `lcr record`, and the words of a
/// superseded number's refusal (no host).
/// </summary>
public sealed class PatientIdentityCommandTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Supersede_needs_the_notice_and_both_numbers()
    {
        var r = await _cli.RunAsync("patient", "supersede", "--superseded", "9990000018");

        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("--notice-id", r.Error);
        Assert.Contains("--by", r.Error);
    }

    [Fact]
    public async Task Supersede_without_the_feeds_secret_exits_3_and_says_how_to_sign_in()
    {
        var r = await _cli.RunAsync("patient", "supersede", "--notice-id", "n1", "--superseded", "9990000018", "--by", "9990000026",
            "--address", "http://127.0.0.1:1");

        Assert.Equal(ExitCodes.Unauthenticated, r.ExitCode);
        Assert.Contains("lcr01-pds-feed", r.Error);
    }

    [Fact]
    public async Task The_supersession_commands_are_listed_under_patient()
    {
        var r = await _cli.RunAsync("patient", "--help");

        Assert.Contains("supersede", r.Out);
        Assert.Contains("withdraw-supersession", r.Out);
        Assert.Contains("supersessions", r.Out);
    }

    [Fact]
    public void A_supersession_is_one_line_with_its_notice_and_state()
    {
        var s = new Supersession { NoticeId = "pds-1", SupersededNhsNumber = "9990000018", NhsNumber = "9990000026", State = SupersessionState.Active };
        Assert.Equal("999 000 0018 superseded by 999 000 0026 (notice pds-1, standing)", SupersessionCommands.Describe(s));
        s.State = SupersessionState.Withdrawn;
        s.WithdrawalNoticeId = "pds-2";
        Assert.EndsWith("(notice pds-1, withdrawn by notice pds-2)", SupersessionCommands.Describe(s), StringComparison.Ordinal);
    }

    [Fact]
    public void A_superseded_number_says_which_number_to_use()
    {
        var status = new Google.Rpc.Status { Code = (int)Code.FailedPrecondition, Message = "This NHS number is superseded." };
        status.Details.Add(Any.Pack(new ErrorInfo
        {
            Reason = "NHS_NUMBER_SUPERSEDED", Domain = "lcr.leeds.nhs.uk", Metadata = { ["current_nhs_number"] = "9990000026" },
        }));

        var f = Failure.From(status.ToRpcException(), new FailureContext(CredentialKind.Access, NhsNumber: "9990000018"));

        Assert.Equal(ExitCodes.Failure, f.ExitCode);
        Assert.StartsWith("NHS number superseded: use 9990000026", f.Hint, StringComparison.Ordinal);
        Assert.Contains("NHS number superseded: use 9990000026", f.ToText());
    }

    [Fact]
    public void The_record_prints_the_deceased_notice_first_and_the_merged_numbers()
    {
        var console = new TestConsole().Width(220);
        RecordView.Render(console, new GetPatientRecordResponse
        {
            Patient = new Patient { NhsNumber = "9990000026", Name = new HumanName { Given = { "Ann" }, Family = "Hart" } },
            Deceased = new DeceasedNotice { DeathDate = new Date { Year = 2026, Month = 11, Day = 3 }, Message = "This patient died on 3 November 2026." },
            MergedNhsNumbers = { "9990000018" },
        });

        var text = console.Output;
        Assert.StartsWith("This patient died on 3 November 2026.", text.TrimStart(), StringComparison.Ordinal);
        Assert.Contains("Merged from: 999 000 0018", text);
    }
}
