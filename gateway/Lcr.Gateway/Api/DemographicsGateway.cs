using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Demographics.V1;
using Lcr.Gateway.Access;
using Lcr.Gateway.Downstream;
using Lcr.Gateway.Patients;
using Lcr.Gateway.Records;
using Lcr.Security;
using Lcr.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Lcr.Gateway.Api;

/// <summary>
/// Demographics at the front door: registration and PDS feeds write with
/// <c>demographics.write</c>; signed-in professionals trace patients with SearchPatients, each
/// returned patient audited as a search and restricted patients' location withheld. A single
/// patient's demographics are read with GatewayService.GetPatientRecord. The platform's PDS feed
/// (<c>demographics.merge</c>, a system of one of the platform's IG organisations) reports and
/// withdraws supersessions (merges), each audited under both numbers.
/// </summary>
[AuthenticatedCaller]
public sealed class DemographicsGateway(CallerAuthenticator auth, GovernancePolicy policy, Lcr.Demographics.V1.DemographicsService.DemographicsServiceClient demographics, Lcr.Consent.V1.ConsentService.ConsentServiceClient consent, AuditTrail audit,
    IOptions<GovernanceOptions> governance)
    : DemographicsService.DemographicsServiceBase
{
    /// <summary>
    /// A system with <c>demographics.merge</c> of one of the platform's governance organisations
    /// (Gateway:PlatformGovernanceOrganisations): a merge joins two patients' records for every
    /// organisation, so no single organisation's feed may make one.
    /// </summary>
    private async Task<Actor> MergeFeedAsync(ServerCallContext context)
    {
        var actor = (await auth.RequireSystemAsync(context, Scopes.DemographicsMerge)).ToActor();
        if (!OrganisationLinkRule.ActsForEveryone(actor.Organisation?.OdsCode ?? string.Empty, governance.Value))
        {
            throw new PermissionDeniedException("PLATFORM_GOVERNANCE_ONLY",
                "Only the platform's demographics feed (a system of the platform's information-governance organisation) may report or list supersessions.");
        }

        return actor;
    }

    /// <summary>
    /// Through demographics (idempotent per notice id); the two NHS_NUMBER_SUPERSEDED events (one under
    /// each number) are committed before the reply, and a re-sent notice sends the same two
    /// (<see cref="SupersessionEvents"/>: recorded once).
    /// </summary>
    [SystemScope(Scopes.DemographicsMerge)]
    public override async Task<ReportSupersessionResponse> ReportSupersession(ReportSupersessionRequest request, ServerCallContext context)
    {
        var actor = await MergeFeedAsync(context);
        var response = await demographics.ReportSupersessionAsync(request, DownstreamCalls.As(actor, context));
        if (response.Supersession is { } s)
        {
            await audit.CommitAsync(SupersessionEvents.Reported(audit, s), context);
        }

        return response;
    }

    /// <summary>An unmerge, as <see cref="ReportSupersession"/>: NHS_NUMBER_SUPERSESSION_WITHDRAWN under each number.</summary>
    [SystemScope(Scopes.DemographicsMerge)]
    public override async Task<WithdrawSupersessionResponse> WithdrawSupersession(WithdrawSupersessionRequest request, ServerCallContext context)
    {
        var actor = await MergeFeedAsync(context);
        var response = await demographics.WithdrawSupersessionAsync(request, DownstreamCalls.As(actor, context));
        if (response.Supersession is { State: SupersessionState.Withdrawn } s)
        {
            await audit.CommitAsync(SupersessionEvents.Withdrawn(audit, s), context);
        }

        return response;
    }

    [SystemScope(Scopes.DemographicsMerge)]
    public override async Task<ListSupersessionsResponse> ListSupersessions(ListSupersessionsRequest request, ServerCallContext context)
    {
        var actor = await MergeFeedAsync(context);
        return await demographics.ListSupersessionsAsync(request, DownstreamCalls.As(actor, context));
    }

    public override Task<ResolveNhsNumberResponse> ResolveNhsNumber(ResolveNhsNumberRequest request, ServerCallContext context) =>
        throw new PermissionDeniedException("INTERNAL_ONLY", "NHS numbers are resolved inside the platform, at every door.");

    /// <summary>
    /// A system changing a patient's details must be of an organisation linked to the patient
    /// (docs/architecture.md, "Where trust stops"); a malformed NHS number is left to
    /// demographics, which names the field.
    /// </summary>
    private async Task<Actor> LinkedWriterAsync(ServerCallContext context, string nhsNumber)
    {
        var system = await auth.RequireSystemAsync(context, Scopes.DemographicsWrite);
        var actor = system.ToActor();
        if (NhsNumber.IsValid(nhsNumber))
        {
            await policy.RequireLinkedAsync(system.OrganisationOdsCode,
                policy.Attempt(actor, nhsNumber, Scopes.DemographicsWrite, PurposeOfUse.RecordContribution), context);
        }

        return actor;
    }

    [SystemScope(Scopes.DemographicsWrite)]
    public override async Task<CreatePatientResponse> CreatePatient(CreatePatientRequest request, ServerCallContext context)
    {
        var system = await auth.RequireSystemAsync(context, Scopes.DemographicsWrite);
        return await demographics.CreatePatientAsync(request, DownstreamCalls.As(system.ToActor(), context));
    }

    [SystemScope(Scopes.DemographicsWrite)]
    public override async Task<UpdatePatientResponse> UpdatePatient(UpdatePatientRequest request, ServerCallContext context)
    {
        var actor = await LinkedWriterAsync(context, request.Patient?.NhsNumber ?? string.Empty);
        return await demographics.UpdatePatientAsync(request, DownstreamCalls.As(actor, context));
    }

    [SystemScope(Scopes.DemographicsWrite)]
    public override async Task<UpdateContactDetailsResponse> UpdateContactDetails(UpdateContactDetailsRequest request, ServerCallContext context)
    {
        var actor = await LinkedWriterAsync(context, request.NhsNumber);
        return await demographics.UpdateContactDetailsAsync(request, DownstreamCalls.As(actor, context));
    }

    /// <summary>
    /// A trace. A session names no organisation relationship, so each found patient's seal is read
    /// from consent (GetConsent, internally as the platform, in parallel; consent caches): a sealed
    /// patient whose seal does not name the professional is left out of <c>patients</c>, listed in
    /// <c>sealed_nhs_numbers</c>, and audited as a SEARCH denied RECORD_SEALED with nothing returned.
    /// A seal naming only teams does not admit a search (a session rests on no team): such a viewer
    /// reads the record with an access token resting on the team's relationship. A merged patient's
    /// seal is the stricter of its numbers' (any number's seal that does not name the professional
    /// leaves it out). Superseded numbers that matched are passed on as pointers (<c>superseded</c>),
    /// each audited as a SEARCH under the superseded number, denied NHS_NUMBER_SUPERSEDED with the
    /// supersession, nothing returned.
    /// </summary>
    [SessionCaller]
    public override async Task<SearchPatientsResponse> SearchPatients(SearchPatientsRequest request, ServerCallContext context)
    {
        var professional = await auth.RequireSessionAsync(context);
        var found = await demographics.SearchPatientsAsync(request, DownstreamCalls.As(professional, context));
        var seals = await Task.WhenAll(found.Patients.Select(p => SealOfAsync(p, professional.Id, context)));
        var response = new SearchPatientsResponse { NextPageToken = found.NextPageToken };
        var events = new List<AuditEvent>();
        foreach (var pointer in found.Superseded.Where(x => NhsNumber.IsValid(x.NhsNumber) && NhsNumber.IsValid(x.CurrentNhsNumber)))
        {
            var e = audit.For(professional, pointer.NhsNumber, AuditAction.Search, PurposeOfUse.DirectCare);
            e.Outcome = AuditOutcome.Denied;
            e.DenialReason = AuditDenialReason.NhsNumberSuperseded;
            e.Supersession = new SupersessionDetail { SupersededNhsNumber = pointer.NhsNumber, CurrentNhsNumber = pointer.CurrentNhsNumber };
            events.Add(e);
            response.Superseded.Add(pointer);
        }

        for (var i = 0; i < found.Patients.Count; i++)
        {
            var p = found.Patients[i];
            var e = audit.For(professional, p.NhsNumber, AuditAction.Search, PurposeOfUse.DirectCare);
            e.MergedNhsNumbers.AddRange(p.MergedNhsNumbers);
            if (p.DeathDate is not null)
            {
                e.PatientDeathDate = p.DeathDate.Clone();
            }

            if (seals[i] is { } seal && !SealedRecordRule.NamesProfessional(seal, professional.Id))
            {
                response.SealedNhsNumbers.Add(p.NhsNumber);
                e.Outcome = AuditOutcome.Denied;
                e.DenialReason = AuditDenialReason.RecordSealed;
                e.SealedRecord = new SealedRecordAccess { ViewerNamed = false };
                events.Add(e);
                continue;
            }

            if (seals[i] is not null)
            {
                e.SealedRecord = new SealedRecordAccess { ViewerNamed = true };
            }

            response.Patients.Add(RecordFilter.Demographics(p, out _));
            e.ReturnedCategories.Add(RecordCategory.Demographics);
            events.Add(e);
        }

        await audit.CommitAsync(events, context);

        return response;
    }

    /// <summary>
    /// The patient's seal, or null when the record is not sealed. A merged patient's consent comes
    /// with each merged number's: a seal that does not name the professional wins over one that does.
    /// </summary>
    private async Task<Consent.V1.Seal?> SealOfAsync(Patient patient, string professionalId, ServerCallContext context)
    {
        var request = new Consent.V1.GetConsentRequest { NhsNumber = patient.NhsNumber, MergedNhsNumbers = { patient.MergedNhsNumbers.Take(50) } };
        var response = await consent.GetConsentAsync(request, DownstreamCalls.As(PlatformActor.Gateway, context));
        var seals = response.MergedConsents.Select(c => c.Seal).Prepend(response.Consent?.Seal).OfType<Consent.V1.Seal>().ToList();
        return seals.FirstOrDefault(s => !SealedRecordRule.NamesProfessional(s, professionalId)) ?? seals.FirstOrDefault();
    }

    public override Task<GetPatientResponse> GetPatient(GetPatientRequest request, ServerCallContext context) =>
        throw new PermissionDeniedException("USE_GATEWAY_SERVICE", "Read a patient with lcr.gateway.v1.GatewayService.GetPatientRecord.");

    public override Task<ListPatientHistoryResponse> ListPatientHistory(ListPatientHistoryRequest request, ServerCallContext context) =>
        throw new PermissionDeniedException("USE_GATEWAY_SERVICE", "Demographic history is not exposed outside the platform.");
}
