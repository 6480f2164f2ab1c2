using System.Buffers;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Lcr.ServiceDefaults;

/// <summary>
/// Refuses any request whose text fields carry control characters (NUL and the other C0
/// controls except tab, line feed and carriage return) with INVALID_ARGUMENT naming each
/// field, before any handler runs. PostgreSQL cannot store NUL in text, and no clinical or
/// administrative field has a use for the others; catching them here keeps a hostile string
/// from turning into a database error deep in a service.
/// </summary>
public sealed class RequestTextGuardInterceptor : Interceptor
{
    private static readonly SearchValues<char> Controls = SearchValues.Create(
        Enumerable.Range(0, 32).Where(c => c is not ('\t' or '\n' or '\r')).Select(c => (char)c).ToArray());

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(request);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(request);
        return continuation(request, responseStream, context);
    }

    /// <summary>Throws INVALID_ARGUMENT naming every text field of <paramref name="request"/> that holds a control character.</summary>
    public static void Check(object? request)
    {
        if (request is not IMessage message)
        {
            return;
        }

        var violations = new FieldViolations();
        Walk(message, string.Empty, violations, depth: 0);
        violations.ThrowIfAny();
    }

    private static void Walk(IMessage message, string prefix, FieldViolations violations, int depth)
    {
        if (depth > 32)
        {
            return;
        }

        foreach (var field in message.Descriptor.Fields.InDeclarationOrder())
        {
            var path = prefix + field.Name;
            if (field.IsMap)
            {
                continue;
            }

            if (field.IsRepeated)
            {
                if (field.Accessor.GetValue(message) is not System.Collections.IList list)
                {
                    continue;
                }

                for (var i = 0; i < list.Count; i++)
                {
                    Visit(field, list[i], $"{path}[{i}]", violations, depth);
                }
            }
            else if (field.FieldType == FieldType.Message ? field.Accessor.HasValue(message) : true)
            {
                Visit(field, field.Accessor.GetValue(message), path, violations, depth);
            }
        }
    }

    private static void Visit(FieldDescriptor field, object? value, string path, FieldViolations violations, int depth)
    {
        switch (field.FieldType)
        {
            case FieldType.String when value is string s && s.AsSpan().ContainsAny(Controls):
                violations.Add(path, "must not contain control characters");
                break;
            case FieldType.Message when value is IMessage nested:
                Walk(nested, path + ".", violations, depth + 1);
                break;
        }
    }
}
