using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Gateway.Records;

namespace Lcr.Gateway.Tests.Alerts;

/// <summary>Entries and scopes for the alerts unit tests (no host).</summary>
internal static class AlertUnitFixtures
{
    public static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    public const string Nhs = "9434765919";

    public static Entry Alert(AlertKind kind, AlertSeverity severity, string ods = "B86001", string code = "718446003", string display = "Difficult airway",
        string comment = "Call the anaesthetist before any sedation", Sensitivity sensitivity = Sensitivity.Normal) => new()
    {
        Id = Guid.NewGuid().ToString(),
        NhsNumber = Nhs,
        Category = RecordCategory.RisksAndAlerts,
        Code = new CodedConcept { System = "http://snomed.info/sct", Code = code, Display = display },
        Comment = comment,
        Status = EntryStatus.Active,
        ClinicalTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(Now.AddDays(-30)),
        Version = 2,
        Sensitivity = sensitivity,
        Provenance = new Provenance
        {
            SourceEntryId = "alert-src-1",
            SourceSystem = "EMIS Web",
            SourceOrganisation = new OrganisationReference { OdsCode = ods, DisplayName = "Beckett Street Surgery" },
            RecordedTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(Now.AddDays(-29)),
        },
        Alert = new Alert
        {
            Kind = kind,
            Severity = severity,
            Status = AlertStatus.Active,
            StartDate = new Date { Year = 2026, Month = 11, Day = 1 },
            EndDate = new Date { Year = 2027, Month = 11, Day = 1 },
        },
    };

    public static Entry Problem(string ods = "B86001") => new()
    {
        Id = Guid.NewGuid().ToString(),
        NhsNumber = Nhs,
        Category = RecordCategory.Problems,
        Code = new CodedConcept { System = "http://snomed.info/sct", Code = "195967001", Display = "Asthma" },
        Comment = "Well controlled",
        Provenance = new Provenance { SourceOrganisation = new OrganisationReference { OdsCode = ods } },
        Problem = new Problem { ClinicalStatus = ProblemClinicalStatus.Active },
    };

    public static readonly RecordCategory[] AllClinical =
    [
        RecordCategory.Problems, RecordCategory.Medications, RecordCategory.Allergies, RecordCategory.TestResults, RecordCategory.Documents, RecordCategory.RisksAndAlerts,
    ];

    public static AccessScope Scope(bool kindOnly = false, EvaluateAccessResponse? decision = null, IEnumerable<RecordCategory>? categories = null) =>
        new(categories ?? AllClinical, decision ?? new EvaluateAccessResponse { Decision = AccessDecision.Permit }, alertDetailsWithheld: kindOnly);
}
