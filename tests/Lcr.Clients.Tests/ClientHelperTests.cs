using Grpc.Core;
using Lcr.Client;
using Lcr.Common.V1;
using Lcr.Gateway.V1;
using Lcr.Identity.V1;
using Microsoft.Extensions.Time.Testing;

namespace Lcr.Clients.Tests;

/// <summary>The C# helper's own behaviour, against an in-memory fake gateway that counts calls.</summary>
public sealed class ClientHelperTests : IAsyncLifetime
{
    private FakeGateway _fake = null!;

    public async Task InitializeAsync() => _fake = await FakeGateway.StartAsync();

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    [Fact]
    public async Task Idempotent_read_is_retried_on_UNAVAILABLE_until_it_succeeds()
    {
        using var lcr = _fake.Client(maxAttempts: 3);
        var session = await lcr.SignInAsync("gp.b86001", "pw");
        _fake.FailuresBeforeSuccess = 2;

        var reply = await lcr.Gateway(new FixedToken(new PlatformToken("t", DateTimeOffset.MaxValue, ""))).GetPatientRecordAsync(new GetPatientRecordRequest());

        Assert.Equal(7, reply.RecordVersion);
        Assert.Equal(3, _fake.CallsOf("GetPatientRecord"));
        Assert.NotNull(session);
    }

