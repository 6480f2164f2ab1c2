using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lcr.Cli;

/// <summary>One named profile: which platform to talk to, as whom, and for what by default.</summary>
internal sealed class Profile
{
    /// <summary>The gateway's address, e.g. http://127.0.0.1:7100.</summary>
    public string? Address { get; set; }

    /// <summary>The professional's user name for `lcr signin`.</summary>
    public string? User { get; set; }

    /// <summary>The default purpose of use for access tokens: direct-care, subject-access or information-governance.</summary>
    public string? Purpose { get; set; }

    /// <summary>The system client for calls across patients (audit by professional, chain verification, privacy review).</summary>
    public string? Client { get; set; }

    /// <summary>The feed client `lcr seed` contributes as.</summary>
    public string? FeedClient { get; set; }

    /// <summary>The deadline of each call, in seconds.</summary>
    public int? TimeoutSeconds { get; set; }

    /// <summary>Addresses of the internal services for `lcr health` (identity, demographics, consent, clinical, audit).</summary>
    public Dictionary<string, string>? Services { get; set; }
}

/// <summary>The profile file: named profiles and the one in use.</summary>
internal sealed class ProfileFile
{
    public string? CurrentProfile { get; set; }

    public Dictionary<string, Profile> Profiles { get; set; } = new(StringComparer.Ordinal);

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Reads the file; a missing file is an empty configuration. A malformed one is a usage error naming the file.</summary>
    public static ProfileFile Load(string path)
    {
        if (!File.Exists(path))
        {
            return new ProfileFile();
        }

        try
        {
            var file = JsonSerializer.Deserialize<ProfileFile>(File.ReadAllText(path), Json) ?? new ProfileFile();
            file.Profiles = new Dictionary<string, Profile>(file.Profiles ?? [], StringComparer.Ordinal);
            return file;
        }
        catch (JsonException e)
        {
            throw new CliException(ExitCodes.Usage, $"The profile file {path} is not valid JSON ({e.Message}): fix it or move it aside.");
        }
    }

    /// <summary>Writes the file (creating its directory, owner-only).</summary>
    public void Save(string path)
    {
        ConfigPaths.EnsurePrivateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, JsonSerializer.Serialize(this, Json) + "\n");
    }
}

/// <summary>Where the profile file and the session cache live.</summary>
internal static class ConfigPaths
{
    /// <summary>$LCR_CONFIG, else $XDG_CONFIG_HOME/lcr/config.json, else ~/.config/lcr/config.json.</summary>
    public static string ConfigFile(CliEnvironment env)
    {
        if (env.Variable(EnvironmentNames.Config) is { Length: > 0 } explicitPath)
        {
            return Path.GetFullPath(explicitPath);
        }

        var xdg = env.Variable("XDG_CONFIG_HOME");
        var root = xdg is { Length: > 0 } ? xdg : Path.Combine(env.HomeDirectory, ".config");
        return Path.Combine(root, "lcr", "config.json");
    }

    /// <summary>The session cache: a "sessions" directory beside the profile file.</summary>
    public static string SessionDirectory(CliEnvironment env) => Path.Combine(Path.GetDirectoryName(ConfigFile(env))!, "sessions");

    public static void EnsurePrivateDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
            return;
        }

        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
