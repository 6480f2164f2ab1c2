using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using Lcr.Demographics.Api;
using Lcr.Demographics.V1;
using Lcr.Testing;

namespace Lcr.Demographics.Tests;

public class OperationsTests(DemographicsHost host) : IClassFixture<DemographicsHost>
{
    [Theory]
    [InlineData("liveness")]
    [InlineData("readiness")]
    [InlineData("")]
    public async Task Health_reports_serving_when_the_database_is_reachable(string service)
    {
        var health = new Health.HealthClient(host.Channel);
        var reply = await health.CheckAsync(new HealthCheckRequest { Service = service });
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    [Fact]
    public async Task Reflection_lists_the_demographics_service()
    {
        var reflection = new ServerReflection.ServerReflectionClient(host.Channel);
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = string.Empty });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var names = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("lcr.demographics.v1.DemographicsService", names);
        Assert.Contains("grpc.health.v1.Health", names);
    }

    [Fact]
    public async Task No_nhs_number_name_or_postcode_reaches_logs_or_spans()
    {
        var p = DemographicsHost.NewPatient(family: "Quixotewell", given: "Philippa");
        await host.CreateAsync(p);
        await host.Client.GetPatientAsync(new GetPatientRequest { NhsNumber = p.NhsNumber });
        await host.Client.SearchPatientsAsync(new SearchPatientsRequest { Family = "Quixotewell", BirthDate = p.BirthDate });
        await Assert.ThrowsAsync<RpcException>(async () => await host.CreateAsync(new Lcr.Demographics.V1.Patient(p) { Name = new HumanName(p.Name) { Family = "Other" } }));
        await Assert.ThrowsAsync<RpcException>(async () => await host.Client.GetPatientAsync(new GetPatientRequest { NhsNumber = "9434765919" }));

        var text = string.Join('\n', host.Logs.Lines) + '\n' + string.Join('\n', SpanText.Of(host.Spans.ToArray()));
        Assert.NotEmpty(host.Logs.Lines);
        Assert.NotEmpty(host.Spans);
        foreach (var secret in new[] { p.NhsNumber, "9434765919", "Quixotewell", "quixotewell", "Philippa", "LS9 7TF", "07700 900123", "amelia.hart@example.org" })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
    }
}

/// <summary>A host whose database does not exist: alive, but not ready.</summary>
public sealed class UnreachableDatabaseHost : ServiceHost<DemographicsGrpcService>
{
    protected override string ConnectionName => "Demographics";

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        new("ConnectionStrings:Demographics", new Npgsql.NpgsqlConnectionStringBuilder(Infrastructure.PostgresAdmin)
        {
            Database = "lcr_missing_" + Guid.NewGuid().ToString("N"), Timeout = 2,
        }.ConnectionString),
    ];

    protected override bool MigrateDatabase => false;
}

public class ReadinessTests(UnreachableDatabaseHost host) : IClassFixture<UnreachableDatabaseHost>
{
    [Fact]
    public async Task Readiness_is_not_serving_while_liveness_stays_serving_when_the_database_is_gone()
    {
        var health = new Health.HealthClient(host.Channel);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving,
            (await health.CheckAsync(new HealthCheckRequest { Service = "liveness" })).Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing,
            (await health.CheckAsync(new HealthCheckRequest { Service = "readiness" })).Status);
    }

    [Fact]
    public async Task A_call_that_needs_the_database_fails_cleanly_not_with_details()
    {
        var client = new DemographicsService.DemographicsServiceClient(host.Channel);
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.GetPatientAsync(new GetPatientRequest { NhsNumber = "9434765919" }, deadline: DateTime.UtcNow.AddSeconds(20)));
        Assert.Contains(e.StatusCode, new[] { StatusCode.Unavailable, StatusCode.Internal });
        Assert.DoesNotContain("9434765919", e.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("lcr_missing", e.Status.Detail, StringComparison.Ordinal);
    }
}
