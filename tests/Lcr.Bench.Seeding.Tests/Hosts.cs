using Grpc.Core;
using Lcr.Clinical.Api;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Demographics.Api;
using Lcr.Demographics.V1;
using Lcr.ServiceDefaults;
using Npgsql;

namespace Lcr.Bench.Seeding.Tests;

/// <summary>The real clinical record service, in memory, on its own fresh (migrated) database.</summary>
public sealed class ClinicalHost : ServiceHost<ClinicalGrpcService>
{
    protected override string ConnectionName => "Clinical";

    public ClinicalRecordService.ClinicalRecordServiceClient Client => new(Channel);

    public NpgsqlDataSource DataSource() => LocalPostgres.DataSource(Database.ConnectionString);
}

/// <summary>The real demographics service, in memory, on its own fresh (migrated) database.</summary>
public sealed class DemographicsHost : ServiceHost<DemographicsGrpcService>
{
    protected override string ConnectionName => "Demographics";

    public DemographicsService.DemographicsServiceClient Client => new(Channel);

    public NpgsqlDataSource DataSource() => LocalPostgres.DataSource(Database.ConnectionString);
}

internal static class Feeds
{
    public static Metadata Of(string ods) => CallerHeaders.For(new Actor
    {
        Kind = ActorKind.System,
        Id = "bulk-seed-" + ods.ToLowerInvariant(),
        Organisation = new OrganisationReference { OdsCode = ods },
    });

    public static readonly LoadOptions Small = new(Workers: 2, PatientsPerChunk: 2);
}
