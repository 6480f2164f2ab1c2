namespace Lcr.Testing;

/// <summary>
/// Where the real PostgreSQL and Redis of the test run are. <c>make test</c> starts them
/// (scripts/infra.sh up) and exports the settings; a test run started another way (an IDE)
/// reads <c>.data/infra.env</c> from the repository. Missing settings are a failure, never
/// a skipped test.
/// </summary>
public static class Infrastructure
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> Settings = new(Load);

    /// <summary>Connection string of the PostgreSQL superuser (database "postgres").</summary>
    public static string PostgresAdmin => Get("LCR_POSTGRES_ADMIN");

    /// <summary>StackExchange.Redis configuration string of the test Redis.</summary>
    public static string Redis => Get("LCR_REDIS");

    private static string Get(string key) =>
        Settings.Value.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value)
            ? value
            : throw new InvalidOperationException(
                $"{key} is not set. Start the test infrastructure with 'make test' (or 'scripts/infra.sh up').");

    private static Dictionary<string, string> Load()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var file = FindEnvFile();
        if (file is not null)
        {
            foreach (var line in File.ReadAllLines(file))
            {
                var trimmed = line.Trim();
                if (trimmed.StartsWith("export ", StringComparison.Ordinal))
                {
                    trimmed = trimmed["export ".Length..];
                }

                var eq = trimmed.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0 || trimmed.StartsWith('#'))
                {
                    continue;
                }

                var value = trimmed[(eq + 1)..].Trim();
                if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
                {
                    value = value[1..^1];
                }

                result[trimmed[..eq]] = value;
            }
        }

        // The environment wins over the file.
        foreach (var key in new[] { "LCR_POSTGRES_ADMIN", "LCR_REDIS" })
        {
            var env = Environment.GetEnvironmentVariable(key);
            if (!string.IsNullOrWhiteSpace(env))
            {
                result[key] = env;
            }
        }

        return result;
    }

    private static string? FindEnvFile()
    {
        var explicitFile = Environment.GetEnvironmentVariable("LCR_INFRA_ENV");
        if (!string.IsNullOrWhiteSpace(explicitFile) && File.Exists(explicitFile))
        {
            return explicitFile;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ".data", "infra.env");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
