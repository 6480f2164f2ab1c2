using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Lcr.Gateway.Downstream;
using Lcr.ServiceDefaults;
using Status = Google.Rpc.Status;

namespace Lcr.Gateway.Tests;

/// <summary>
/// Which downstream answers count against a service's circuit (pure, no host). A write a
/// service refused because Redis (the patient version store) is unreachable is its answer, not
/// its failure: counted, a Redis outage would open the circuit and take the service's reads away.
/// </summary>
public sealed class DownstreamFailureTests
{
    private static RpcException Answer(StatusCode code, string reason, string domain = ErrorDomain.Name) => new Status
    {
        Code = (int)code,
        Message = "refused",
        Details = { Any.Pack(new ErrorInfo { Reason = reason, Domain = domain }) },
    }.ToRpcException();

    [Theory]
    [InlineData("VERSION_STORE_UNAVAILABLE")]
    [InlineData("WRITE_TOO_SLOW")]
    public void A_write_refused_for_want_of_the_version_store_is_the_services_answer_not_a_failure(string reason) =>
        Assert.False(DownstreamFailures.IsFailure(Answer(StatusCode.Unavailable, reason)));

    [Fact]
    public void Other_unavailability_deadlines_and_foreign_version_store_reasons_are_failures()
    {
        Assert.True(DownstreamFailures.IsFailure(Answer(StatusCode.Unavailable, "DEPENDENCY_UNAVAILABLE")));
        Assert.True(DownstreamFailures.IsFailure(Answer(StatusCode.Unavailable, "VERSION_STORE_UNAVAILABLE", domain: "example.org")));
        Assert.True(DownstreamFailures.IsFailure(new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "no connection"))));
        Assert.True(DownstreamFailures.IsFailure(new RpcException(new Grpc.Core.Status(StatusCode.DeadlineExceeded, "late"))));
        Assert.False(DownstreamFailures.IsFailure(Answer(StatusCode.ResourceExhausted, "SIGN_IN_THROTTLED")));
        Assert.False(DownstreamFailures.IsFailure(new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, "bad"))));
    }
}
