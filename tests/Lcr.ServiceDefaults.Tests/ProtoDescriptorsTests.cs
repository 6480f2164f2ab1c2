using Lcr.ServiceDefaults;

namespace Lcr.ServiceDefaults.Tests;

/// <summary>
/// Every generated descriptor is built by <see cref="ProtoDescriptors.BuildAll"/> (protocolbuffers/protobuf#29696:
/// first builds must not run concurrently), so a proto file added later cannot be missed.
/// </summary>
public class ProtoDescriptorsTests
{
    [Fact]
    public void Every_platform_proto_file_and_the_libraries_beside_them_are_built_once()
    {
        var built = ProtoDescriptors.BuildAll();
        var names = built.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);

        foreach (var file in new[]
        {
            "lcr/common/v1/common.proto", "lcr/common/v1/access.proto", "lcr/identity/v1/identity.proto",
            "lcr/consent/v1/consent.proto", "lcr/clinical/v1/clinical.proto", "lcr/demographics/v1/demographics.proto",
            "lcr/audit/v1/audit.proto", "lcr/gateway/v1/gateway.proto", "lcr/gateway/v1/subject_access.proto",
            "google/rpc/status.proto", "google/rpc/error_details.proto",
        })
        {
            Assert.Contains(file, names);
        }

        // Every lcr file the contracts assembly carries, whatever is added later.
        var contracts = typeof(Lcr.Common.V1.PurposeOfUse).Assembly.GetTypes()
            .Count(t => t.Name.EndsWith("Reflection", StringComparison.Ordinal) && t.Namespace?.StartsWith("Lcr.", StringComparison.Ordinal) == true);
        Assert.Equal(contracts, built.Count(f => f.Name.StartsWith("lcr/", StringComparison.Ordinal)));
        Assert.Contains(built, f => f.Package == "grpc.health.v1");
        Assert.Same(built, ProtoDescriptors.BuildAll());
    }
}
