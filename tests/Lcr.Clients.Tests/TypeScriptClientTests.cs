namespace Lcr.Clients.Tests;

/// <summary>The TypeScript client's own unit tests (node:test against a local gRPC server), run by npm test.</summary>
public sealed class TypeScriptClientTests(TypeScriptClient client) : IClassFixture<TypeScriptClient>
{
    [Fact]
    public async Task Generated_client_builds_from_the_protos_and_its_retry_deadline_and_error_detail_tests_pass()
    {
        var result = await client.Npm(["test"], TimeSpan.FromMinutes(2));

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Contains("# fail 0", result.StandardOutput, StringComparison.Ordinal);
        Assert.Matches(@"# pass [1-9]", result.StandardOutput);
        Assert.True(File.Exists(Path.Combine(client.Directory, "gen", "lcr", "gateway", "v1", "gateway_pb.ts")));
        Assert.True(File.Exists(Path.Combine(client.Directory, "gen", "google", "rpc", "error_details_pb.ts")));
    }
}
