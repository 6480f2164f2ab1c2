using Google.Rpc;
using Grpc.Core;

namespace Lcr.Clinical.Tests;

internal static class RpcAssert
{
    /// <summary>Asserts the call fails with <paramref name="code"/> and returns the exception.</summary>
    public static async Task<RpcException> Fails(StatusCode code, Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(code, e.StatusCode);
        return e;
    }

    /// <summary>Asserts INVALID_ARGUMENT whose BadRequest names exactly these fields (in any order).</summary>
    public static async Task InvalidFields(Func<Task> call, params string[] fields)
    {
        var e = await Fails(StatusCode.InvalidArgument, call);
        var bad = e.GetRpcStatus()?.GetDetail<BadRequest>();
        Assert.NotNull(bad);
        Assert.Equal(fields.Order(), bad.FieldViolations.Select(f => f.Field).Order());
    }
}
