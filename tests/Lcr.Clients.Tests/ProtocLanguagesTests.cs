using System.Text.RegularExpressions;
using Google.Protobuf.Reflection;

namespace Lcr.Clients.Tests;

/// <summary>
/// Plain protoc (the one in the Grpc.Tools package, with its bundled well-known types) over every
/// proto of protos/lcr, as docs/clients.md tells a developer in another language to run it: the
/// file options name idiomatic packages, Java gets one class per message under
/// uk/nhs/leeds/lcr/&lt;area&gt;/v1/, Python gets lcr/&lt;area&gt;/v1/&lt;file&gt;_pb2.py modules that
/// import each other by those same module paths. Takes about a second per run.
/// </summary>
public sealed partial class ProtocLanguagesTests : IDisposable
{
    private readonly string _output = Path.Combine(Path.GetTempPath(), "lcr-protoc-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_output))
        {
            Directory.Delete(_output, recursive: true);
        }
    }

    [Theory]
    [InlineData("clinical", "ClinicalProto")]
    [InlineData("subject_access", "SubjectAccessProto")]
    [InlineData("access", "AccessProto")]
    public void Outer_class_name_is_the_file_name_in_pascal_case_with_proto(string file, string expected) =>
        Assert.Equal(expected, OuterClassName(file));

    [Fact]
    public void Grpc_tools_version_is_read_from_central_package_management()
    {
        const string props = """
            <Project><ItemGroup>
              <PackageVersion Include="Grpc.Net.Client" Version="1.0.0" />
              <PackageVersion Include="Grpc.Tools" Version="2.85.0" />
            </ItemGroup></Project>
            """;
        Assert.Equal("2.85.0", BundledProtoc.GrpcToolsVersion(props));
    }

    [Fact]
    public async Task Every_proto_names_its_java_go_and_csharp_packages_consistently()
    {
        var files = await CompileAsync("--descriptor_set_out=" + Path.Combine(_output, "set.pb"));

        Assert.Equal(ProtoFilesOnDisk(), files.Select(f => f.Name).Order(StringComparer.Ordinal));
        foreach (var file in files)
        {
            var (area, baseName) = AreaAndBaseName(file.Name);
            var options = file.Options;
            Assert.True(options is not null, file.Name + " has no options");
            Assert.Equal($"lcr.{area}.v1", file.Package);
            Assert.Equal($"uk.nhs.leeds.lcr.{area}.v1", options.JavaPackage);
            Assert.True(options.JavaMultipleFiles, file.Name + ": java_multiple_files");
            Assert.Equal(OuterClassName(baseName), options.JavaOuterClassname);
            Assert.Equal($"leeds.nhs.uk/lcr/gen/go/lcr/{area}/v1;{area}v1", options.GoPackage);
            Assert.Equal($"Lcr.{Pascal(area)}.V1", options.CsharpNamespace);
            // The outer class must not clash with a type of the file (protoc would rename it).
            Assert.DoesNotContain(options.JavaOuterClassname,
                file.MessageType.Select(m => m.Name).Concat(file.EnumType.Select(e => e.Name)).Concat(file.Service.Select(s => s.Name)));
        }
    }

    [Fact]
    public async Task Java_output_is_one_class_per_message_and_enum_in_the_uk_nhs_leeds_lcr_packages()
    {
        var java = Path.Combine(_output, "java");
        Directory.CreateDirectory(java);
        var files = await CompileAsync("--descriptor_set_out=" + Path.Combine(_output, "set.pb"), "--java_out=" + java);

        var expected = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var (area, baseName) = AreaAndBaseName(file.Name);
            var folder = $"uk/nhs/leeds/lcr/{area}/v1/";
            expected.Add(folder + OuterClassName(baseName) + ".java");
            foreach (var message in file.MessageType)
            {
                expected.Add(folder + message.Name + ".java");
                expected.Add(folder + message.Name + "OrBuilder.java");
            }

            foreach (var enumeration in file.EnumType)
            {
                expected.Add(folder + enumeration.Name + ".java");
            }
        }

