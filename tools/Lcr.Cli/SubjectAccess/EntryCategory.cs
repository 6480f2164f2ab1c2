namespace Lcr.Cli.SubjectAccess;

/// <summary>The record categories a patient's copy is arranged by, in the order it shows them.</summary>
internal enum EntryCategory
{
    /// <summary>Risks and alerts (FHIR Flag): first, as in every view of the record.</summary>
    Alerts,
    Problems,
    Medications,
    Allergies,
    TestResults,
    Documents,
}
