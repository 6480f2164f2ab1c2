using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Lcr.ServiceDefaults;

/// <summary>
/// Turns a request body that does not parse into a clean INVALID_ARGUMENT. Grpc.AspNetCore
/// deserialises the request with the method's request marshaller before any interceptor runs
/// (<c>PipeExtensions.ReadSingleMessageAsync</c> / <c>HttpContextStreamReader</c>), and answers
/// any exception it throws there with UNKNOWN "Exception was thrown by handler." (logged at
/// Error); an <see cref="RpcException"/> thrown there is sent as its own status. So every
/// method's request marshaller is wrapped by <see cref="Guard{T}"/> when the service is bound
/// (<see cref="GuardedServiceMethodProvider{TService}"/>).
/// </summary>
public static class RequestParsing
{
    /// <summary>ErrorInfo reason of a body that is not a valid message of the method's request type.</summary>
    public const string Reason = "MALFORMED_REQUEST";

    /// <summary>
    /// <paramref name="inner"/>, with deserialisation failures (invalid wire bytes, a string
    /// that is not UTF-8, groups or messages nested past protobuf's recursion limit, truncated
    /// input) thrown as INVALID_ARGUMENT naming the method. Serialisation is unchanged.
    /// </summary>
    public static Marshaller<T> Guard<T>(Marshaller<T> inner, string methodFullName)
    {
        var deserialize = inner.ContextualDeserializer;
        return new Marshaller<T>(inner.ContextualSerializer, context =>
        {
            try
            {
                return deserialize(context);
            }
            catch (Exception e) when (e is not (RpcException or OperationCanceledException or OutOfMemoryException))
            {
                throw Malformed(methodFullName);
            }
        });
    }

    /// <summary>
    /// Binds every gRPC service of the process with <see cref="GuardedServiceMethodProvider{TService}"/>:
    /// removes Grpc.AspNetCore's built-in binder provider (which would map every method a second
    /// time) and registers the guarded one in its place. Call after <c>AddGrpc</c>; fails at start-up
    /// if the built-in registration is not found exactly once (a framework change to look at).
    /// </summary>
    public static IServiceCollection AddGuardedServiceBinding(this IServiceCollection services)
    {
        var builtIn = services.Where(d => d.ServiceType == typeof(IServiceMethodProvider<>) &&
            d.ImplementationType is { IsGenericTypeDefinition: true, Name: "BinderServiceMethodProvider`1" }).ToList();
        if (builtIn.Count != 1)
        {
            throw new InvalidOperationException(
                "Grpc.AspNetCore's BinderServiceMethodProvider was not registered exactly once by AddGrpc; see docs/reliability.md (bad input).");
        }

        services.Remove(builtIn[0]);
        services.Add(ServiceDescriptor.Singleton(typeof(IServiceMethodProvider<>), typeof(GuardedServiceMethodProvider<>)));
        return services;
    }

    /// <summary>
    /// The status for a body of <paramref name="methodFullName"/> that does not parse. It says
    /// what was wrong in general terms and never quotes the bytes (or protobuf's message about them).
    /// </summary>
    public static RpcException Malformed(string methodFullName)
    {
        var status = new Google.Rpc.Status
        {
            Code = (int)StatusCode.InvalidArgument,
            Message = $"The request body is not a valid request message for {methodFullName} in protobuf binary encoding " +
                "(malformed or truncated bytes, a string that is not UTF-8, or nesting deeper than 100 levels); nothing was done.",
            Details =
            {
                Google.Protobuf.WellKnownTypes.Any.Pack(new Google.Rpc.ErrorInfo
                {
                    Reason = Reason, Domain = ErrorDomain.Name, Metadata = { ["method"] = methodFullName },
                }),
            },
        };
        return status.ToRpcException();
    }
}
