using System.Text.Json;

namespace Lcr.Cli;

/// <summary>A token the tool keeps between invocations.</summary>
internal sealed class CachedToken
{
    public string Token { get; set; } = string.Empty;

    public DateTimeOffset? ExpireTime { get; set; }

    public bool IsValidAt(DateTimeOffset now) => Token.Length > 0 && (ExpireTime is null || ExpireTime > now.AddSeconds(5));
}

/// <summary>A signed-in professional's session.</summary>
internal sealed class CachedSession
{
    public string Token { get; set; } = string.Empty;
    public DateTimeOffset? ExpireTime { get; set; }
    public string UserName { get; set; } = string.Empty;
    public string ProfessionalId { get; set; } = string.Empty;
    public string DisplayName { get; set; } = string.Empty;
}

/// <summary>What one profile has cached: the session and system tokens for one platform address.</summary>
internal sealed class SessionRecord
{
    public string Address { get; set; } = string.Empty;

    public CachedSession? Session { get; set; }

    /// <summary>System tokens by client id.</summary>
    public Dictionary<string, CachedToken> SystemTokens { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The session cache: one file per profile in the "sessions" directory beside the profile file,
/// created owner-only (directory 0700, file 0600) because it holds bearer tokens. Tokens are
/// short-lived (a session lasts hours, system tokens minutes) and are only used against the
/// address they were issued by. `lcr signout` deletes the file; LCR_NO_CACHE=1 turns caching off.
/// </summary>
internal sealed class SessionCache(string directory, string profile, bool enabled = true)
{
    public string FilePath { get; } = Path.Combine(directory, SafeName(profile) + ".json");

    public bool Enabled { get; } = enabled;

    public static SessionCache For(Settings settings) =>
        new(ConfigPaths.SessionDirectory(settings.Environment), settings.ProfileName.Value!,
            settings.Environment.Variable(EnvironmentNames.NoCache) is not ("1" or "true"));

    /// <summary>The cached record for <paramref name="address"/>; empty when none, another address, or unreadable.</summary>
    public SessionRecord Load(string address)
    {
        if (!Enabled || !File.Exists(FilePath))
        {
            return new SessionRecord { Address = address };
        }

        try
        {
            var record = JsonSerializer.Deserialize<SessionRecord>(File.ReadAllText(FilePath), ProfileFile.Json);
            return record is not null && string.Equals(record.Address, address, StringComparison.OrdinalIgnoreCase)
                ? record
                : new SessionRecord { Address = address };
        }
        catch (JsonException)
        {
            return new SessionRecord { Address = address };
        }
    }

    public void Save(SessionRecord record)
    {
        if (!Enabled)
        {
            return;
        }

        var directory = Path.GetDirectoryName(FilePath)!;
        ConfigPaths.EnsurePrivateDirectory(directory);
        var temp = FilePath + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, options))
        {
            JsonSerializer.Serialize(stream, record, ProfileFile.Json);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temp, FilePath, overwrite: true);
    }

    public bool Delete()
    {
        if (!File.Exists(FilePath))
        {
            return false;
        }

        File.Delete(FilePath);
        return true;
    }

    private static string SafeName(string profile) =>
        string.Concat(profile.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
}
