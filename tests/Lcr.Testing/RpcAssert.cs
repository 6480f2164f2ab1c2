using Google.Rpc;
using Grpc.Core;
using Xunit;

namespace Lcr.Testing;

/// <summary>Assertions on gRPC failures: the status code, the ErrorInfo reason, the fields a BadRequest names.</summary>
public static class RpcAssert
{
    /// <summary>Asserts the call fails with <paramref name="code"/> and returns the exception.</summary>
    public static async Task<RpcException> Fails(StatusCode code, Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(code, e.StatusCode);
        return e;
    }

    /// <summary>Asserts the call fails with <paramref name="code"/> and ErrorInfo reason <paramref name="reason"/>.</summary>
    public static async Task<ErrorInfo> Fails(StatusCode code, string reason, Func<Task> call)
    {
        var e = await Fails(code, call);
        var info = e.GetRpcStatus()?.GetDetail<ErrorInfo>();
        Assert.NotNull(info);
        Assert.Equal(reason, info.Reason);
        return info;
    }

    /// <summary>Asserts INVALID_ARGUMENT whose BadRequest names exactly these fields (in any order).</summary>
    public static async Task InvalidFields(Func<Task> call, params string[] fields)
    {
        var e = await Fails(StatusCode.InvalidArgument, call);
        var bad = e.GetRpcStatus()?.GetDetail<BadRequest>();
        Assert.NotNull(bad);
        Assert.Equal(fields.Order(), bad.FieldViolations.Select(f => f.Field).Distinct().Order());
    }
}
