using Grpc.Core;
using Lcr.Consent.V1;

namespace Lcr.Cli.Tests;

/// <summary>Hints name a fix that can help: no sign-in for a call that carried none; the undo of a restriction, exactly.</summary>
public sealed class HintTests
{
    private static readonly IReadOnlyList<(string Field, string Description)> NoViolations = [];

    [Theory]
    [InlineData("INTERNAL_CREDENTIAL_MISSING")]
    [InlineData("INTERNAL_CREDENTIAL_INVALID")]
    [InlineData("SOMETHING_ELSE")]
    public void Lcr_patient_refused_by_the_service_is_never_told_to_sign_in(string reason)
    {
        var hint = Hints.For(StatusCode.Unauthenticated, reason, NoViolations, null, PatientCommands.Context("http://127.0.0.1:7101", "9990000018"));

        Assert.NotNull(hint);
        Assert.DoesNotContain("lcr signin", hint);
        Assert.DoesNotContain("sign in again", hint);
    }

    [Fact]
    public void An_internal_credential_refusal_points_at_the_gateway()
    {
        var hint = Hints.For(StatusCode.Unauthenticated, "INTERNAL_CREDENTIAL_MISSING", NoViolations, null, new FailureContext(NhsNumber: "9990000018"));

        Assert.Contains("lcr record 9990000018", hint);
    }

    [Fact]
    public void Lcr_patient_unavailable_names_its_own_address_option()
    {
        var hint = Hints.For(StatusCode.Unavailable, null, NoViolations, null, PatientCommands.Context("http://127.0.0.1:7101", null))!;

        Assert.Contains("--demographics/$LCR_DEMOGRAPHICS_ADDRESS", hint);
        Assert.DoesNotContain("--address/$LCR_ADDRESS", hint);
    }

    [Fact]
    public void A_session_call_refused_is_still_told_to_sign_in()
    {
        var hint = Hints.For(StatusCode.Unauthenticated, "SOMETHING_ELSE", NoViolations, null,
            new FailureContext(Credential: CredentialKind.Session, User: "ig.b86001"));

        Assert.Contains("lcr signin --user ig.b86001", hint);
    }

    [Theory]
    [InlineData("ig", "lcr --profile ig consent unrestrict 9990000018 r-1 --channel letter --reason \"<why the patient asked>\"")]
    [InlineData("default", "lcr consent unrestrict 9990000018 r-1 --channel letter --reason \"<why the patient asked>\"")]
    public void Restrict_prints_the_exact_undo_command(string profile, string expected) =>
        Assert.Equal(expected, ConsentCommands.UndoCommand(profile, "9990000018", "r-1", ConsentChannel.Letter));

    [Fact]
    public void The_undo_command_parses_as_lcr_consent_unrestrict()
    {
        using var cli = new CliRunner();
        var undo = ConsentCommands.UndoCommand("ig", "9990000018", "r-1", ConsentChannel.Letter);
        var env = new CliEnvironment { Variables = cli.Variables, HomeDirectory = cli.Home, Out = TextWriter.Null, Error = TextWriter.Null, Console = new Spectre.Console.Testing.TestConsole() };
        var args = System.CommandLine.Parsing.CommandLineParser.SplitCommandLine(undo["lcr ".Length..]).ToArray();

        var parse = Program.Build(env).Parse(args);

        Assert.Empty(parse.Errors);
        Assert.Equal("unrestrict", parse.CommandResult.Command.Name);
    }
}
