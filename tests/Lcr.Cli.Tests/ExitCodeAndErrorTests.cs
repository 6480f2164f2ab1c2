using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Lcr.Security;

namespace Lcr.Cli.Tests;

/// <summary>Documented exit codes, and errors that carry the platform's details and say what to do.</summary>
public sealed class ExitCodeAndErrorTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    private static RpcException Rich(Code code, string message, params Google.Protobuf.IMessage[] details)
    {
        var status = new Google.Rpc.Status { Code = (int)code, Message = message };
        foreach (var d in details)
        {
            status.Details.Add(Any.Pack(d));
        }

        return status.ToRpcException();
    }

    [Theory]
    [InlineData(StatusCode.OK, 0)]
    [InlineData(StatusCode.InvalidArgument, 2)]
    [InlineData(StatusCode.Unauthenticated, 3)]
    [InlineData(StatusCode.PermissionDenied, 4)]
    [InlineData(StatusCode.NotFound, 5)]
    [InlineData(StatusCode.Unavailable, 6)]
    [InlineData(StatusCode.DeadlineExceeded, 6)]
    [InlineData(StatusCode.ResourceExhausted, 6)]
    [InlineData(StatusCode.Internal, 1)]
    [InlineData(StatusCode.FailedPrecondition, 1)]
    [InlineData(StatusCode.AlreadyExists, 1)]
    public void Every_status_maps_to_its_documented_exit_code(StatusCode status, int exit) =>
        Assert.Equal(exit, ExitCodes.For(status));

    [Fact]
    public async Task Parse_error_exits_2_and_points_at_help()
    {
        var r = await _cli.RunAsync("record");

        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("nhs-number", r.Error);
        Assert.Contains("lcr record --help", r.Error);
    }

    [Fact]
    public async Task Parse_error_with_json_is_a_json_error_on_stderr()
    {
        var r = await _cli.RunAsync("entries", "9990000018", "--json");

        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Error);
        Assert.Equal("INVALID_ARGUMENT", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("--category", doc.RootElement.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Reading_without_signing_in_exits_3_and_says_to_sign_in()
    {
        var r = await _cli.RunAsync("record", "9990000018", "--address", "http://127.0.0.1:1");

        Assert.Equal(ExitCodes.Unauthenticated, r.ExitCode);
        Assert.Contains("lcr signin --user", r.Error);
        Assert.Empty(r.Out);
    }

    [Fact]
    public async Task Unknown_purpose_exits_2_naming_the_accepted_values()
    {
        var r = await _cli.RunAsync("token", "9990000018", "--purpose", "curiosity", "--session", "x");

        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("subject-access", r.Error);
    }

    [Fact]
    public async Task Unreachable_platform_exits_6_with_the_address_and_a_hint()
    {
        var r = await _cli.RunAsync("token", "9990000018", "--session", "x", "--address", "http://127.0.0.1:1", "--timeout", "5");

        Assert.Equal(ExitCodes.Unavailable, r.ExitCode);
        Assert.Contains("UNAVAILABLE", r.Error);
        Assert.Contains("http://127.0.0.1:1", r.Error);
        Assert.Contains("lcr health", r.Error);
    }

    [Fact]
    public async Task Health_of_an_unreachable_platform_exits_6_listing_every_service()
    {
        var r = await _cli.RunAsync("health", "--address", "http://127.0.0.1:1", "--service-address", "audit=http://127.0.0.1:2", "--json", "--timeout", "3");

        Assert.Equal(ExitCodes.Unavailable, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.False(doc.RootElement.GetProperty("allServing").GetBoolean());
        Assert.Equal(6, doc.RootElement.GetProperty("services").GetArrayLength());
    }

    [Fact]
    public async Task Health_of_one_unreachable_address_lists_that_address_only()
    {
        var r = await _cli.RunAsync("health", "--address", "http://127.0.0.1:1", "--json", "--timeout", "3");

        Assert.Equal(ExitCodes.Unavailable, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Out);
        var only = Assert.Single(doc.RootElement.GetProperty("services").EnumerateArray());
        Assert.Equal("http://127.0.0.1:1", only.GetProperty("address").GetString());
    }

    [Fact]
    public void Bad_request_lists_each_field_violation_in_text_and_json()
    {
        var e = Rich(Code.InvalidArgument, "The request has invalid fields.",
            new BadRequest { FieldViolations = { new BadRequest.Types.FieldViolation { Field = "nhs_number", Description = "must be 10 digits" } } },
            new ErrorInfo { Reason = "INVALID_NHS_NUMBER", Domain = "lcr.nhs.uk" });

        var f = Failure.From(e, new FailureContext());

        Assert.Equal(ExitCodes.Usage, f.ExitCode);
        Assert.Contains("nhs_number: must be 10 digits", f.ToText());
        Assert.Contains("INVALID_NHS_NUMBER", f.ToText());
        using var doc = JsonDocument.Parse(f.ToJson());
        var error = doc.RootElement.GetProperty("error");
        Assert.Equal(2, error.GetProperty("exitCode").GetInt32());
        Assert.Equal("nhs_number", error.GetProperty("fieldViolations")[0].GetProperty("field").GetString());
        Assert.Equal("INVALID_NHS_NUMBER", error.GetProperty("reason").GetString());
    }

    [Fact]
    public void Expired_access_token_says_to_get_a_new_one_for_that_patient()
    {
        var e = Rich(Code.Unauthenticated, "The token has expired.", new ErrorInfo { Reason = TokenRefusal.Expired });

        var f = Failure.From(e, new FailureContext(CredentialKind.Access, NhsNumber: "9990000018", TokenFromFlag: true));

        Assert.Equal(ExitCodes.Unauthenticated, f.ExitCode);
        Assert.Contains("your access token has expired", f.Hint);
        Assert.Contains("lcr token 9990000018", f.Hint);
    }

    [Fact]
    public void Expired_session_says_to_sign_in_again_as_that_user()
    {
        var e = Rich(Code.Unauthenticated, "The token has expired.", new ErrorInfo { Reason = TokenRefusal.Expired });

        var f = Failure.From(e, new FailureContext(CredentialKind.Session, User: "gp.b86001"));

        Assert.Contains("lcr signin --user gp.b86001", f.Hint);
    }

    [Fact]
    public void No_care_relationship_offers_break_glass()
    {
        var e = Rich(Code.PermissionDenied, "No care relationship.", new ErrorInfo { Reason = "NO_CARE_RELATIONSHIP" });

        var f = Failure.From(e, new FailureContext(CredentialKind.Session, NhsNumber: "9990000018"));

        Assert.Equal(ExitCodes.PermissionDenied, f.ExitCode);
        Assert.Contains("--emergency-reason", f.Hint);
    }

    [Theory]
    [InlineData("VIEWER_BLOCKED", "asked that you do not see")]
    [InlineData("ORGANISATION_BLOCKED", "your organisation does not see")]
    [InlineData("ROLE_NOT_PERMITTED", "category it may not see")]
    [InlineData("ORGANISATION_NOT_LINKED", "platform's own IG team")]
    public void Refusals_the_gateway_sends_are_explained(string reason, string hint)
    {
        var e = Rich(Code.PermissionDenied, "Refused.", new ErrorInfo { Reason = reason, Domain = "lcr.leeds.nhs.uk" });

        var f = Failure.From(e, new FailureContext(CredentialKind.Access, NhsNumber: "9990000018"));

        Assert.Equal(ExitCodes.PermissionDenied, f.ExitCode);
        Assert.Equal(reason, f.Reason);
        Assert.Contains(hint, f.Hint);
    }

    [Fact]
    public void A_throttled_sign_in_says_how_long_to_wait_and_what_else_to_do()
    {
        var e = Rich(Code.ResourceExhausted, "Too many failed sign-ins.", new ErrorInfo { Reason = "SIGN_IN_THROTTLED" },
            new RetryInfo { RetryDelay = Duration.FromTimeSpan(TimeSpan.FromSeconds(120)) });

        var f = Failure.From(e, new FailureContext());

        Assert.Equal(ExitCodes.Unavailable, f.ExitCode);
        Assert.Equal("SIGN_IN_THROTTLED", f.Reason);
        Assert.Contains("try again after 120s", f.Hint);
        Assert.Contains("reset the password", f.Hint);
    }

    [Fact]
    public void Rate_limit_reports_when_to_retry()
    {
        var e = Rich(Code.ResourceExhausted, "Slow down.", new RetryInfo { RetryDelay = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(1500)) });

        var f = Failure.From(e, new FailureContext());

        Assert.Equal(ExitCodes.Unavailable, f.ExitCode);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), f.RetryAfter);
        Assert.Contains("retry after 2s", f.Hint);
        using var doc = JsonDocument.Parse(f.ToJson());
        Assert.Equal(1.5, doc.RootElement.GetProperty("error").GetProperty("retryAfterSeconds").GetDouble());
    }
}
