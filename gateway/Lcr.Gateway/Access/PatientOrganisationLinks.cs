using Grpc.Core;
using Lcr.Clinical.V1;
using Lcr.Demographics.V1;
using Lcr.Gateway.Downstream;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults;

namespace Lcr.Gateway.Access;

/// <summary>
/// Whether an organisation is linked to a patient (<see cref="OrganisationLinkRule"/>), asked
/// of the services that hold the facts, with internal calls made as the platform and in
/// parallel: demographics (the patient's registered practice and who recorded each version of
/// their details), clinical (any entry the organisation contributed, retracted ones included:
/// one entry is enough, so one page of one) and identity (care relationships, current or
/// ended). A patient others were merged into (demographics' ResolveNhsNumber, given by the
/// caller) is linked through any of the numbers: identity and clinical are given the merged set,
/// and each merged number's demographics are asked too. The services never call each other: only the gateway composes. A service that
/// cannot answer makes the whole check UNAVAILABLE, never a guess.
/// </summary>
public sealed class PatientOrganisationLinks(Lcr.Identity.V1.IdentityService.IdentityServiceClient identity, Lcr.Demographics.V1.DemographicsService.DemographicsServiceClient demographics, Lcr.Clinical.V1.ClinicalRecordService.ClinicalRecordServiceClient clinical)
{
    private const int HistoryPageSize = 200;

    public async Task<bool> IsLinkedAsync(string organisationOds, string nhsNumber, ServerCallContext context) =>
        await IsLinkedAsync(organisationOds, nhsNumber, [], context);

    /// <summary>Linked to the patient under <paramref name="nhsNumber"/> or any number merged into it.</summary>
    public async Task<bool> IsLinkedAsync(string organisationOds, string nhsNumber, IReadOnlyList<string> merged, ServerCallContext context)
    {
        var relationship = RelationshipAsync(organisationOds, nhsNumber, merged, context);
        var contributed = ContributedAsync(organisationOds, nhsNumber, merged, context);
        var demographics = merged.Prepend(nhsNumber).Select(n => DemographicsAsync(organisationOds, n, context)).ToList();
        await Task.WhenAll(demographics.Append(relationship).Append(contributed));
        return await relationship || await contributed || demographics.Any(d => d.Result);
    }

    private async Task<bool> RelationshipAsync(string ods, string nhsNumber, IReadOnlyList<string> merged, ServerCallContext c)
    {
        var request = new CheckOrganisationLinkRequest { NhsNumber = nhsNumber, OrganisationOdsCode = ods, MergedNhsNumbers = { merged } };
        var response = await identity.CheckOrganisationLinkAsync(request, DownstreamCalls.As(PlatformActor.Gateway, c));
        return response.Linked;
    }

    private async Task<bool> ContributedAsync(string ods, string nhsNumber, IReadOnlyList<string> merged, ServerCallContext c)
    {
        var request = new ListEntriesRequest
        {
            NhsNumber = nhsNumber,
            MergedNhsNumbers = { merged },
            SourceOrganisationOdsCodes = { ods },
            IncludeEnteredInError = true,
            IncludeSensitive = true,
            PageSize = 1,
        };
        var response = await clinical.ListEntriesAsync(request, DownstreamCalls.As(PlatformActor.Gateway, c));
        return response.Entries.Count > 0;
    }

    private async Task<bool> DemographicsAsync(string ods, string nhsNumber, ServerCallContext c)
    {
        Patient? patient;
        try
        {
            patient = (await demographics.GetPatientAsync(new GetPatientRequest { NhsNumber = nhsNumber }, DownstreamCalls.As(PlatformActor.Gateway, c))).Patient;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return false; // no demographics, so no version either
        }

        if (OrganisationLinkRule.IsLinked(ods, patient, [], false, false))
        {
            return true;
        }

        var page = string.Empty;
        do
        {
            var request = new ListPatientHistoryRequest { NhsNumber = nhsNumber, PageSize = HistoryPageSize, PageToken = page };
            var history = await demographics.ListPatientHistoryAsync(request, DownstreamCalls.As(PlatformActor.Gateway, c));
            if (OrganisationLinkRule.IsLinked(ods, null, history.Versions, false, false))
            {
                return true;
            }

            page = history.NextPageToken;
        }
        while (!string.IsNullOrEmpty(page));

        return false;
    }
}
