using System.Net;
using Npgsql;

namespace Lcr.Bench.Seeding;

/// <summary>The local PostgreSQL of <c>scripts/infra.sh</c>: its settings, and data sources that refuse any other host.</summary>
public static class LocalPostgres
{
    /// <summary><paramref name="key"/> from the environment, else from <c>.data/infra.env</c> in this or a parent directory.</summary>
    public static string Setting(string key)
    {
        var env = Environment.GetEnvironmentVariable(key);
        if (!string.IsNullOrWhiteSpace(env))
        {
            return env;
        }

        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var file = Path.Combine(dir.FullName, ".data", "infra.env");
                if (!File.Exists(file))
                {
                    continue;
                }

                foreach (var line in File.ReadAllLines(file))
                {
                    var t = line.Trim();
                    t = t.StartsWith("export ", StringComparison.Ordinal) ? t["export ".Length..] : t;
                    if (t.StartsWith(key + "=", StringComparison.Ordinal))
                    {
                        return t[(key.Length + 1)..].Trim('"');
                    }
                }
            }
        }

        throw new InvalidOperationException($"{key} is not set: start the infrastructure with 'scripts/infra.sh up'.");
    }

    /// <summary>The admin connection string (<c>LCR_POSTGRES_ADMIN</c>) pointed at <paramref name="database"/>.</summary>
    public static string ConnectionString(string database, int maxPoolSize = 20) =>
        new NpgsqlConnectionStringBuilder(Setting("LCR_POSTGRES_ADMIN")) { Database = database, MaxPoolSize = maxPoolSize }.ConnectionString;

    /// <summary>
    /// A data source configured as the services configure theirs for what the loader writes
    /// (dynamic JSON for jsonb-mapped objects), refusing any host but loopback: the bulk loader
    /// writes millions of synthetic rows and must never reach a shared server by mistake.
    /// </summary>
    public static NpgsqlDataSource DataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var host = builder.ConnectionStringBuilder.Host ?? string.Empty;
        if (!(host is "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip))))
        {
            throw new InvalidOperationException($"refusing to bulk-load a non-loopback PostgreSQL host '{host}'");
        }

        builder.ConnectionStringBuilder.ApplicationName ??= "lcr-bulk-seed";
        builder.EnableDynamicJson();
        return builder.Build();
    }

    public static async Task ExecuteAsync(NpgsqlDataSource source, string sql, CancellationToken ct = default)
    {
        await using var cmd = source.CreateCommand(sql);
        cmd.CommandTimeout = 0;
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
