using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Web;
using Lcr.Gateway.V1;
using static Lcr.Gateway.Tests.Callers;
using static Lcr.Testing.RpcAssert;
using Scenario = Lcr.ServiceDefaults.DevData.SyntheticOrganisations.Scenario;

namespace Lcr.Gateway.Tests.Http;

/// <summary>gRPC-Web (what a browser application speaks) through the real gateway, and the CORS policy in front of it.</summary>
[Collection(PlatformCollection.Name)]
public class GrpcWebTests(PlatformFixture platform)
{
    private GrpcChannel WebChannel(GrpcWebMode mode) => GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            // HTTP/1.1, as a browser's fetch sends it: gRPC-Web needs no HTTP/2.
            HttpHandler = new GrpcWebHandler(mode, platform.Gateway.CreateHandler()),
            HttpVersion = HttpVersion.Version11,
            HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        });

    [Theory]
    [InlineData(GrpcWebMode.GrpcWeb)]
    [InlineData(GrpcWebMode.GrpcWebText)]
    public async Task A_grpc_web_client_reads_the_example_patients_record(GrpcWebMode mode)
    {
        using var channel = WebChannel(mode);
        var nhs = Nhs(Scenario.ExamplePatient);
        var token = await AccessAsync(channel, "gp.b86001", nhs);

        var record = await RecordsClient(channel).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(token.AccessToken));

        Assert.Equal(nhs, record.Patient.NhsNumber);
        Assert.NotEmpty(record.ActiveProblems);
        Assert.NotEmpty(record.AuditEventId);
    }

    [Theory]
    [InlineData(GrpcWebMode.GrpcWeb)]
    [InlineData(GrpcWebMode.GrpcWebText)]
    public async Task A_refusal_over_grpc_web_carries_the_error_info(GrpcWebMode mode)
    {
        using var channel = WebChannel(mode);
        var token = await AccessAsync(channel, "gp.b86001", Nhs(Scenario.ExamplePatient));
        await Fails(StatusCode.PermissionDenied, "PATIENT_MISMATCH", async () => await RecordsClient(channel).GetPatientRecordAsync(
            new GetPatientRecordRequest { NhsNumber = Nhs(Scenario.WithholdsMentalHealth) }, Bearer(token.AccessToken)));
        await Fails(StatusCode.Unauthenticated, async () => await RecordsClient(channel).GetPatientRecordAsync(
            new GetPatientRecordRequest { NhsNumber = Nhs(Scenario.ExamplePatient) }));
    }

    private async Task<HttpResponseMessage> PreflightAsync(string origin)
    {
        using var http = platform.Gateway.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Options, "/lcr.gateway.v1.GatewayService/GetPatientRecord");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "authorization,content-type,x-grpc-web,x-user-agent");
        return await http.SendAsync(request);
    }

    [Fact]
    public async Task A_preflight_from_the_configured_origin_is_allowed_with_the_grpc_web_headers()
    {
        using var response = await PreflightAsync(GatewayHost.BrowserOrigin);
        Assert.True(response.IsSuccessStatusCode, response.StatusCode.ToString());
        Assert.Equal(GatewayHost.BrowserOrigin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var allowed = string.Join(",", response.Headers.GetValues("Access-Control-Allow-Headers")).ToLowerInvariant();
        foreach (var header in new[] { "authorization", "content-type", "x-grpc-web" })
        {
            Assert.Contains(header, allowed, StringComparison.Ordinal);
        }

        Assert.False(response.Headers.Contains("Access-Control-Allow-Credentials"));
    }

    [Fact]
    public async Task A_preflight_from_an_unlisted_origin_is_refused()
    {
        using var response = await PreflightAsync("https://attacker.example");
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False(response.Headers.Contains("Access-Control-Allow-Headers"));
    }

    [Fact]
    public async Task A_cross_origin_grpc_web_answer_exposes_the_status_headers_to_the_allowed_origin_only()
    {
        using var http = platform.Gateway.CreateHttpClient();
        foreach (var (origin, allowed) in new[] { (GatewayHost.BrowserOrigin, true), ("https://attacker.example", false) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/lcr.gateway.v1.GatewayService/GetPatientRecord")
            {
                Content = new ByteArrayContent([0, 0, 0, 0, 0]),
            };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc-web");
            request.Headers.Add("Origin", origin);
            request.Headers.Add("x-grpc-web", "1");
            using var response = await http.SendAsync(request);
            Assert.Equal(allowed, response.Headers.Contains("Access-Control-Allow-Origin"));
            if (allowed)
            {
                var exposed = string.Join(",", response.Headers.GetValues("Access-Control-Expose-Headers")).ToLowerInvariant();
                Assert.Contains("grpc-status-details-bin", exposed, StringComparison.Ordinal);
                Assert.Contains("grpc-status", exposed, StringComparison.Ordinal);
            }
        }
    }
}
