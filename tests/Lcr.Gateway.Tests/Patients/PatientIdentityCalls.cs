using Grpc.Core;
using Grpc.Net.Client;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Demographics.V1;
using static Lcr.Gateway.Tests.Callers;

namespace Lcr.Gateway.Tests.Patients;

/// <summary>The feed calls the merged-number tests make through the gateway: a contribution and a PDS merge notice.</summary>
internal static class PatientIdentityCalls
{
    /// <summary>An active asthma problem contributed by B86001's GP feed under <paramref name="nhs"/>; its entry id.</summary>
    public static async Task<string> ContributeProblemAsync(GrpcChannel gateway, string nhs)
    {
        var feed = Bearer(await SystemAsync(gateway, "b86001-gp-feed", "record.contribute"));
        var written = await new ClinicalRecordService.ClinicalRecordServiceClient(gateway).UpsertEntriesAsync(new UpsertEntriesRequest
        {
            SourceSystem = "SystmOne",
            Entries =
            {
                new EntryContribution
                {
                    Entry = new Entry
                    {
                        NhsNumber = nhs,
                        Category = RecordCategory.Problems,
                        Code = new CodedConcept { System = "http://snomed.info/sct", Code = "195967001", Display = "Asthma" },
                        Provenance = new Provenance { SourceEntryId = "merge-test-" + Guid.NewGuid().ToString("N") },
                        Problem = new Problem { ClinicalStatus = ProblemClinicalStatus.Active, OnsetDate = new Date { Year = 2023, Month = 9, Day = 2 } },
                    },
                },
            },
        }, feed);
        return written.Results.Single().EntryId;
    }

    /// <summary>The platform's PDS feed (lcr01-pds-feed, demographics.merge) reports <paramref name="away"/> superseded by <paramref name="into"/>.</summary>
    public static async Task<ReportSupersessionResponse> MergeAsync(GrpcChannel gateway, string notice, string away, string into) =>
        await new DemographicsService.DemographicsServiceClient(gateway).ReportSupersessionAsync(
            new ReportSupersessionRequest { NoticeId = notice, SupersededNhsNumber = away, NhsNumber = into },
            Bearer(await SystemAsync(gateway, "lcr01-pds-feed", "demographics.merge")));

    /// <summary>The PDS feed's bearer metadata.</summary>
    public static async Task<Metadata> PdsFeedAsync(GrpcChannel gateway) => Bearer(await SystemAsync(gateway, "lcr01-pds-feed", "demographics.merge"));
}
