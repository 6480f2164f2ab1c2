using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Gateway.SubjectAccess;
using Lcr.Gateway.V1;
using Lcr.Identity.V1;
using static Lcr.Gateway.Tests.Callers;

namespace Lcr.Gateway.Tests.Alerts;

/// <summary>Contributions, relationships and calls the alerts tests share, all through the gateway.</summary>
internal static class AlertScenario
{
    /// <summary>One alert contributed by a feed (b86001-gp-feed or rr8-ppm-feed); its platform id.</summary>
    public static async Task<string> ContributeAlertAsync(Grpc.Net.Client.GrpcChannel gateway, string feed, string nhs, AlertKind kind, AlertSeverity severity,
        string code, string display, string comment)
    {
        var entry = new Entry
        {
            NhsNumber = nhs,
            Category = RecordCategory.RisksAndAlerts,
            Code = new CodedConcept { System = "http://snomed.info/sct", Code = code, Display = display },
            Comment = comment,
            Provenance = new Provenance { SourceEntryId = "alert-" + Guid.NewGuid().ToString("N") },
            Alert = new Alert
            {
                Kind = kind,
                Severity = severity,
                Status = AlertStatus.Active,
                StartDate = new Date { Year = 2026, Month = 1, Day = 5 },
            },
        };
        var response = await new ClinicalRecordService.ClinicalRecordServiceClient(gateway).UpsertEntriesAsync(new UpsertEntriesRequest
        {
            SourceSystem = feed.StartsWith("rr8", StringComparison.Ordinal) ? "PPM+" : "SystmOne",
            Entries = { new EntryContribution { Entry = entry } },
        }, Bearer(await SystemAsync(gateway, feed, "record.contribute")));
        return response.Results.Single().EntryId;
    }

    /// <summary>The hospital's outpatient feed records an episode with the clerk's team, so the RR8 admin clerk (R8008) gets a token.</summary>
    public static async Task ClerkSeesPatientAsync(Grpc.Net.Client.GrpcChannel gateway, string nhs)
    {
        var feed = await SystemAsync(gateway, "rr8-ppm-feed", "relationships.write");
        await IdentityClient(gateway).RecordCareRelationshipAsync(new RecordCareRelationshipRequest
        {
            CareRelationship = new CareRelationship
            {
                NhsNumber = nhs,
                Kind = CareRelationshipKind.OutpatientEpisode,
                TeamId = "RR8:CARDIOLOGY-OP",
                StartTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-1)),
                Source = new Provenance { SourceEntryId = "alerts-op-" + Guid.NewGuid().ToString("N"), SourceSystem = "PPM+" },
            },
        }, Bearer(feed));
    }

    /// <summary>A subject access export as received: the header and the parsed Bundle.</summary>
    public static async Task<(SubjectAccessExportHeader Header, Hl7.Fhir.Model.Bundle Bundle)> ExportAsync(Grpc.Net.Client.GrpcChannel gateway, string token,
        string nhs)
    {
        using var call = new SubjectAccessService.SubjectAccessServiceClient(gateway).ExportSubjectAccess(
            new ExportSubjectAccessRequest { NhsNumber = nhs, WholeRecord = true }, Bearer(token));
        SubjectAccessExportHeader? header = null;
        using var bytes = new MemoryStream();
        await foreach (var m in call.ResponseStream.ReadAllAsync())
        {
            if (m.PartCase == ExportSubjectAccessResponse.PartOneofCase.Header)
            {
                header = m.Header;
            }
            else if (m.PartCase == ExportSubjectAccessResponse.PartOneofCase.BundleChunk)
            {
                m.BundleChunk.WriteTo(bytes);
            }
        }

        Assert.NotNull(header);
        return (header, System.Text.Json.JsonSerializer.Deserialize<Hl7.Fhir.Model.Bundle>(bytes.ToArray(), SubjectAccessExporter.Json)!);
    }
}
