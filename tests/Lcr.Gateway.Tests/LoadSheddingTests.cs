using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Google.Rpc;
using Grpc.Core;
using Grpc.Health.V1;
using Lcr.Audit.V1;
using Lcr.Gateway.Downstream;
using Lcr.Gateway.RateLimiting;
using Lcr.Gateway.V1;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static Lcr.Gateway.Tests.Callers;
using static Lcr.Testing.RpcAssert;
using Scenario = Lcr.ServiceDefaults.DevData.SyntheticOrganisations.Scenario;

namespace Lcr.Gateway.Tests;

/// <summary>
/// Load shedding (issue 22, RateLimiting/LoadShedding.cs): with every slot of a small gateway
/// taken by reads held at their audit commit, the next call is refused at once with
/// RESOURCE_EXHAUSTED, GATEWAY_OVERLOADED and RetryInfo, before any work (no audit event), health
/// still answers, the held reads succeed once released, and the slots come back.
/// </summary>
[Collection(PlatformCollection.Name)]
public class LoadSheddingTests(PlatformFixture platform)
{
    [Fact]
    public async Task Calls_over_the_gateway_capacity_are_refused_at_once_with_retry_info_and_no_audit_and_the_slots_come_back()
    {
        var nhs = Nhs(Scenario.ExamplePatient);
        var admittedToken = (await AccessAsync(platform.Gateway.Channel, "gp.b86001", nhs)).AccessToken;
        var refusedToken = (await AccessAsync(platform.Gateway.Channel, "gp.b86001", nhs)).AccessToken;
        var refusedTokenId = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(refusedToken).Id;
        var audit = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sent = new ConcurrentQueue<AuditEvent>();
        await using var busy = platform.CreateGateway(
            s =>
            {
                s.Configure<LoadSheddingOptions>(o =>
                {
                    o.MaxConcurrentCalls = 2;
                    o.QueueLimit = 0;
                });
                // The held reads wait for the test, not for a downstream deadline on a busy machine.
                s.Configure<DownstreamOptions>(o => o.DefaultCallTimeout = TimeSpan.FromMinutes(2));
            },
            wrap: (service, handler) => service == ServiceNames.Audit ? new AuditEventRecorder(new HeldHandler(handler, audit.Task), sent) : handler);
        using var safety = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        // Two reads take both slots and wait at their audit commit (no data before it).
        var admitted = Enumerable.Range(0, 2).Select(_ => RecordsClient(busy.Channel).GetPatientRecordAsync(
            new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(admittedToken), cancellationToken: safety.Token).ResponseAsync).ToArray();
        var limiter = busy.Services.GetRequiredService<IOptions<RateLimiterOptions>>().Value.GlobalLimiter!;
        var read = new DefaultHttpContext();
        read.Request.Path = "/lcr.gateway.v1.GatewayService/GetPatientRecord";
        while (limiter.GetStatistics(read)?.CurrentAvailablePermits != 0)
        {
            Assert.DoesNotContain(admitted, t => t.IsCompleted); // a read that ended early would free its slot
            await Task.Delay(10, safety.Token);
        }

        // The next call is refused while both are still held: at once, not queued behind them.
        var e = await Fails(StatusCode.ResourceExhausted, async () => await RecordsClient(busy.Channel).GetPatientRecordAsync(
            new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(refusedToken), cancellationToken: safety.Token));
        Assert.Equal(LoadShedding.Reason, Reason(e));
        var retry = e.GetRpcStatus()?.GetDetail<RetryInfo>();
        Assert.NotNull(retry);
        Assert.InRange(retry.RetryDelay.ToTimeSpan(), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        Assert.DoesNotContain(nhs, e.Status.Detail, StringComparison.Ordinal);

        // A JSON over HTTP caller: 429, Retry-After, the same google.rpc.Status.
        using var http = busy.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/patients/{nhs}/record");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", refusedToken);
        using var response = await http.SendAsync(request, safety.Token);
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal<TimeSpan?>(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(safety.Token));
        Assert.Contains(body.RootElement.GetProperty("details").EnumerateArray(), d => d.GetProperty("@type").GetString() == "type.googleapis.com/google.rpc.RetryInfo");
        Assert.Contains(body.RootElement.GetProperty("details").EnumerateArray(), d => d.TryGetProperty("reason", out var r) && r.GetString() == LoadShedding.Reason);

        // Health checks are never shed: a busy replica still answers its probes.
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving,
            (await new Health.HealthClient(busy.Channel).CheckAsync(new HealthCheckRequest { Service = "liveness" }, cancellationToken: safety.Token)).Status);

        // Released, the admitted reads are answered, each with its committed audit event; the refused calls left none.
        audit.SetResult();
        foreach (var reply in await Task.WhenAll(admitted))
        {
            Assert.NotEmpty(reply.AuditEventId);
        }

        Assert.DoesNotContain(sent, ev => ev.AccessTokenId == refusedTokenId);

        // And the slots come back when the calls end: the caller refused above is served now.
        while (limiter.GetStatistics(read)?.CurrentAvailablePermits != 2)
        {
            await Task.Delay(10, safety.Token);
        }

        var later = await RecordsClient(busy.Channel).GetPatientRecordAsync(
            new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(refusedToken), cancellationToken: safety.Token);
        Assert.NotEmpty(later.AuditEventId);
        Assert.Contains(sent, ev => ev.AccessTokenId == refusedTokenId);
    }

    [Theory]
    [InlineData("/grpc.health.v1.Health/Check", true)]
    [InlineData("/grpc.health.v1.Health/Watch", true)]
    [InlineData("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", true)]
    [InlineData("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", true)]
    [InlineData("/lcr.gateway.v1.GatewayService/GetPatientRecord", false)]
    [InlineData("/grpc.health.v1.HealthX/Check", false)]
    [InlineData("/v1/patients/9000000009/record", false)]
    [InlineData("/fhir/Patient", false)]
    public void Only_health_checks_and_reflection_are_never_shed(string path, bool exempt) =>
        Assert.Equal(exempt, LoadShedding.IsExempt(new PathString(path)));

    [Fact]
    public void The_default_limit_scales_with_the_processors_and_the_queue_is_half_of_it()
    {
        var defaults = new LoadSheddingOptions();
        Assert.Equal(32 * Environment.ProcessorCount, defaults.EffectiveMaxConcurrentCalls);
        Assert.Equal(16 * Environment.ProcessorCount, defaults.EffectiveQueueLimit);
        Assert.True(defaults.IsValid);
        Assert.Equal(5, new LoadSheddingOptions { MaxConcurrentCalls = 10 }.EffectiveQueueLimit);
        Assert.False(new LoadSheddingOptions { MaxConcurrentCalls = 0 }.IsValid);
        Assert.False(new LoadSheddingOptions { QueueLimit = -1 }.IsValid);
        Assert.False(new LoadSheddingOptions { RetryAfter = TimeSpan.Zero }.IsValid);
    }

    /// <summary>Holds every call to the service until <paramref name="release"/> completes.</summary>
    private sealed class HeldHandler(HttpMessageHandler inner, Task release) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await release.WaitAsync(cancellationToken);
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
