using System.Runtime.InteropServices;
using System.Xml.Linq;

namespace Lcr.Clients.Tests;

/// <summary>
/// The protoc compiler and the protobuf well-known types (google/protobuf/*.proto) shipped in the
/// Grpc.Tools NuGet package the solution already restores: nothing installed by hand. The version
/// is the one Directory.Packages.props pins; the packages folder is NUGET_PACKAGES or ~/.nuget/packages.
/// </summary>
public sealed record BundledProtoc(string Executable, string WellKnownTypesInclude)
{
    public static BundledProtoc Find()
    {
        var version = GrpcToolsVersion(File.ReadAllText(Repository.PathOf("Directory.Packages.props")));
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var root = Path.Combine(packages, "grpc.tools", version.ToLowerInvariant());
        var executable = Path.Combine(root, "tools", PlatformFolder(), OperatingSystem.IsWindows() ? "protoc.exe" : "protoc");
        var include = Path.Combine(root, "build", "native", "include");
        if (!File.Exists(executable) || !File.Exists(Path.Combine(include, "google", "protobuf", "timestamp.proto")))
        {
            throw new InvalidOperationException(
                $"Grpc.Tools {version} is not restored under {packages} (expected {executable}); run dotnet restore first.");
        }

        return new BundledProtoc(executable, include);
    }

    /// <summary>The Grpc.Tools version pinned by central package management.</summary>
    public static string GrpcToolsVersion(string directoryPackagesProps)
    {
        var version = XDocument.Parse(directoryPackagesProps)
            .Descendants("PackageVersion")
            .Where(e => string.Equals((string?)e.Attribute("Include"), "Grpc.Tools", StringComparison.OrdinalIgnoreCase))
            .Select(e => (string?)e.Attribute("Version"))
            .SingleOrDefault();
        return string.IsNullOrWhiteSpace(version)
            ? throw new InvalidOperationException("Directory.Packages.props pins no Grpc.Tools version.")
            : version;
    }

    /// <summary>Grpc.Tools' folder name for this machine (as its MSBuild targets choose it).</summary>
    public static string PlatformFolder()
    {
        var arch = RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => "x64",
            Architecture.X86 => "x86",
            Architecture.Arm64 => "arm64",
            var other => throw new PlatformNotSupportedException($"Grpc.Tools ships no protoc for {other}."),
        };
        if (OperatingSystem.IsMacOS())
        {
            return "macosx_universal";
        }

        return (OperatingSystem.IsWindows() ? "windows_" : "linux_") + arch;
    }
}