    [Fact]
    public async Task Read_gives_UNAVAILABLE_after_the_configured_attempts()
    {
        using var lcr = _fake.Client(maxAttempts: 2);
        _fake.FailuresBeforeSuccess = 10;

        var e = await Assert.ThrowsAsync<RpcException>(() =>
            lcr.Gateway(Token()).GetPatientRecordAsync(new GetPatientRecordRequest()).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Equal(2, _fake.CallsOf("GetPatientRecord"));
    }

    [Fact]
    public async Task Sign_in_is_never_retried_because_failures_count_towards_lockout()
    {
        using var lcr = _fake.Client(maxAttempts: 5);
        _fake.FailuresBeforeSuccess = 1;

        var e = await Assert.ThrowsAsync<RpcException>(() => lcr.SignInAsync("gp.b86001", "pw"));

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Equal(1, _fake.CallsOf("SignIn"));
    }

    [Fact]
    public async Task Emergency_access_and_writes_are_never_retried()
    {
        using var lcr = _fake.Client(maxAttempts: 5);
        _fake.FailuresBeforeSuccess = 1;
        var identity = lcr.Create(i => new IdentityService.IdentityServiceClient(i), Token());

        await Assert.ThrowsAsync<RpcException>(() => identity.IssueEmergencyAccessTokenAsync(new IssueEmergencyAccessTokenRequest()).ResponseAsync);
        await Assert.ThrowsAsync<RpcException>(() => identity.UpdateProfessionalAsync(new UpdateProfessionalRequest()).ResponseAsync);

        Assert.Equal(1, _fake.CallsOf("IssueEmergencyAccessToken"));
        Assert.Equal(1, _fake.CallsOf("UpdateProfessional"));
    }

    [Fact]
    public async Task Read_is_not_retried_on_any_status_but_UNAVAILABLE()
    {
        using var lcr = _fake.Client(maxAttempts: 5);

        await Assert.ThrowsAsync<RpcException>(() => lcr.Gateway(Token()).GetAccessLogAsync(new GetAccessLogRequest()).ResponseAsync);

        Assert.Equal(1, _fake.CallsOf("GetAccessLog"));
    }

    [Fact]
    public void Retry_policy_covers_the_reads_and_token_calls_and_no_write()
    {
        var names = LcrRetryPolicy.IdempotentReads.Select(m => $"{m.Service}/{m.Method}").ToHashSet();

        foreach (var method in GatewayReflection.Descriptor.Services.Single().Methods)
        {
            Assert.Contains($"lcr.gateway.v1.GatewayService/{method.Name}", names);
        }

        Assert.Contains("lcr.identity.v1.IdentityService/IssueAccessToken", names);
        Assert.Contains("lcr.identity.v1.IdentityService/IssueSystemToken", names);
        Assert.Contains("lcr.identity.v1.IdentityService/ExchangeFederatedToken", names);
        Assert.Contains("lcr.demographics.v1.DemographicsService/SearchPatients", names);
        Assert.DoesNotContain("lcr.identity.v1.IdentityService/SignIn", names);
        Assert.DoesNotContain("lcr.identity.v1.IdentityService/IssueEmergencyAccessToken", names);
        var writeVerbs = new[] { "Create", "Update", "Upsert", "Record", "Retract", "Withdraw", "Add", "Remove", "End", "Rotate", "Run", "SignIn" };
        Assert.DoesNotContain(names, n => writeVerbs.Any(v => n.Split('/')[1].StartsWith(v, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Every_call_gets_the_default_deadline_unless_it_sets_its_own()
    {
        using var lcr = _fake.Client(defaultDeadline: TimeSpan.FromSeconds(7));
        var gateway = lcr.Gateway(Token());
        var before = DateTime.UtcNow;

        await gateway.GetPatientRecordAsync(new GetPatientRecordRequest());
        var defaulted = _fake.Last["GetPatientRecord"].Deadline;
        await gateway.GetPatientRecordAsync(new GetPatientRecordRequest(), deadline: before.AddMinutes(3));
        var own = _fake.Last["GetPatientRecord"].Deadline;
        await lcr.SignInAsync("u", "p");

        // The server rebuilds a deadline from the relative grpc-timeout (rounded up) on receipt, so its
        // copy may lie after the client's by the time the call spent in flight: bound it by "now", not "before".
        var after = DateTime.UtcNow;
        Assert.InRange(defaulted, before.AddSeconds(6), after.AddSeconds(7).AddSeconds(1));
        Assert.InRange(own, before.AddMinutes(3).AddSeconds(-1), after.AddMinutes(3).AddSeconds(1));
        Assert.NotEqual(DateTime.MaxValue, _fake.Last["SignIn"].Deadline);
    }

    [Fact]
    public async Task Access_token_is_issued_once_reused_and_renewed_shortly_before_expiry()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _fake.Clock = clock;
        using var lcr = _fake.Client(clock);
        var session = await lcr.SignInAsync("gp.b86001", "pw");
        var tokens = session.AccessTokens("9990000018", PurposeOfUse.DirectCare);
        var gateway = lcr.Gateway(tokens);

        await gateway.GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = "9990000018" });
        var first = _fake.Last["GetPatientRecord"].Authorization;
        clock.Advance(TimeSpan.FromMinutes(4)); // 60 s left: more than the 30 s margin
        await gateway.GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = "9990000018" });
        var second = _fake.Last["GetPatientRecord"].Authorization;
        clock.Advance(TimeSpan.FromSeconds(35)); // 25 s left: inside the margin
        await gateway.GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = "9990000018" });
        var third = _fake.Last["GetPatientRecord"].Authorization;

        Assert.Equal("Bearer access-1", first);
        Assert.Equal(first, second);
        Assert.Equal("Bearer access-2", third);
        Assert.Equal(2, _fake.CallsOf("IssueAccessToken"));
        Assert.Equal("Bearer session-1", _fake.Last["IssueAccessToken"].Authorization);
        Assert.Equal(2, tokens.IssuedCount);
    }

    [Fact]
    public async Task Concurrent_calls_share_one_token_request()
    {
        using var lcr = _fake.Client();
        var session = await lcr.SignInAsync("gp.b86001", "pw");
        var gateway = lcr.Gateway(session.AccessTokens("9990000018"));

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => gateway.GetPatientRecordAsync(new GetPatientRecordRequest()).ResponseAsync));

        Assert.Equal(1, _fake.CallsOf("IssueAccessToken"));
        Assert.Equal(8, _fake.CallsOf("GetPatientRecord"));
    }

    [Fact]
    public async Task Invalidated_token_is_replaced_on_the_next_call()
    {
        using var lcr = _fake.Client();
        var session = await lcr.SignInAsync("gp.b86001", "pw");
        var tokens = session.AccessTokens("9990000018");
        var gateway = lcr.Gateway(tokens);

        await gateway.GetPatientRecordAsync(new GetPatientRecordRequest());
        tokens.Invalidate();
        await gateway.GetPatientRecordAsync(new GetPatientRecordRequest());

        Assert.Equal("Bearer access-2", _fake.Last["GetPatientRecord"].Authorization);
    }

    [Fact]
    public async Task System_tokens_are_requested_with_the_client_credentials_and_renewed()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _fake.Clock = clock;
        using var lcr = _fake.Client(clock);
        var tokens = lcr.SystemTokens("b86001-gp-feed", "secret", "record.contribute");

        var first = await tokens.GetTokenAsync();
        clock.Advance(TimeSpan.FromMinutes(14.6));
        var second = await tokens.GetTokenAsync();

        Assert.Equal("system-1", first.Value);
        Assert.Equal("system-2", second.Value);
        Assert.Equal(["record.contribute"], tokens.Scopes);
        Assert.DoesNotContain("system-", first.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_request_details_are_typed_field_violations()
    {
        using var lcr = _fake.Client();

        var e = await Assert.ThrowsAsync<RpcException>(() => lcr.Gateway(Token()).GetRecordEntryAsync(new GetRecordEntryRequest()).ResponseAsync);
        var error = e.ToPlatformError();

        Assert.Equal(StatusCode.InvalidArgument, error.Code);
        Assert.Equal(PlatformError.PlatformDomain, error.Domain);
        var violation = Assert.Single(error.FieldViolations);
        Assert.Equal("entry_id", violation.Field);
        Assert.StartsWith("INVALID_ARGUMENT: Invalid entry_id", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("entry_id: must be a UUID", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rate_limit_gives_the_reason_and_the_retry_delay_and_is_not_retried_automatically()
    {
        using var lcr = _fake.Client(maxAttempts: 5);

        var e = await Assert.ThrowsAsync<RpcException>(() => lcr.Gateway(Token()).ListRecordEntriesAsync(new ListRecordEntriesRequest()).ResponseAsync);
        var error = e.ToPlatformError();

        Assert.True(error.Is("RATE_LIMITED"));
        Assert.Equal(TimeSpan.FromSeconds(1), error.RetryDelay);
        Assert.True(error.IsTransient);
        Assert.Equal(1, _fake.CallsOf("ListRecordEntries"));
    }

    private static FixedToken Token() => new(new PlatformToken("t", DateTimeOffset.MaxValue, ""));
}
