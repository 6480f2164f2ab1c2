using Grpc.Core;
using Lcr.Gateway.Downstream;
using Lcr.ServiceDefaults;
using Polly.CircuitBreaker;

namespace Lcr.Gateway.Tests;

/// <summary>The downstream interceptor's deadline arithmetic and error translation (pure, no host).</summary>
public sealed class DownstreamInterceptorUnitTests
{
    private static readonly DateTime Now = new(2026, 12, 8, 3, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Default = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Reserve = TimeSpan.FromMilliseconds(250);

    [Fact]
    public void A_caller_without_a_deadline_gets_the_default_call_timeout() =>
        Assert.Equal(Now + Default, DownstreamDeadline.For(Now, DateTime.MaxValue, Default, Reserve));

    [Fact]
    public void A_caller_with_time_to_spare_gives_the_reserve_back() =>
        Assert.Equal(Now + TimeSpan.FromMilliseconds(1750), DownstreamDeadline.For(Now, Now + TimeSpan.FromSeconds(2), Default, Reserve));

    [Fact]
    public void A_caller_with_little_time_keeps_four_fifths_of_it() =>
        Assert.Equal(Now + TimeSpan.FromMilliseconds(800), DownstreamDeadline.For(Now, Now + TimeSpan.FromSeconds(1), Default, Reserve));

    [Fact]
    public void A_callers_longer_deadline_is_capped_by_the_default_call_timeout() =>
        Assert.Equal(Now + Default, DownstreamDeadline.For(Now, Now + TimeSpan.FromMinutes(1), Default, Reserve));

    [Fact]
    public void A_deadline_already_past_is_kept_as_it_is()
    {
        var past = Now - TimeSpan.FromSeconds(1);
        Assert.Equal(past, DownstreamDeadline.For(Now, past, Default, Reserve));
    }

    [Fact]
    public void An_open_circuit_is_unavailable_naming_the_service()
    {
        var e = Assert.IsType<DependencyUnavailableException>(
            DownstreamFailures.Translate(ServiceNames.Consent, new BrokenCircuitException("open"), CancellationToken.None));
        Assert.Equal("CONSENT_UNAVAILABLE", e.Reason);
        Assert.Contains("circuit open", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(StatusCode.Internal)]
    [InlineData(StatusCode.Unknown)]
    [InlineData(StatusCode.DataLoss)]
    public void A_fault_inside_the_service_is_internal_without_its_details(StatusCode code)
    {
        var e = Assert.IsType<DependencyFailedException>(
            DownstreamFailures.Translate(ServiceNames.Clinical, new RpcException(new Status(code, "stack trace: secret")), CancellationToken.None));
        Assert.Equal("CLINICAL_FAILED", e.Reason);
        Assert.DoesNotContain("secret", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(StatusCode.Unavailable)]
    [InlineData(StatusCode.DeadlineExceeded)]
    [InlineData(StatusCode.Cancelled)]
    public void Unreachable_or_late_is_unavailable_naming_the_service(StatusCode code)
    {
        var e = Assert.IsType<DependencyUnavailableException>(
            DownstreamFailures.Translate(ServiceNames.Audit, new RpcException(new Status(code, "x")), CancellationToken.None));
        Assert.Equal("AUDIT_UNAVAILABLE", e.Reason);
        Assert.Contains("did not answer in time", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cancellation_the_caller_asked_for_stays_a_cancellation()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.IsType<OperationCanceledException>(
            DownstreamFailures.Translate(ServiceNames.Audit, new RpcException(new Status(StatusCode.Cancelled, "x")), cts.Token));
    }

    [Theory]
    [InlineData(StatusCode.InvalidArgument)]
    [InlineData(StatusCode.NotFound)]
    [InlineData(StatusCode.Aborted)]
    [InlineData(StatusCode.PermissionDenied)]
    public void The_services_refusals_pass_through(StatusCode code) =>
        Assert.Null(DownstreamFailures.Translate(ServiceNames.Consent, new RpcException(new Status(code, "x")), CancellationToken.None));

    [Fact]
    public void A_callers_cancellation_does_not_count_against_the_circuit()
    {
        Assert.False(DownstreamFailures.CountsAgainstCircuit(new RpcException(new Status(StatusCode.Cancelled, "x"))));
        Assert.True(DownstreamFailures.CountsAgainstCircuit(new RpcException(new Status(StatusCode.Unavailable, "x"))));
    }
}
