using Lcr.ServiceDefaults;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Lcr.Audit.Persistence;

/// <summary>
/// The two ways the service reaches PostgreSQL.
/// <list type="bullet">
/// <item><b>Runtime</b> (<c>ConnectionStrings:Audit</c>): every connection starts as the
/// role <see cref="WriterRole"/> (a startup parameter, so it survives the pool's
/// <c>DISCARD ALL</c>) with <c>synchronous_commit=on</c>. The role may only INSERT and
/// SELECT audit events, so nothing the service runs can alter or remove one. In production
/// the login itself should be a non-superuser member of that role only (a superuser could
/// <c>SET ROLE</c> back).</item>
/// <item><b>Migrations</b> (<c>ConnectionStrings:AuditMigrations</c>, else the runtime
/// string without the role): the schema owner, used only by the <c>migrate</c>/<c>seed</c> verbs.</item>
/// </list>
/// </summary>
public sealed class AuditDataSources : IAsyncDisposable
{
    public const string ConnectionName = "Audit";
    public const string MigrationsConnectionName = "AuditMigrations";

    /// <summary>The NOLOGIN role the migrations create and grant INSERT/SELECT on the log to.</summary>
    public const string WriterRole = "lcr_audit_writer";

    public AuditDataSources(IConfiguration configuration, ServiceIdentity service)
    {
        var runtime = configuration.GetConnectionString(ConnectionName);
        if (string.IsNullOrWhiteSpace(runtime))
        {
            throw new InvalidOperationException(
                $"ConnectionStrings:{ConnectionName} is not configured. Run 'make run', or set ConnectionStrings__{ConnectionName}.");
        }

        var migrations = configuration.GetConnectionString(MigrationsConnectionName);
        Runtime = Build(runtime, "lcr-" + service.Name, asWriter: true);
        Migrations = Build(string.IsNullOrWhiteSpace(migrations) ? runtime : migrations, "lcr-" + service.Name + "-migrations", asWriter: false);
    }

    public NpgsqlDataSource Runtime { get; }

    public NpgsqlDataSource Migrations { get; }

    private static NpgsqlDataSource Build(string connectionString, string applicationName, bool asWriter)
    {
        var dsb = new NpgsqlDataSourceBuilder(connectionString);
        var csb = dsb.ConnectionStringBuilder;
        csb.IncludeErrorDetail = false; // error details echo key values (NHS numbers)
        csb.ApplicationName ??= applicationName;
        if (asWriter)
        {
            // Startup parameters: the session begins as the writer role, and RESET/DISCARD ALL
            // return to it rather than to the login.
            csb.Options = $"{csb.Options} -c role={WriterRole} -c synchronous_commit=on".Trim();

            // The append INSERT and the listing queries repeat constantly: prepare them once per connection.
            if (csb.MaxAutoPrepare == 0)
            {
                csb.MaxAutoPrepare = 32;
            }
        }

        return dsb.Build();
    }

    public async ValueTask DisposeAsync()
    {
        await Runtime.DisposeAsync();
        await Migrations.DisposeAsync();
    }
}

/// <summary>Applies the migrations as the schema owner (the <c>migrate</c> and <c>seed</c> verbs, and tests).</summary>
internal sealed class AuditMigrator(AuditDataSources sources) : IDatabaseMigrator
{
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        var options = new DbContextOptionsBuilder<AuditDbContext>()
            .UseNpgsql(sources.Migrations)
            .UseSnakeCaseNamingConvention()
            .Options;
        await using var db = new AuditDbContext(options);
        await db.Database.MigrateAsync(cancellationToken);
    }
}
