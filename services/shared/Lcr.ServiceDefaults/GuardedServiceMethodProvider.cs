using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Routing;

namespace Lcr.ServiceDefaults;

/// <summary>
/// Binds a gRPC service's methods as Grpc.AspNetCore's own (internal) <c>BinderServiceMethodProvider</c>
/// does, through the generated <c>BindService(ServiceBinderBase, TServiceBase)</c> found by its
/// <see cref="BindServiceMethodAttribute"/>, but with each method's request marshaller wrapped by
/// <see cref="RequestParsing.Guard{T}"/>, so a body that does not parse is INVALID_ARGUMENT instead
/// of UNKNOWN. <see cref="IServiceMethodProvider{TService}"/> is the framework's documented hook for
/// discovering a service's methods; <see cref="RequestParsing.AddGuardedServiceBinding"/> swaps this provider in for the built-in
/// one, for every service of the process (the platform's own, health and reflection).
/// </summary>
public sealed class GuardedServiceMethodProvider<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.All)] TService>
    : IServiceMethodProvider<TService>
    where TService : class
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        for (Type? type = typeof(TService); type is not null; type = type.BaseType)
        {
            if (type.GetCustomAttribute<BindServiceMethodAttribute>() is { } bind)
            {
                var method = bind.BindType.GetMethod(bind.BindMethodName, BindingFlags.Public | BindingFlags.Static, binder: null,
                    [typeof(ServiceBinderBase), type], modifiers: null)
                    ?? throw new InvalidOperationException($"No {bind.BindMethodName} method binds gRPC service {typeof(TService).Name}.");
                // The attribute is inherited, so the service base is the bind method's second parameter, as the built-in binder takes it.
                method.Invoke(null, [new Binder(context, method.GetParameters()[1].ParameterType), null]);
                return;
            }
        }
    }

    /// <summary>Adds each method the generated code binds, with its request marshaller guarded.</summary>
    private sealed class Binder(ServiceMethodProviderContext<TService> context, Type serviceBase) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler) =>
            context.AddUnaryMethod(Guarded(method), Metadata(method.Name, typeof(TRequest), typeof(ServerCallContext)),
                Invoker<UnaryServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(TRequest), typeof(ServerCallContext)));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddServerStreamingMethod(Guarded(method),
                Metadata(method.Name, typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)),
                Invoker<ServerStreamingServerMethod<TService, TRequest, TResponse>>(method.Name,
                    typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddClientStreamingMethod(Guarded(method),
                Metadata(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext)),
                Invoker<ClientStreamingServerMethod<TService, TRequest, TResponse>>(method.Name,
                    typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext)));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddDuplexStreamingMethod(Guarded(method),
                Metadata(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)),
                Invoker<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(method.Name,
                    typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)));

        private static Method<TRequest, TResponse> Guarded<TRequest, TResponse>(Method<TRequest, TResponse> method) =>
            new(method.Type, method.ServiceName, method.Name, RequestParsing.Guard(method.RequestMarshaller, method.FullName),
                method.ResponseMarshaller);

        private TDelegate Invoker<TDelegate>(string name, params Type[] parameters)
            where TDelegate : Delegate =>
            (TDelegate)Delegate.CreateDelegate(typeof(TDelegate), Handler(name, parameters));

        /// <summary>The service's attributes, then the method's (higher priority), then POST (as the built-in binder gives).</summary>
        private List<object> Metadata(string name, params Type[] parameters)
        {
            var metadata = new List<object>();
            metadata.AddRange(typeof(TService).GetCustomAttributes(inherit: true));
            metadata.AddRange(Handler(name, parameters).GetCustomAttributes(inherit: true));
            metadata.Add(new HttpMethodMetadata(["POST"], acceptCorsPreflight: true));
            return metadata;
        }

        /// <summary>The implementation's override of the generated virtual method (or the base's, which answers UNIMPLEMENTED).</summary>
        private MethodInfo Handler(string name, Type[] parameters)
        {
            for (Type? type = typeof(TService); type is not null; type = type.BaseType)
            {
                var found = type.GetMethod(name, BindingFlags.Public | BindingFlags.Instance, binder: null, parameters, modifiers: null);
                if (found is null)
                {
                    break;
                }

                if (found.IsVirtual && found.GetBaseDefinition().DeclaringType == serviceBase)
                {
                    return found;
                }
            }

            throw new InvalidOperationException($"Could not find '{name}' on {typeof(TService).Name}.");
        }
    }
}
