using System.Diagnostics;
using Resource = Hl7.Fhir.Model.Resource;
using Lcr.ServiceDefaults;

namespace Lcr.Gateway.Fhir;

/// <summary>
/// Maps the FHIR API under <c>/fhir</c> on the gateway (ordinary ASP.NET Core endpoints on the
/// same host as the gRPC services), and answers every refusal through <see cref="FhirErrors"/>:
/// an OperationOutcome, never an exception page, never the caller's own text.
/// </summary>
public static partial class FhirEndpoints
{
    public static IEndpointRouteBuilder MapFhirApi(this IEndpointRouteBuilder app)
    {
        var fhir = app.MapGroup("/fhir");
        fhir.MapGet("/metadata", (HttpContext http, FhirApi api) => RunAsync(http, () => api.MetadataAsync(http)));
        fhir.MapGet("/Patient", (HttpContext http, FhirApi api) => RunAsync(http, () => api.SearchPatientAsync(http)));
        fhir.MapGet("/Patient/{id}", (HttpContext http, FhirApi api, string id) => RunAsync(http, () => api.ReadPatientAsync(http, id)));
        fhir.MapGet("/Patient/{id}/$everything", (HttpContext http, FhirApi api, string id) => RunAsync(http, () => api.EverythingAsync(http, id)));
        fhir.MapGet("/Binary/{id}", (HttpContext http, FhirApi api, string id) => RunAsync(http, () => api.ReadBinaryAsync(http, id)));
        foreach (var type in FhirSearch.Types.Keys)
        {
            fhir.MapGet("/" + type, (HttpContext http, FhirApi api) => RunAsync(http, () => api.SearchAsync(http, type)));
        }

        foreach (var type in FhirSearch.ReadableTypes.Keys)
        {
            fhir.MapGet("/" + type + "/{id}", (HttpContext http, FhirApi api, string id) => RunAsync(http, () => api.ReadEntryAsync(http, type, id)));
        }

        // Anything else under /fhir (other types, instance reads of the other searchable types, writes,
        // history) is not served: 404 / 405 as an OperationOutcome naming no caller text.
        fhir.Map("/{**rest}", (HttpContext http) => RunAsync(http, () => throw (HttpMethods.IsGet(http.Request.Method)
            ? new NotFoundException("resource")
            : new FailedPreconditionException("METHOD_NOT_SUPPORTED", "This FHIR API is read-only: only GET is served."))));
        return app;
    }

    private static async Task RunAsync(HttpContext http, Func<Task<Resource>> interaction)
    {
        Resource resource;
        var status = StatusCodes.Status200OK;
        try
        {
            if (!FhirFormat.AcceptsJson(http.Request))
            {
                throw new FailedPreconditionException(FhirErrors.NotAcceptable, "This server answers in JSON only (application/fhir+json).");
            }

            resource = await interaction();
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return; // the client went away: nothing to answer
        }
        catch (Exception e)
        {
            var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(FhirEndpoints));
            if (FhirErrors.Map(e) is var (code, outcome, challenge))
            {
                var reason = outcome.Issue[0].Details?.Coding[0].Code ?? "UNKNOWN";
                if (code >= 500)
                {
                    LogDependencyFailure(logger, code, reason, e);
                }
                else
                {
                    LogRefused(logger, code, reason);
                }

                if (challenge is not null)
                {
                    http.Response.Headers.WWWAuthenticate = challenge;
                }

                (resource, status) = (outcome, code);
            }
            else
            {
                var traceId = Activity.Current?.TraceId.ToHexString() ?? "none";
                LogUnexpected(logger, traceId, e);
                (resource, status) = (FhirErrors.Internal(traceId), StatusCodes.Status500InternalServerError);
            }
        }

        await FhirFormat.WriteAsync(http, resource, status);
    }

    /// <summary>A refusal made before an interaction ran (the rate limiter), answered as every FHIR refusal is.</summary>
    public static Task RefuseAsync(HttpContext http, Exception refusal) =>
        RunAsync(http, () => Task.FromException<Resource>(refusal));

    [LoggerMessage(Level = LogLevel.Information, Message = "FHIR request refused with {Status} ({Reason})")]
    private static partial void LogRefused(ILogger logger, int status, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "FHIR request failed with {Status} ({Reason})")]
    private static partial void LogDependencyFailure(ILogger logger, int status, string reason, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "FHIR request failed unexpectedly; trace id {TraceId}")]
    private static partial void LogUnexpected(ILogger logger, string traceId, Exception exception);
}
