using System.Collections.Concurrent;
using Grpc.Core;
using Lcr.Consent.V1;
using Lcr.Gateway.Downstream;
using Lcr.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using static Lcr.Gateway.Tests.Callers;
using Scenario = Lcr.ServiceDefaults.DevData.SyntheticOrganisations.Scenario;

namespace Lcr.Gateway.Tests;

/// <summary>
/// The typed downstream clients and their one interceptor, on a gateway host in front of the
/// in-memory services: what a call carries on the wire, the open circuit, and a call without actor.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class DownstreamInterceptorTests(PlatformFixture platform)
{
    [Fact]
    public async Task A_downstream_call_carries_the_signed_credential_for_its_actor_and_the_reduced_deadline()
    {
        var seen = new ConcurrentQueue<HttpRequestMessage>();
        await using var gateway = platform.CreateGateway(wrap: (service, handler) =>
            service == ServiceNames.Consent ? new Recording(seen) { InnerHandler = handler } : handler);
        var consent = gateway.Services.GetRequiredService<ConsentService.ConsentServiceClient>();

        var callerDeadline = DateTime.UtcNow.AddSeconds(2);
        await consent.GetConsentAsync(new GetConsentRequest { NhsNumber = Nhs(Scenario.ExamplePatient) },
            DownstreamCalls.As(PlatformActor.Gateway, callerDeadline, CancellationToken.None));

        var request = Assert.Single(seen);
        var credential = Assert.Single(request.Headers.GetValues(InternalCredentials.Header));
        var verifier = new InternalCredentials(Convert.FromBase64String(PlatformFixture.InternalKey), "consent", ["gateway"]);
        var (caller, actor) = await verifier.VerifyAsync(credential);
        Assert.Equal("gateway", caller);
        Assert.Equal(PlatformActor.Gateway.Id, actor.Id);
        Assert.False(request.Headers.Contains(DownstreamCalls.ActorHeader), "the actor header is the gateway's own, never sent");

        // The caller had at most 2 s; the downstream call is cut off the reserve (250 ms) before it.
        Assert.True(GrpcTimeout(Assert.Single(request.Headers.GetValues("grpc-timeout"))) <= TimeSpan.FromMilliseconds(1750));

        // No HttpClientFactory request logging on the call path (the clients remove its loggers).
        Assert.DoesNotContain(gateway.Logs.Lines, l => l.Contains("System.Net.Http.HttpClient", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_open_circuit_answers_unavailable_naming_the_service_without_calling_it()
    {
        var attempts = new ConcurrentQueue<HttpRequestMessage>();
        await using var gateway = platform.CreateGateway(
            wrap: (service, handler) => service == ServiceNames.Consent ? new Recording(attempts) { InnerHandler = new UnreachableHandler() } : handler,
            settings: new Dictionary<string, string> { ["Gateway:BreakerMinimumThroughput"] = "2", ["Gateway:BreakerBreakDuration"] = "00:05:00" });
        var consent = gateway.Services.GetRequiredService<ConsentService.ConsentServiceClient>();
        var request = new GetConsentRequest { NhsNumber = Nhs(Scenario.ExamplePatient) };

        DependencyUnavailableException? open = null;
        for (var i = 0; i < 10 && open is null; i++)
        {
            var e = await Assert.ThrowsAsync<DependencyUnavailableException>(async () =>
                await consent.GetConsentAsync(request, DownstreamCalls.As(PlatformActor.Gateway, DateTime.MaxValue, CancellationToken.None)));
            Assert.Equal("CONSENT_UNAVAILABLE", e.Reason);
            open = e.Message.Contains("circuit open", StringComparison.Ordinal) ? e : null;
        }

        Assert.NotNull(open);
        var before = attempts.Count;
        var again = await Assert.ThrowsAsync<DependencyUnavailableException>(async () =>
            await consent.GetConsentAsync(request, DownstreamCalls.As(PlatformActor.Gateway, DateTime.MaxValue, CancellationToken.None)));
        Assert.Equal("CONSENT_UNAVAILABLE", again.Reason);
        Assert.Contains("circuit open", again.Message, StringComparison.Ordinal);
        Assert.Equal(before, attempts.Count);
    }

    [Fact]
    public async Task A_call_without_an_actor_fails_and_is_never_sent()
    {
        var seen = new ConcurrentQueue<HttpRequestMessage>();
        await using var gateway = platform.CreateGateway(wrap: (service, handler) =>
            service == ServiceNames.Consent ? new Recording(seen) { InnerHandler = handler } : handler);
        var consent = gateway.Services.GetRequiredService<ConsentService.ConsentServiceClient>();

        var e = Assert.Throws<InvalidOperationException>(() => consent.GetConsentAsync(
            new GetConsentRequest { NhsNumber = Nhs(Scenario.ExamplePatient) }, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(5))));
        Assert.Contains("without an actor", e.Message, StringComparison.Ordinal);
        Assert.Empty(seen);
    }

    private static TimeSpan GrpcTimeout(string value)
    {
        var amount = long.Parse(value[..^1], System.Globalization.CultureInfo.InvariantCulture);
        return value[^1] switch
        {
            'H' => TimeSpan.FromHours(amount),
            'M' => TimeSpan.FromMinutes(amount),
            'S' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMilliseconds(amount),
            'u' => TimeSpan.FromMicroseconds(amount),
            _ => TimeSpan.FromTicks(amount / 100),
        };
    }

    private sealed class Recording(ConcurrentQueue<HttpRequestMessage> seen) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            seen.Enqueue(request);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
