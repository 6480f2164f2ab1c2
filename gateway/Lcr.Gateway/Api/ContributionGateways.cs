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
/// Clinical contributions from system clients with <c>record.contribute</c>. The source
/// organisation is always the token's organisation: a feed cannot contribute in another
/// organisation's name. Every change is audited as a CONTRIBUTION event per patient naming
/// the entries written, committed before the reply. Known gap: if the write commits and the
/// audit commit then fails, the feed is told UNAVAILABLE and its retry is answered UNCHANGED,
/// which records no event; the contribution stays attributable through the clinical
/// record's own version history (actor, organisation and time of every version), see
/// docs/services/audit.md "Known limits". Record reads are not exposed here: they go through
/// GatewayService, where consent and audit are enforced.
/// </summary>
[AuthenticatedCaller]
public sealed class ClinicalGateway(CallerAuthenticator auth, Lcr.Clinical.V1.ClinicalRecordService.ClinicalRecordServiceClient clinical, AuditTrail audit) : ClinicalRecordService.ClinicalRecordServiceBase
{
    [SystemScope(Scopes.RecordContribute)]
    public override async Task<UpsertEntriesResponse> UpsertEntries(UpsertEntriesRequest request, ServerCallContext context)
    {
        var system = await auth.RequireSystemAsync(context, Scopes.RecordContribute);
        if (!string.IsNullOrEmpty(request.SourceOrganisationOdsCode) &&
            !string.Equals(request.SourceOrganisationOdsCode, system.OrganisationOdsCode, StringComparison.OrdinalIgnoreCase))
        {
            throw new PermissionDeniedException("SOURCE_ORGANISATION_MISMATCH",
                "A system may contribute only for its own organisation (source_organisation_ods_code must be the token's).");
        }

        var forwarded = request.Clone();
        forwarded.SourceOrganisationOdsCode = system.OrganisationOdsCode;
        var actor = system.ToActor();
        var response = await clinical.UpsertEntriesAsync(forwarded, DownstreamCalls.As(actor, context));

        // One event per patient whose record changed, naming the entries written (unchanged re-sends change nothing).
        var events = new List<AuditEvent>();
        var results = response.Results.GroupBy(r => r.SourceEntryId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        var changed = forwarded.Entries
            .Select(c => (c.Entry, Result: c.Entry?.Provenance is { } p ? results.GetValueOrDefault(p.SourceEntryId) : null))
            .Where(x => x.Entry is not null && x.Result?.Outcome is UpsertOutcome.Created or UpsertOutcome.Updated)
            .GroupBy(x => x.Entry.NhsNumber, StringComparer.Ordinal);
        foreach (var patient in changed)
        {
            var e = audit.For(actor, patient.Key, AuditAction.Contribution, PurposeOfUse.RecordContribution);
            e.ReturnedCategories.AddRange(patient.Select(x => x.Entry.Category).Distinct().Order());
            e.ReturnedEntryIds.AddRange(patient.Select(x => x.Result!.EntryId).Distinct().Take(1000));
            events.Add(e);
        }

        foreach (var chunk in events.Chunk(100))
        {
            await audit.CommitAsync(chunk, context);
        }

        return response;
    }

    [SystemScope(Scopes.RecordContribute)]
    public override async Task<RetractEntryResponse> RetractEntry(RetractEntryRequest request, ServerCallContext context)
    {
        var system = await auth.RequireSystemAsync(context, Scopes.RecordContribute);
        var actor = system.ToActor();
        var response = await clinical.RetractEntryAsync(request, DownstreamCalls.As(actor, context));
        var e = audit.For(actor, request.NhsNumber, AuditAction.Contribution, PurposeOfUse.RecordContribution);
        if (response.Entry is { } entry)
        {
            e.ReturnedCategories.Add(entry.Category);
            e.ReturnedEntryIds.Add(entry.Id);
        }

        await audit.CommitAsync(e, context);
        return response;
    }

    private static PermissionDeniedException ReadHere() =>
        new("USE_GATEWAY_SERVICE", "Record reads go through lcr.gateway.v1.GatewayService, which enforces consent and audit.");

    public override Task<GetRecordSummaryResponse> GetRecordSummary(GetRecordSummaryRequest request, ServerCallContext context) => throw ReadHere();
    public override Task<ListEntriesResponse> ListEntries(ListEntriesRequest request, ServerCallContext context) => throw ReadHere();
    public override Task<GetEntryResponse> GetEntry(GetEntryRequest request, ServerCallContext context) => throw ReadHere();
    public override Task<Clinical.V1.GetDocumentContentResponse> GetDocumentContent(Clinical.V1.GetDocumentContentRequest request, ServerCallContext context) => throw ReadHere();
    public override Task<ListEntryHistoryResponse> ListEntryHistory(ListEntryHistoryRequest request, ServerCallContext context) => throw ReadHere();
}
