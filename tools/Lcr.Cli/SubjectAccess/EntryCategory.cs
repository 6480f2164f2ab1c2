namespace Lcr.Cli.SubjectAccess;

/// <summary>The record categories a patient's copy is arranged by, in the order it shows them.</summary>
internal enum EntryCategory
{
    Problems,
    Medications,
    Allergies,
    TestResults,
    Documents,
}
