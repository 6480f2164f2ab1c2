using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Grpc.Core;

namespace Lcr.LoadGen;

/// <summary>
/// The FHIR door's read for the benchmark: <c>GET /fhir/Patient/{id}/$everything</c> on the
/// gateway's HTTP/1.1 endpoint, one connection per caller (HTTP/1.1 does not multiplex). A
/// non-200 answer counts as an error under its HTTP status.
/// </summary>
internal sealed class FhirScenario(Uri address, int callers, TimeSpan deadline) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = callers, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
    {
        BaseAddress = address,
        Timeout = deadline,
    };

    private readonly Dictionary<string, (string Id, string Token)> _patients = [];

    /// <summary>
    /// The HTTP endpoint: <c>Kestrel__Endpoints__Http__Url</c> (the variable that configures the
    /// gateway's endpoint), else the gRPC port + 10 (7100 gives the development 7110, a bench on
    /// base 7200 gives 7210), so a bench never loads another platform's endpoint by accident.
    /// </summary>
    public static string DefaultAddress(Uri grpcGateway) =>
        Environment.GetEnvironmentVariable("Kestrel__Endpoints__Http__Url") is { Length: > 0 } fromEnv
            ? fromEnv
            : new UriBuilder(grpcGateway) { Port = grpcGateway.Port + 10 }.Uri.ToString();

    /// <summary>Finds each patient's FHIR id (identifier search); the reason to skip when the endpoint does not answer FHIR.</summary>
    public async Task<string?> PrepareAsync(IEnumerable<string> nhsNumbers, IReadOnlyDictionary<string, string> tokens)
    {
        if (_http.BaseAddress is not { IsLoopback: true })
        {
            throw new InvalidOperationException("refusing a non-loopback HTTP gateway");
        }

        foreach (var nhs in nhsNumbers)
        {
            try
            {
                using var request = Request($"fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number%7C{nhs}", tokens[nhs]);
                using var response = await _http.SendAsync(request);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    return $"{_http.BaseAddress} answered {(int)response.StatusCode} to the patient search";
                }

                using var bundle = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
                var id = bundle.RootElement.GetProperty("entry")[0].GetProperty("resource").GetProperty("id").GetString()!;
                _patients[nhs] = (id, tokens[nhs]);
            }
            catch (HttpRequestException e)
            {
                return $"no HTTP endpoint at {_http.BaseAddress} ({e.HttpRequestError}); the gateway's Http endpoint is configured by Kestrel:Endpoints:Http";
            }
        }

        return null;
    }

    public async Task EverythingAsync(string nhs)
    {
        var (id, token) = _patients[nhs];
        using var request = Request($"fhir/Patient/{id}/$everything", token);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new RpcException(new Status(StatusCode.Unknown, "HTTP " + (int)response.StatusCode));
        }
    }

    private static HttpRequestMessage Request(string path, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+json"));
        return request;
    }

    public void Dispose() => _http.Dispose();
}
