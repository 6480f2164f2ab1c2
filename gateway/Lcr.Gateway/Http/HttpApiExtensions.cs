using Grpc.AspNetCore.Server.Model;
using Grpc.AspNetCore.Web;
using Microsoft.OpenApi.Models;

namespace Lcr.Gateway.Http;

/// <summary>
/// The gateway's HTTP doors beside native gRPC, all over the same gRPC services (so every call
/// takes the same interceptors, authentication, checks and audit): JSON over HTTP from the protos'
/// <c>google.api.http</c> annotations (gRPC JSON transcoding), the OpenAPI document generated from
/// the same protos and their comments, and gRPC-Web for browser applications, with the CORS policy
/// of <see cref="BrowserCorsPolicy"/>.
/// </summary>
public static class HttpApiExtensions
{
    /// <summary>Where the OpenAPI document is served.</summary>
    public const string OpenApiPath = "/openapi/v1.json";

    public static WebApplicationBuilder AddGatewayHttpApi(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddGrpc().AddJsonTranscoding(o =>
        {
            // Errors carry the same google.rpc details as over gRPC (ErrorInfo, BadRequest, ...),
            // which the JSON writer can only write as google.protobuf.Any if it knows their types.
            o.TypeRegistry = Google.Protobuf.Reflection.TypeRegistry.FromFiles(Google.Rpc.ErrorDetailsReflection.Descriptor);
        });
        services.AddGrpcSwagger();
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "Leeds Care Record API",
                Version = "v1",
                Description = "JSON over HTTP for every external call of the Leeds Care Record gateway, generated from its gRPC " +
                    "protos (gRPC JSON transcoding). Send `authorization: Bearer <token>` as on gRPC; errors are google.rpc.Status " +
                    "JSON with the same ErrorInfo reasons and BadRequest field violations. See docs/clients.md.",
            });
            // The document is the protos' routes only: other HTTP endpoints of the gateway (FHIR's own
            // CapabilityStatement describes /fhir) are not part of it.
            o.DocInclusionPredicate((_, api) =>
                api.ActionDescriptor.EndpointMetadata.OfType<Microsoft.AspNetCore.Grpc.JsonTranscoding.GrpcJsonTranscodingMetadata>().Any());
            var comments = Path.Combine(AppContext.BaseDirectory, "Lcr.Contracts.xml");
            if (File.Exists(comments))
            {
                o.IncludeGrpcXmlComments(comments, includeControllerXmlComments: true);
            }
        });
        // AddGrpc above registers Grpc.AspNetCore's built-in method binder again; the platform
        // binds gRPC methods through its guarded binder (RequestParsing), so take it out again.
        foreach (var builtIn in services.Where(d => d.ServiceType == typeof(IServiceMethodProvider<>) &&
            d.ImplementationType is { IsGenericTypeDefinition: true, Name: "BinderServiceMethodProvider`1" }).ToList())
        {
            services.Remove(builtIn);
        }

        // Before the rate limiter and every other interceptor (TranscodingInputGuard).
        services.AddSingleton<TranscodingInputGuard.Marker>();
        services.Configure<Grpc.AspNetCore.Server.GrpcServiceOptions>(o =>
        {
            o.Interceptors.Add<TranscodingInputGuard.Marker>();
            var marker = o.Interceptors[^1];
            o.Interceptors.RemoveAt(o.Interceptors.Count - 1);
            o.Interceptors.Insert(0, marker);
        });

        var origins = BrowserCorsPolicy.Validate(
            builder.Configuration.GetSection(BrowserCorsPolicy.ConfigurationKey).Get<string[]>() ?? [],
            builder.Environment.IsProduction());
        services.AddCors(o => o.AddPolicy(BrowserCorsPolicy.Name, BrowserCorsPolicy.Build(origins)));
        return builder;
    }

    /// <summary>CORS then gRPC-Web, before the gRPC services are mapped; the OpenAPI document.</summary>
    public static WebApplication UseGatewayHttpApi(this WebApplication app)
    {
        app.UseCors(BrowserCorsPolicy.Name);
        app.UseGrpcWeb(new GrpcWebOptions { DefaultEnabled = true });
        app.UseMiddleware<TranscodingInputGuard>();
        app.UseSwagger(o => o.RouteTemplate = "openapi/{documentName}.json");
        return app;
    }
}
