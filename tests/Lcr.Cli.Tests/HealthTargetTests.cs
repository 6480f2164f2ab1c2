using Spectre.Console.Testing;

namespace Lcr.Cli.Tests;

/// <summary>Which addresses `lcr health` asks: one given address alone, the make run layout only when it applies.</summary>
public sealed class HealthTargetTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    private List<HealthCommand.Target> Targets(params string[] args)
    {
        var env = new CliEnvironment
        {
            Variables = _cli.Variables,
            HomeDirectory = _cli.Home,
            Out = TextWriter.Null,
            Error = TextWriter.Null,
            Console = new TestConsole(),
        };
        var parse = Program.Build(env).Parse(["health", .. args]);
        return HealthCommand.Targets(Settings.Resolve(parse, env), []);
    }

    [Fact]
    public void An_address_given_alone_is_the_only_one_checked()
    {
        var targets = Targets("--address", "http://127.0.0.1:9443");

        var only = Assert.Single(targets);
        Assert.Equal("http://127.0.0.1:9443", only.Address);
    }

    [Fact]
    public void An_address_from_the_environment_alone_is_the_only_one_checked()
    {
        _cli.Variables["LCR_ADDRESS"] = "https://lcr.example.nhs.uk";

        Assert.Single(Targets());
    }

    [Fact]
    public void Without_an_address_the_make_run_layout_is_checked()
    {
        var targets = Targets();

        Assert.Equal(HealthCommand.Services.Select(s => $"http://127.0.0.1:{s.Port}"), targets.Select(t => t.Address));
    }

    [Fact]
    public void Naming_an_internal_service_checks_every_service()
    {
        _cli.Variables["LCR_IDENTITY_ADDRESS"] = "http://10.1.1.1:80";

        var targets = Targets("--address", "http://10.1.1.2:80");

        Assert.Equal(6, targets.Count);
        Assert.Equal("http://10.1.1.1:80", targets.Single(t => t.Name == "identity").Address);
        Assert.Equal("env LCR_IDENTITY_ADDRESS", targets.Single(t => t.Name == "identity").Source);
    }
}
