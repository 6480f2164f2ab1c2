using Lcr.Audit.V1;

namespace Lcr.Audit.Tests;

/// <summary>ListEventsByPatient's <c>denied_actions</c>: further actions listed only when denied, in one page order.</summary>
public class PatientLogFilterTests(AuditHost host) : IClassFixture<AuditHost>
{
    private AuditService.AuditServiceClient Client => host.Client;

    [Fact]
    public async Task Denied_actions_add_only_the_refusals_of_those_actions()
    {
        var nhs = AuditHost.NewNhsNumber();
        var view = AuditHost.View(nhs);
        var refusedView = AuditHost.Denial(nhs, "prof-2");
        var grantedToken = AuditHost.View(nhs, "prof-1", AuditAction.TokenIssued);
        var refusedToken = AuditHost.Denial(nhs, "prof-3", AuditDenialReason.NoCareRelationship);
        refusedToken.Action = AuditAction.TokenIssued;
        var consent = AuditHost.View(nhs, "prof-4", AuditAction.ConsentChange);
        foreach (var e in new[] { view, refusedView, grantedToken, refusedToken, consent })
        {
            await host.RecordAsync(e); // one call each: distinct record times
        }

        var log = await Client.ListEventsByPatientAsync(new ListEventsByPatientRequest
        {
            NhsNumber = nhs, Actions = { AuditAction.ViewSummary }, DeniedActions = { AuditAction.TokenIssued },
        }, AuditHost.IgOfficer());
        Assert.Equal([refusedToken.EventId, refusedView.EventId, view.EventId], log.Events.Select(e => e.EventId));

        var permittedViews = await Client.ListEventsByPatientAsync(new ListEventsByPatientRequest
        {
            NhsNumber = nhs, Actions = { AuditAction.ViewSummary }, Outcomes = { AuditOutcome.Permitted }, DeniedActions = { AuditAction.TokenIssued },
        }, AuditHost.IgOfficer());
        Assert.Equal([refusedToken.EventId, view.EventId], permittedViews.Events.Select(e => e.EventId));

        // Paged one at a time, the same three in the same order; a token is bound to its filters.
        var seen = new List<string>();
        var token = string.Empty;
        do
        {
            var page = await Client.ListEventsByPatientAsync(new ListEventsByPatientRequest
            {
                NhsNumber = nhs, Actions = { AuditAction.ViewSummary }, DeniedActions = { AuditAction.TokenIssued }, PageSize = 1, PageToken = token,
            }, AuditHost.IgOfficer());
            seen.AddRange(page.Events.Select(e => e.EventId));
            token = page.NextPageToken;
            if (token.Length > 0 && seen.Count == 1)
            {
                await RpcAssert.InvalidFields(async () => await Client.ListEventsByPatientAsync(new ListEventsByPatientRequest
                {
                    NhsNumber = nhs, Actions = { AuditAction.ViewSummary }, PageSize = 1, PageToken = token,
                }, AuditHost.IgOfficer()), "page_token");
            }
        }
        while (token.Length > 0);
        Assert.Equal(log.Events.Select(e => e.EventId), seen);
    }

    [Fact]
    public async Task An_unspecified_denied_action_is_invalid_argument()
    {
        await RpcAssert.InvalidFields(async () => await Client.ListEventsByPatientAsync(new ListEventsByPatientRequest
        {
            NhsNumber = AuditHost.NewNhsNumber(), DeniedActions = { AuditAction.Unspecified },
        }, AuditHost.IgOfficer()), "denied_actions[0]");
    }
}
