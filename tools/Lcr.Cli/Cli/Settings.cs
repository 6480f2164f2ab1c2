using System.CommandLine;
using System.Globalization;

namespace Lcr.Cli;

/// <summary>A setting's value and where it came from (shown by `lcr profile show`).</summary>
internal sealed record Resolved(string? Value, string Source)
{
    /// <summary>The source named when no flag, variable or profile gave the value.</summary>
    public const string BuiltInDefault = "built-in default";

    public static Resolved Pick(string? flag, string flagName, CliEnvironment env, string envName, string? profileValue, string profileName, string? fallback = null)
    {
        if (!string.IsNullOrEmpty(flag))
        {
            return new Resolved(flag, "flag " + flagName);
        }

        if (env.Variable(envName) is { } fromEnv)
        {
            return new Resolved(fromEnv, "env " + envName);
        }

        if (!string.IsNullOrEmpty(profileValue))
        {
            return new Resolved(profileValue, $"profile '{profileName}'");
        }

        return new Resolved(fallback, fallback is null ? "not set" : BuiltInDefault);
    }
}

/// <summary>The options every command accepts (anywhere on the line).</summary>
internal static class GlobalOptions
{
    public static readonly Option<string> Profile = new("--profile")
    {
        Description = "The named profile to use (default: $LCR_PROFILE, else the profile file's currentProfile, else 'default').",
        Recursive = true,
    };

    public static readonly Option<string> Address = new("--address")
    {
        Description = "The gateway's gRPC address (default: $LCR_ADDRESS, else the profile's, else http://127.0.0.1:7100).",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Machine-readable output: the proto3 JSON mapping of the reply on stdout; errors as JSON on stderr.",
        Recursive = true,
    };

    public static readonly Option<int?> Timeout = new("--timeout")
    {
        Description = "The deadline of each call in seconds (default: $LCR_TIMEOUT, else the profile's, else 15).",
        Recursive = true,
    };

    public static readonly Option<string> Columns = new("--columns")
    {
        Description = "Tables: only these columns, comma-separated, in the table's order (e.g. --columns case-id,sev); an unknown name lists the table's.",
        Recursive = true,
    };

    public static readonly Option<bool> Plain = new("--plain")
    {
        Description = "Tables: tab-separated lines (a header line of column names, then one line per row, no borders or colour) for scripts.",
        Recursive = true,
    };

    public static void AddTo(Command root)
    {
        root.Options.Add(Columns);
        root.Options.Add(Plain);
        root.Options.Add(Profile);
        root.Options.Add(Address);
        root.Options.Add(Json);
        root.Options.Add(Timeout);
    }
}

/// <summary>
/// The settings of one invocation, resolved flags over environment over profile over built-in
/// defaults (docs/cli.md).
/// </summary>
internal sealed class Settings
{
    public const string DefaultAddress = "http://127.0.0.1:7100";
    public const int DefaultTimeoutSeconds = 15;

    public required CliEnvironment Environment { get; init; }
    public required string ConfigPath { get; init; }
    public required ProfileFile File { get; init; }
    public required Resolved ProfileName { get; init; }
    public required Profile Profile { get; init; }
    public required Resolved Address { get; init; }
    public required Resolved Timeout { get; init; }
    public required bool Json { get; init; }

    /// <summary>How tables are printed (--columns, --plain).</summary>
    public TableFormat Tables { get; init; } = TableFormat.Default;

    public TimeSpan CallTimeout => TimeSpan.FromSeconds(int.Parse(Timeout.Value!, CultureInfo.InvariantCulture));

    /// <summary>A deadline for one call, from now.</summary>
    public DateTime Deadline() => Environment.Clock.GetUtcNow().UtcDateTime + CallTimeout;

    public static Settings Resolve(ParseResult parse, CliEnvironment env)
    {
        var path = ConfigPaths.ConfigFile(env);
        var file = ProfileFile.Load(path);
        var name = Resolved.Pick(parse.GetValue(GlobalOptions.Profile), "--profile", env, EnvironmentNames.Profile,
            file.CurrentProfile, "file", "default");
        var profile = file.Profiles.TryGetValue(name.Value!, out var p) ? p : new Profile();
        var address = Resolved.Pick(parse.GetValue(GlobalOptions.Address), "--address", env, EnvironmentNames.Address,
            profile.Address, name.Value!, DefaultAddress);
        var timeout = Resolved.Pick(parse.GetValue(GlobalOptions.Timeout)?.ToString(CultureInfo.InvariantCulture), "--timeout", env,
            EnvironmentNames.Timeout, profile.TimeoutSeconds?.ToString(CultureInfo.InvariantCulture), name.Value!,
            DefaultTimeoutSeconds.ToString(CultureInfo.InvariantCulture));
        if (!int.TryParse(timeout.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds is <= 0 or > 3600)
        {
            throw new CliException(ExitCodes.Usage, $"The timeout from {timeout.Source} must be a whole number of seconds between 1 and 3600.");
        }

        if (!Uri.TryCreate(address.Value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new CliException(ExitCodes.Usage, $"The address from {address.Source} must be an http:// or https:// URL, e.g. {DefaultAddress}.");
        }

        return new Settings
        {
            Environment = env,
            ConfigPath = path,
            File = file,
            ProfileName = name,
            Profile = profile,
            Address = address,
            Timeout = timeout,
            Tables = TableFormat.Parse(parse.GetValue(GlobalOptions.Columns), parse.GetValue(GlobalOptions.Plain)),
            Json = parse.GetValue(GlobalOptions.Json) ||
                string.Equals(env.Variable(EnvironmentNames.Output), "json", StringComparison.OrdinalIgnoreCase),
        };
    }

    /// <summary>Flag over env over profile for a command's own option.</summary>
    public Resolved Pick(string? flag, string flagName, string envName, Func<Profile, string?> fromProfile, string? fallback = null) =>
        Resolved.Pick(flag, flagName, Environment, envName, fromProfile(Profile), ProfileName.Value!, fallback);
}
