using Lcr.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Lcr.ServiceDefaults.Tests;

/// <summary>OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over our default name, as the OpenTelemetry specification says.</summary>
public sealed class TelemetryResourceTests
{
    private static async Task<(Dictionary<string, object> Traces, Dictionary<string, object> Metrics)> ResourceOfServiceStartedWith(
        Dictionary<string, string?> variables)
    {
        var builder = WebApplication.CreateBuilder();
        // The hosted builder reads the OTEL_* names through IConfiguration, whose environment variable source this stands for.
        builder.Configuration.AddInMemoryCollection(variables);
        builder.AddServiceDefaults("demographics");
        await using var app = builder.Build();
        return (Attributes(app.Services.GetRequiredService<TracerProvider>().GetResource()),
            Attributes(app.Services.GetRequiredService<MeterProvider>().GetResource()));
    }

    private static Dictionary<string, object> Attributes(Resource resource) => resource.Attributes.ToDictionary(a => a.Key, a => a.Value);

    [Fact]
    public async Task Service_started_with_OTEL_SERVICE_NAME_and_OTEL_RESOURCE_ATTRIBUTES_exports_them()
    {
        var (traces, metrics) = await ResourceOfServiceStartedWith(new()
        {
            ["OTEL_SERVICE_NAME"] = "lcr-demographics-blue",
            ["OTEL_RESOURCE_ATTRIBUTES"] = "deployment.environment.name=staging,service.namespace=nhs-leeds,k8s.namespace.name=lcr-staging",
        });

        foreach (var attributes in new[] { traces, metrics })
        {
            Assert.Equal("lcr-demographics-blue", attributes["service.name"]);
            Assert.Equal("staging", attributes["deployment.environment.name"]);
            Assert.Equal("nhs-leeds", attributes["service.namespace"]);
            Assert.Equal("lcr-staging", attributes["k8s.namespace.name"]);
        }
    }

    [Fact]
    public async Task OTEL_SERVICE_NAME_wins_over_a_service_name_in_OTEL_RESOURCE_ATTRIBUTES()
    {
        var (traces, _) = await ResourceOfServiceStartedWith(new()
        {
            ["OTEL_SERVICE_NAME"] = "from-service-name",
            ["OTEL_RESOURCE_ATTRIBUTES"] = "service.name=from-attributes",
        });

        Assert.Equal("from-service-name", traces["service.name"]);
    }

    [Fact]
    public async Task Without_the_variables_our_name_is_the_default()
    {
        var (traces, _) = await ResourceOfServiceStartedWith([]);

        Assert.Equal("lcr-demographics", traces["service.name"]);
        Assert.Equal("lcr", traces["service.namespace"]);
        Assert.True(traces.ContainsKey("service.instance.id"));
    }

    [Fact]
    public void Resource_builder_alone_names_the_service_lcr_dash_name_by_default()
    {
        var resource = ServiceDefaultsExtensions.ConfigureResource(ResourceBuilder.CreateEmpty(), "audit").Build();

        Assert.Equal("lcr-audit", Attributes(resource)["service.name"]);
    }
}
