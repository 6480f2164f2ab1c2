using Lcr.Audit.V1;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Gateway.Records;
using static Lcr.Gateway.Tests.Alerts.AlertUnitFixtures;

namespace Lcr.Gateway.Tests.Alerts;

/// <summary>The kind-only rule and the alerts in a composed view, without a host.</summary>
public class AlertKindOnlyUnitTests
{
    [Fact]
    public void Kind_only_keeps_the_kind_severity_status_period_and_source_and_nothing_else()
    {
        var alert = Alert(AlertKind.Safeguarding, AlertSeverity.High, code: "764841000000100", display: "Subject of child protection plan");
        alert.RetractionReason = "a reason that is clinical text";
        var view = AlertKindOnly.Apply(alert);

        Assert.Null(view.Code);
        Assert.Equal(string.Empty, view.Comment);
        Assert.Equal(string.Empty, view.RetractionReason);
        Assert.Equal(Sensitivity.Unspecified, view.Sensitivity);
        Assert.Equal(new Entry
        {
            Id = alert.Id, NhsNumber = alert.NhsNumber, Category = alert.Category, Status = alert.Status, ClinicalTime = alert.ClinicalTime,
            Provenance = alert.Provenance, Version = alert.Version, EnteredInError = alert.EnteredInError,
            Alert = new Alert { Kind = AlertKind.Safeguarding, Severity = AlertSeverity.High, Status = AlertStatus.Active, StartDate = alert.Alert.StartDate, EndDate = alert.Alert.EndDate },
        }, view);
        Assert.Equal("764841000000100", alert.Code.Code); // the original is untouched
        Assert.DoesNotContain("child protection", view.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Kind_only_leaves_every_other_category_as_it_is()
    {
        var problem = Problem();
        Assert.Same(problem, AlertKindOnly.Apply(problem));
        Assert.Same(problem, Scope(kindOnly: true).Release(problem));
    }

    [Fact]
    public void A_scope_reduces_alerts_only_when_the_role_sees_the_kind_only_and_the_category_is_in_scope()
    {
        var alert = Alert(AlertKind.Clinical, AlertSeverity.Medium);
        Assert.Same(alert, Scope().Release(alert));
        Assert.False(Scope().AlertDetailsWithheld);
        Assert.Null(Scope(kindOnly: true).Release(alert).Code);
        Assert.True(Scope(kindOnly: true).AlertDetailsWithheld);
        Assert.False(Scope(kindOnly: true, categories: [RecordCategory.Problems]).AlertDetailsWithheld);
    }

    [Fact]
    public void Alerts_come_first_in_the_view_highest_severity_first_and_in_the_audit_ids()
    {
        var low = Alert(AlertKind.Clinical, AlertSeverity.Low);
        var high = Alert(AlertKind.RiskToStaff, AlertSeverity.High);
        var medium = Alert(AlertKind.RiskToSelf, AlertSeverity.Medium);
        var problem = Problem();
        var summary = new RecordSummary
        {
            Alerts = { low, high, medium },
            ActiveProblems = { problem },
            EntryCounts =
            {
                new EntryCount { Category = RecordCategory.RisksAndAlerts, SourceOrganisationOdsCode = "B86001", Count = 3 },
                new EntryCount { Category = RecordCategory.Problems, SourceOrganisationOdsCode = "B86001", Count = 1 },
            },
        };
        var view = RecordFilter.Compose(summary, null, Scope());

        Assert.Equal([high.Id, medium.Id, low.Id], view.Alerts.Select(a => a.Id));
        Assert.False(view.AlertDetailsWithheld);
        Assert.Equal("718446003", view.Alerts[0].Code.Code);
        Assert.Equal(3, view.CategoryCounts.Single(c => c.Category == RecordCategory.RisksAndAlerts).Count);
        Assert.Contains(RecordCategory.RisksAndAlerts, view.ReturnedCategories);

        var e = new AuditEvent();
        ReleasedContent.Describe(e, view);
        Assert.Equal([high.Id, medium.Id, low.Id, problem.Id], e.ReturnedEntryIds);
        Assert.Contains(RecordCategory.RisksAndAlerts, e.ReturnedCategories);
        Assert.False(e.AlertDetailsWithheld);
    }

    [Fact]
    public void A_kind_only_view_carries_no_code_or_comment_and_its_event_says_so_with_the_ids()
    {
        var alert = Alert(AlertKind.RiskToStaff, AlertSeverity.High, code: "424170000", display: "Violent behaviour", comment: "Do not visit alone");
        var summary = new RecordSummary
        {
            Alerts = { alert },
            EntryCounts = { new EntryCount { Category = RecordCategory.RisksAndAlerts, SourceOrganisationOdsCode = "B86001", Count = 1 } },
        };
        var view = RecordFilter.Compose(summary, null, Scope(kindOnly: true));

        Assert.True(view.AlertDetailsWithheld);
        var shown = Assert.Single(view.Alerts);
        Assert.Null(shown.Code);
        Assert.Empty(shown.Comment);
        Assert.Equal(AlertKind.RiskToStaff, shown.Alert.Kind);
        Assert.Equal(AlertSeverity.High, shown.Alert.Severity);
        Assert.Equal("B86001", shown.Provenance.SourceOrganisation.OdsCode);
        Assert.DoesNotContain("Violent", view.ToString());
        Assert.DoesNotContain("visit alone", view.ToString());

        var e = new AuditEvent();
        ReleasedContent.Describe(e, view);
        Assert.True(e.AlertDetailsWithheld);
        Assert.Equal([alert.Id], e.ReturnedEntryIds);
    }

    [Fact]
    public void A_kind_only_event_without_any_alert_in_it_does_not_claim_one()
    {
        var e = new AuditEvent();
        ReleasedContent.Describe(e, [Problem()], alertDetailsWithheld: true);
        Assert.False(e.AlertDetailsWithheld);
    }

    [Fact]
    public void A_withheld_organisations_alert_is_neither_shown_nor_counted()
    {
        var kept = Alert(AlertKind.Clinical, AlertSeverity.High, ods: "B86001");
        var withheld = Alert(AlertKind.RiskToOthers, AlertSeverity.High, ods: "RR8");
        var summary = new RecordSummary
        {
            // As if the clinical service had not applied the exclusion: the gateway's own check still holds.
            Alerts = { kept, withheld },
            EntryCounts =
            {
                new EntryCount { Category = RecordCategory.RisksAndAlerts, SourceOrganisationOdsCode = "B86001", Count = 1 },
                new EntryCount { Category = RecordCategory.RisksAndAlerts, SourceOrganisationOdsCode = "RR8", Count = 1 },
            },
        };
        var decision = new EvaluateAccessResponse { Decision = AccessDecision.Permit, WithheldOrganisationOdsCodes = { "RR8" } };
        var view = RecordFilter.Compose(summary, null, Scope(decision: decision));

        Assert.Equal([kept.Id], view.Alerts.Select(a => a.Id));
        Assert.Equal(1, view.CategoryCounts.Single(c => c.Category == RecordCategory.RisksAndAlerts).Count);
        Assert.True(view.PatientRestrictionsApply);
    }

    [Fact]
    public void Alerts_withheld_by_category_entry_or_sensitivity_are_not_shown()
    {
        var byEntry = Alert(AlertKind.Clinical, AlertSeverity.High);
        var sensitive = Alert(AlertKind.Safeguarding, AlertSeverity.High, sensitivity: Sensitivity.Sensitive);
        var summary = new RecordSummary { Alerts = { byEntry, sensitive } };

        var entryWithheld = new EvaluateAccessResponse { Decision = AccessDecision.Permit, WithheldEntryIds = { byEntry.Id } };
        Assert.Empty(RecordFilter.Compose(summary, null, Scope(decision: entryWithheld)).Alerts);

        var categoryWithheld = new EvaluateAccessResponse { Decision = AccessDecision.Permit, WithheldCategories = { RecordCategory.RisksAndAlerts } };
        var view = RecordFilter.Compose(summary, null, Scope(decision: categoryWithheld));
        Assert.Empty(view.Alerts);
        Assert.DoesNotContain(RecordCategory.RisksAndAlerts, view.ReturnedCategories);

        var released = new EvaluateAccessResponse { Decision = AccessDecision.Permit, SensitiveEntriesReleased = true };
        Assert.Equal(2, RecordFilter.Compose(summary, null, Scope(decision: released)).Alerts.Count);
    }

    [Fact]
    public void A_role_without_the_category_gets_no_alerts_and_no_count()
    {
        var summary = new RecordSummary
        {
            Alerts = { Alert(AlertKind.Clinical, AlertSeverity.High) },
            EntryCounts = { new EntryCount { Category = RecordCategory.RisksAndAlerts, SourceOrganisationOdsCode = "B86001", Count = 1 } },
        };
        var view = RecordFilter.Compose(summary, null, Scope(categories: [RecordCategory.Problems]));
        Assert.Empty(view.Alerts);
        Assert.DoesNotContain(view.CategoryCounts, c => c.Category == RecordCategory.RisksAndAlerts);
    }

    [Fact]
    public void The_summary_request_excludes_alerts_when_the_scope_does_not_hold_them()
    {
        var request = RecordFilter.SummaryRequest(Nhs, Scope(categories: [RecordCategory.Problems]), AllClinical);
        Assert.Contains(RecordCategory.RisksAndAlerts, request.ExcludedCategories);
        Assert.DoesNotContain(RecordCategory.RisksAndAlerts, RecordFilter.SummaryRequest(Nhs, Scope(), AllClinical).ExcludedCategories);
    }
}
