using System.CommandLine;
using System.Text.Json;
using Spectre.Console.Testing;

namespace Lcr.Cli.Tests;

/// <summary>Flags over environment variables over the profile file over built-in defaults.</summary>
public sealed class SettingsPrecedenceTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    private void WriteProfiles(string current, params (string Name, Profile Profile)[] profiles)
    {
        var file = new ProfileFile { CurrentProfile = current };
        foreach (var (name, profile) in profiles)
        {
            file.Profiles[name] = profile;
        }

        file.Save(_cli.ConfigFile);
    }

    private Settings Resolve(params string[] args)
    {
        var env = new CliEnvironment
        {
            Variables = _cli.Variables,
            HomeDirectory = _cli.Home,
            Out = TextWriter.Null,
            Error = TextWriter.Null,
            Console = new TestConsole(),
        };
        var root = Program.Build(env);
        return Settings.Resolve(root.Parse(args), env);
    }

    [Fact]
    public void Built_in_defaults_apply_when_nothing_is_configured()
    {
        var s = Resolve("health");

        Assert.Equal("default", s.ProfileName.Value);
        Assert.Equal(Settings.DefaultAddress, s.Address.Value);
        Assert.Equal("built-in default", s.Address.Source);
        Assert.Equal(TimeSpan.FromSeconds(15), s.CallTimeout);
        Assert.False(s.Json);
    }

    [Fact]
    public void Profile_value_is_used_when_no_flag_or_variable_is_set()
    {
        WriteProfiles("demo", ("demo", new Profile { Address = "http://10.0.0.5:7100", TimeoutSeconds = 40 }));

        var s = Resolve("health");

        Assert.Equal("http://10.0.0.5:7100", s.Address.Value);
        Assert.Equal("profile 'demo'", s.Address.Source);
        Assert.Equal(TimeSpan.FromSeconds(40), s.CallTimeout);
    }

    [Fact]
    public void Environment_variable_overrides_the_profile()
    {
        WriteProfiles("demo", ("demo", new Profile { Address = "http://10.0.0.5:7100", TimeoutSeconds = 40 }));
        _cli.Variables["LCR_ADDRESS"] = "http://127.0.0.1:9100";
        _cli.Variables["LCR_TIMEOUT"] = "5";

        var s = Resolve("health");

        Assert.Equal("http://127.0.0.1:9100", s.Address.Value);
        Assert.Equal("env LCR_ADDRESS", s.Address.Source);
        Assert.Equal(TimeSpan.FromSeconds(5), s.CallTimeout);
    }

    [Fact]
    public void Flag_overrides_the_environment_and_the_profile_and_may_follow_the_subcommand()
    {
        WriteProfiles("demo", ("demo", new Profile { Address = "http://10.0.0.5:7100" }));
        _cli.Variables["LCR_ADDRESS"] = "http://127.0.0.1:9100";

        var s = Resolve("record", "9990000018", "--address", "http://127.0.0.1:9200", "--timeout", "7", "--json");

        Assert.Equal("http://127.0.0.1:9200", s.Address.Value);
        Assert.Equal("flag --address", s.Address.Source);
        Assert.Equal(TimeSpan.FromSeconds(7), s.CallTimeout);
        Assert.True(s.Json);
    }

    [Fact]
    public void Profile_is_chosen_by_flag_over_LCR_PROFILE_over_the_files_current_profile()
    {
        WriteProfiles("a", ("a", new Profile { Address = "http://a:1" }), ("b", new Profile { Address = "http://b:1" }), ("c", new Profile { Address = "http://c:1" }));

        Assert.Equal("http://a:1", Resolve("health").Address.Value);
        _cli.Variables["LCR_PROFILE"] = "b";
        Assert.Equal("http://b:1", Resolve("health").Address.Value);
        Assert.Equal("http://c:1", Resolve("health", "--profile", "c").Address.Value);
    }

    [Fact]
    public void LCR_CONFIG_names_the_profile_file()
    {
        var elsewhere = Path.Combine(_cli.Home, "elsewhere", "lcr.json");
        new ProfileFile { Profiles = { ["default"] = new Profile { Address = "http://elsewhere:7100" } } }.Save(elsewhere);
        _cli.Variables["LCR_CONFIG"] = elsewhere;

        var s = Resolve("health");

        Assert.Equal(elsewhere, s.ConfigPath);
        Assert.Equal("http://elsewhere:7100", s.Address.Value);
    }

    [Fact]
    public void A_command_option_is_resolved_flag_over_env_over_profile()
    {
        WriteProfiles("default", ("default", new Profile { Purpose = "information-governance" }));
        var s = Resolve("token", "9990000018");

        Assert.Equal("information-governance", s.Pick(null, "--purpose", EnvironmentNames.Purpose, p => p.Purpose, "direct-care").Value);
        _cli.Variables["LCR_PURPOSE"] = "subject-access";
        Assert.Equal("subject-access", s.Pick(null, "--purpose", EnvironmentNames.Purpose, p => p.Purpose, "direct-care").Value);
        Assert.Equal("direct-care", s.Pick("direct-care", "--purpose", EnvironmentNames.Purpose, p => p.Purpose).Value);
    }

    [Fact]
    public async Task Bad_timeout_in_the_environment_is_a_usage_error_naming_where_it_came_from()
    {
        _cli.Variables["LCR_TIMEOUT"] = "soon";

        var r = await _cli.RunAsync("health");

        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("env LCR_TIMEOUT", r.Error);
    }

    [Fact]
    public async Task Profile_set_writes_the_file_and_profile_show_reports_the_value_and_its_source()
    {
        Assert.Equal(0, (await _cli.RunAsync("profile", "set", "address", "http://127.0.0.1:9300")).ExitCode);
        Assert.Equal(0, (await _cli.RunAsync("profile", "set", "user", "ig.b86001")).ExitCode);

        var show = await _cli.RunAsync("profile", "show", "--json");

        Assert.Equal(0, show.ExitCode);
        using var doc = JsonDocument.Parse(show.Out);
        Assert.Equal("http://127.0.0.1:9300", doc.RootElement.GetProperty("address").GetProperty("value").GetString());
        Assert.Equal("profile 'default'", doc.RootElement.GetProperty("address").GetProperty("source").GetString());
        Assert.Equal("ig.b86001", doc.RootElement.GetProperty("user").GetProperty("value").GetString());
        Assert.Contains("ig.b86001", await File.ReadAllTextAsync(_cli.ConfigFile));
    }

    [Fact]
    public async Task Profile_set_refuses_an_unknown_key_or_a_bad_purpose_with_exit_code_2()
    {
        Assert.Equal(ExitCodes.Usage, (await _cli.RunAsync("profile", "set", "colour", "blue")).ExitCode);
        var purpose = await _cli.RunAsync("profile", "set", "purpose", "curiosity");
        Assert.Equal(ExitCodes.Usage, purpose.ExitCode);
        Assert.Contains("direct-care", purpose.Error);
        Assert.False(File.Exists(_cli.ConfigFile));
    }

    [Fact]
    public async Task Profile_use_switches_the_current_profile()
    {
        await _cli.RunAsync("--profile", "staging", "profile", "set", "address", "http://staging:7100");
        await _cli.RunAsync("profile", "use", "staging");

        var show = await _cli.RunAsync("profile", "show", "--json");

        using var doc = JsonDocument.Parse(show.Out);
        Assert.Equal("staging", doc.RootElement.GetProperty("profile").GetProperty("value").GetString());
        Assert.Equal("http://staging:7100", doc.RootElement.GetProperty("address").GetProperty("value").GetString());
    }

    [Fact]
    public void Health_targets_come_from_flag_env_profile_or_the_make_run_ports()
    {
        WriteProfiles("default", ("default", new Profile { Address = "http://127.0.0.1:7100", Services = new() { ["consent"] = "http://consent:1" } }));
        _cli.Variables["LCR_AUDIT_ADDRESS"] = "http://audit:2";
        var s = Resolve("health");

        var targets = HealthCommand.Targets(s, ["identity=http://identity:3"]).ToDictionary(t => t.Name, t => t.Address);

        Assert.Equal("http://127.0.0.1:7100", targets["gateway"]);
        Assert.Equal("http://identity:3", targets["identity"]);
        Assert.Equal("http://consent:1", targets["consent"]);
        Assert.Equal("http://audit:2", targets["audit"]);
        Assert.Equal("http://127.0.0.1:7101", targets["demographics"]);
        Assert.Equal("http://127.0.0.1:7104", targets["clinical"]);
    }
}