        var generated = RelativeFiles(java);
        Assert.Equal(expected, generated);
        foreach (var path in generated)
        {
            var package = string.Join('.', path.Split('/')[..^1]);
            var source = await File.ReadAllTextAsync(Path.Combine(java, path));
            Assert.True(source.Contains($"\npackage {package};", StringComparison.Ordinal), path + " does not declare package " + package);
        }
    }

    [Fact]
    public async Task Python_modules_sit_at_their_proto_paths_and_import_their_dependencies_by_the_same_paths()
    {
        var python = Path.Combine(_output, "python");
        Directory.CreateDirectory(python);
        var files = await CompileAsync("--descriptor_set_out=" + Path.Combine(_output, "set.pb"), "--python_out=" + python);

        Assert.Contains(files, f => f.Dependency.Any(d => d.StartsWith("lcr/", StringComparison.Ordinal)));
        Assert.Equal(files.Select(f => ModulePath(f.Name) + ".py").Order(StringComparer.Ordinal), RelativeFiles(python));
        foreach (var file in files)
        {
            var module = ModulePath(file.Name);
            var source = await File.ReadAllTextAsync(Path.Combine(python, module + ".py"));
            Assert.Contains($"_builder.BuildTopDescriptorsAndMessages(DESCRIPTOR, '{module.Replace('/', '.')}', _globals)", source, StringComparison.Ordinal);
            foreach (var dependency in file.Dependency)
            {
                var dependencyModule = ModulePath(dependency);
                var slash = dependencyModule.LastIndexOf('/');
                var import = $"\nfrom {dependencyModule[..slash].Replace('/', '.')} import {dependencyModule[(slash + 1)..]} as ";
                Assert.True(source.Contains(import, StringComparison.Ordinal), $"{module}.py lacks `{import.Trim()}`");
            }
        }
    }

    [Fact]
    public async Task The_plain_protoc_lines_of_docs_clients_md_run_as_printed()
    {
        var doc = await File.ReadAllTextAsync(Repository.PathOf("docs", "clients.md"));
        var block = DocumentedShellBlocks().Matches(doc).Select(m => m.Groups["body"].Value)
            .SingleOrDefault(b => b.Contains("protoc -I protos -I /usr/include", StringComparison.Ordinal));
        Assert.True(block is not null, "docs/clients.md prints no plain protoc block with the well-known types' include folder");
        Assert.Contains("--java_out=", block, StringComparison.Ordinal);
        Assert.Contains("--python_out=", block, StringComparison.Ordinal);

        // Run in an empty folder holding only protos/ (so gen/ lands there, not in the repository).
        // Debian's protobuf-compiler has the well-known types under /usr/include; here the same
        // files come with Grpc.Tools' protoc. Everything else runs exactly as printed.
        var work = Path.Combine(_output, "doc");
        Directory.CreateDirectory(work);
        Directory.CreateSymbolicLink(Path.Combine(work, "protos"), Repository.PathOf("protos"));
        var protoc = BundledProtoc.Find();
        var script = "set -euo pipefail\n" + block
            .Replace("protoc -I", $"'{protoc.Executable}' -I", StringComparison.Ordinal)
            .Replace("-I /usr/include", $"-I '{protoc.WellKnownTypesInclude}'", StringComparison.Ordinal);
        var result = await ChildProcess.RunAsync("bash", ["-c", script], work, TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.True(File.Exists(Path.Combine(work, "gen", "python", "lcr", "clinical", "v1", "clinical_pb2.py")), "no Python module");
        Assert.True(File.Exists(Path.Combine(work, "gen", "java", "uk", "nhs", "leeds", "lcr", "clinical", "v1", "ClinicalProto.java")), "no Java classes");
    }

    private async Task<IReadOnlyList<FileDescriptorProto>> CompileAsync(params string[] outputs)
    {
        Directory.CreateDirectory(_output);
        var protoc = BundledProtoc.Find();
        var result = await ChildProcess.RunAsync(protoc.Executable,
            ["-I", "protos", "-I", protoc.WellKnownTypesInclude, .. outputs, .. ProtoFilesOnDisk()],
            Repository.Root, TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0, result.Describe());
        var set = FileDescriptorSet.Parser.ParseFrom(await File.ReadAllBytesAsync(Path.Combine(_output, "set.pb")));
        return set.File;
    }

    /// <summary>Every proto of this repository's own API (not the vendored google/api), relative to protos/.</summary>
    private static List<string> ProtoFilesOnDisk()
    {
        var root = Repository.PathOf("protos");
        var files = Directory.GetFiles(Path.Combine(root, "lcr"), "*.proto", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(files.Count >= 9, "protos/lcr holds fewer protos than expected");
        return files;
    }

    private static SortedSet<string> RelativeFiles(string folder) =>
        new(Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/')),
            StringComparer.Ordinal);

    private static (string Area, string BaseName) AreaAndBaseName(string protoPath)
    {
        var match = ProtoPath().Match(protoPath);
        Assert.True(match.Success, protoPath + " is not lcr/<area>/v1/<file>.proto");
        return (match.Groups["area"].Value, match.Groups["file"].Value);
    }

    private static string ModulePath(string protoPath) => protoPath[..^".proto".Length] + "_pb2";

    private static string OuterClassName(string baseName) => Pascal(baseName) + "Proto";

    private static string Pascal(string snake) =>
        string.Concat(snake.Split('_', StringSplitOptions.RemoveEmptyEntries).Select(p => char.ToUpperInvariant(p[0]) + p[1..]));

    [GeneratedRegex(@"^lcr/(?<area>[a-z]+)/v1/(?<file>[a-z_]+)\.proto$")]
    private static partial Regex ProtoPath();

    [GeneratedRegex(@"^```sh\n(?<body>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex DocumentedShellBlocks();
}
