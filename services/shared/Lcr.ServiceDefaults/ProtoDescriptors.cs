using System.Reflection;
using Google.Protobuf.Reflection;

namespace Lcr.ServiceDefaults;

/// <summary>
/// Builds every generated protobuf file descriptor once, one at a time, before a process does
/// concurrent work. Google.Protobuf (C#) caches the extensions of depended-on files in a static,
/// non-thread-safe dictionary while a descriptor is first built
/// (<c>FileDescriptor.GetAllDependedExtensions</c>, protocolbuffers/protobuf#29696, open): two
/// first uses of different proto files at the same moment can corrupt it, and the generated
/// <c>*Reflection</c> class's type initializer then fails for the life of the process (every later
/// call with that message type throws). Seen here as a bulk loader's parallel workers first
/// formatting demographics messages together. Called at service start
/// (<see cref="ServiceDefaultsExtensions.AddServiceDefaults"/>) and before parallel bulk work.
/// </summary>
public static class ProtoDescriptors
{
    private static readonly Lock Gate = new();
    private static IReadOnlyList<FileDescriptor>? _built;

    /// <summary>
    /// The platform's contracts (Lcr.Contracts) and the protobuf libraries the platform uses beside
    /// them (google.rpc status details, gRPC health): every file descriptor, built in order. Idempotent.
    /// </summary>
    public static IReadOnlyList<FileDescriptor> BuildAll()
    {
        lock (Gate)
        {
            return _built ??= Build(
                typeof(Lcr.Common.V1.PurposeOfUse).Assembly,
                typeof(Google.Rpc.Status).Assembly,
                typeof(Grpc.Health.V1.HealthCheckRequest).Assembly);
        }
    }

    private static List<FileDescriptor> Build(params Assembly[] assemblies) =>
        assemblies.Distinct()
            .SelectMany(a => a.GetTypes())
            .Where(t => t is { IsClass: true, IsAbstract: true, IsSealed: true } && t.Name.EndsWith("Reflection", StringComparison.Ordinal))
            .Select(t => t.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static))
            .Where(p => p?.PropertyType == typeof(FileDescriptor))
            .OrderBy(p => p!.DeclaringType!.FullName, StringComparer.Ordinal)
            .Select(p => (FileDescriptor)p!.GetValue(null)!)
            .ToList();
}
