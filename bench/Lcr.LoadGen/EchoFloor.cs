using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Lcr.LoadGen.Echo.V1;
using Lcr.ServiceDefaults;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Lcr.LoadGen;

/// <summary>
/// The floor: a bare unary echo service on the project's own <c>AddServiceDefaults</c>
/// (Kestrel HTTP/2, logging, telemetry, error mapping, reflection, health), hosted in this
/// process on a loopback port chosen by the OS.
/// </summary>
internal sealed class EchoFloor : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EchoFloor(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<EchoFloor> StartAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // As the services' appsettings.json: one loopback endpoint (port chosen by the OS).
            ["Kestrel:Endpoints:Grpc:Url"] = "http://127.0.0.1:0",
            ["Logging:LogLevel:Default"] = Environment.GetEnvironmentVariable("LOADGEN_ECHO_LOGLEVEL") ?? "Warning",
        });
        // publicFacing like the gateway: the echo accepts callers without the internal credential.
        builder.AddServiceDefaults("bench-echo", publicFacing: true);
        var app = builder.Build();
        app.MapGrpcService<EchoService>();
        await app.StartAsync();
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new EchoFloor(app, new Uri(bound.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal)));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed class EchoService : Echo.V1.EchoService.EchoServiceBase
    {
        public override Task<EchoResponse> Echo(EchoRequest request, ServerCallContext context) =>
            Task.FromResult(new EchoResponse { Payload = request.Payload });
    }
}
