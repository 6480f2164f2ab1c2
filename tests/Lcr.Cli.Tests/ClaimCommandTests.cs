using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Lcr.Cli.Tests;

/// <summary>`lcr claim`: its input rules and the words of its refusals, without a platform.</summary>
public sealed class ClaimCommandTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    private static RpcException Refused(string reason)
    {
        var status = new Google.Rpc.Status { Code = (int)Code.PermissionDenied, Message = "Refused." };
        status.Details.Add(Any.Pack(new ErrorInfo { Reason = reason, Domain = "lcr.leeds.nhs.uk" }));
        return status.ToRpcException();
    }

    [Fact]
    public async Task An_unknown_reason_exits_2_naming_the_accepted_ones()
    {
        var r = await _cli.RunAsync("claim", "9990000018", "--reason", "curiosity", "--session", "x");

        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("clinic-attendance-not-yet-recorded", r.Error);
        Assert.Contains("safeguarding", r.Error);
    }

    [Fact]
    public async Task A_reason_is_required()
    {
        var r = await _cli.RunAsync("claim", "9990000018");

        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("--reason", r.Error);
    }

    [Theory]
    [InlineData("2 weeks")]
    [InlineData("-3h")]
    [InlineData("0d")]
    [InlineData("h")]
    public async Task A_bad_duration_exits_2_with_examples(string duration)
    {
        var r = await _cli.RunAsync("claim", "9990000018", "--reason", "referral-received", "--duration", duration, "--session", "x");

        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("24h", r.Error);
    }

    [Fact]
    public async Task Claiming_without_signing_in_exits_3_and_says_to_sign_in()
    {
        var r = await _cli.RunAsync("claim", "9990000018", "--reason", "patient-presented", "--address", "http://127.0.0.1:1");

        Assert.Equal(ExitCodes.Unauthenticated, r.ExitCode);
        Assert.Contains("lcr signin --user", r.Error);
    }

    [Theory]
    [InlineData("90m", 90)]
    [InlineData("24h", 24 * 60)]
    [InlineData("7D", 7 * 24 * 60)]
    public void Durations_are_minutes_hours_or_days(string value, int minutes) =>
        Assert.Equal(TimeSpan.FromMinutes(minutes), ClaimCommand.ParseDuration(value));

    [Theory]
    [InlineData("SELF_CLAIM_NOT_PERMITTED", "your role may not claim")]
    [InlineData("SELF_CLAIMS_DISABLED", "switched self-claimed relationships off")]
    [InlineData("NO_CARE_RELATIONSHIP", "lcr claim 9990000018 --reason")]
    public void Refusals_say_what_to_do(string reason, string hint)
    {
        var f = Failure.From(Refused(reason), new FailureContext(CredentialKind.Session, NhsNumber: "9990000018"));

        Assert.Equal(ExitCodes.PermissionDenied, f.ExitCode);
        Assert.Contains(hint, f.Hint);
    }
}
