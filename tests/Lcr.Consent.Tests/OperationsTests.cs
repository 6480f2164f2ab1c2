using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using Lcr.Consent.V1;
using Lcr.ServiceDefaults;
using Lcr.Testing;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Lcr.Consent.Tests;

public class OperationsTests(ConsentHost host) : IClassFixture<ConsentHost>
{
    [Theory]
    [InlineData("liveness")]
    [InlineData("readiness")]
    public async Task Health_reports_serving(string service)
    {
        var reply = await new Health.HealthClient(host.Channel).CheckAsync(new HealthCheckRequest { Service = service });
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    [Fact]
    public async Task Reflection_lists_the_consent_service()
    {
        var reflection = new ServerReflection.ServerReflectionClient(host.Channel);
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = string.Empty });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Contains("lcr.consent.v1.ConsentService", call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name));
    }

    [Fact]
    public async Task No_nhs_number_reaches_logs_spans_or_redis_keys()
    {
        var nhs = ConsentHost.NewNhsNumber();
        await host.Client.AddRestrictionAsync(Calls.Add(nhs, Calls.WithholdOrganisation("RGD")), ConsentHost.IgOfficer());
        await host.Client.RecordOptOutAsync(Calls.OptOut(nhs), ConsentHost.IgOfficer());
        await host.Client.EvaluateAccessAsync(Calls.Evaluate(nhs));
        await host.Client.GetConsentAsync(new GetConsentRequest { NhsNumber = nhs });
        await Assert.ThrowsAsync<RpcException>(async () =>
            await host.Client.RemoveRestrictionAsync(Calls.Remove(nhs, Guid.NewGuid().ToString()), ConsentHost.IgOfficer()));

        var text = string.Join('\n', host.Logs.Lines) + '\n' + string.Join('\n', SpanText.Of(host.Spans.ToArray()));
        Assert.NotEmpty(host.Spans);
        Assert.Contains(host.Spans.ToArray(), s => s.DisplayName == "consent.evaluate_access");
        Assert.DoesNotContain(nhs, text, StringComparison.Ordinal);

        var redis = host.Services.GetRequiredService<IConnectionMultiplexer>();
        var pseudonym = host.Services.GetRequiredService<PatientPseudonymiser>().Pseudonym(nhs);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var keys = new List<string>();
        await foreach (var key in server.KeysAsync(pattern: $"lcr:consent:*{pseudonym}*"))
        {
            keys.Add(key!);
        }

        Assert.Contains($"lcr:consent:snapshot:{pseudonym}:2", keys);
        await foreach (var key in server.KeysAsync(pattern: $"*{nhs}*"))
        {
            Assert.Fail("A Redis key contains an NHS number: " + Pii.Scrub(key!));
        }

        // The cached value holds codes only: no reason text, no actor.
        var value = (string?)await redis.GetDatabase().StringGetAsync($"lcr:consent:snapshot:{pseudonym}:2");
        Assert.NotNull(value);
        Assert.DoesNotContain("IG/", value, StringComparison.Ordinal);
        Assert.DoesNotContain("ig-officer", value, StringComparison.Ordinal);
    }
}
