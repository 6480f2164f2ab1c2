using Lcr.Clinical.V1;
using Lcr.Common.V1;

namespace Lcr.Gateway.Records;

/// <summary>
/// What a role that sees only that each risk or alert exists and its kind is shown of an alert
/// (<see cref="Lcr.Security.VerifiedAccessToken.AlertDetailsWithheld"/>): a new entry holding
/// only the id, NHS number, category, status, clinical time, provenance, version, the
/// entered-in-error flag and the alert's kind, severity, status and period. The code (what the
/// alert is, e.g. "Subject of child protection plan"), the comment (what to do), the
/// retraction reason and anything added to Entry later are never copied: an allow-list, so a
/// new field is withheld until someone decides otherwise. Pure.
/// </summary>
public static class AlertKindOnly
{
    /// <summary>True for an entry of the risks-and-alerts category (whatever its detail).</summary>
    public static bool IsAlert(Entry entry) =>
        entry.Category == RecordCategory.RisksAndAlerts || entry.DetailCase == Entry.DetailOneofCase.Alert;

    /// <summary>The kind-only view of an alert; any other entry is returned unchanged.</summary>
    public static Entry Apply(Entry entry)
    {
        if (!IsAlert(entry))
        {
            return entry;
        }

        var view = new Entry
        {
            Id = entry.Id,
            NhsNumber = entry.NhsNumber,
            Category = entry.Category,
            Status = entry.Status,
            ClinicalTime = entry.ClinicalTime?.Clone(),
            Provenance = entry.Provenance?.Clone(),
            Version = entry.Version,
            EnteredInError = entry.EnteredInError,
        };
        if (entry.Alert is { } alert)
        {
            view.Alert = new Alert
            {
                Kind = alert.Kind,
                Severity = alert.Severity,
                Status = alert.Status,
                StartDate = alert.StartDate?.Clone(),
                EndDate = alert.EndDate?.Clone(),
            };
        }

        return view;
    }
}
