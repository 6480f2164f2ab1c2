namespace Lcr.Gateway.Fhir;

/// <summary>
/// The identifier and code systems every FHIR output of the gateway uses: UK Core's (NHS
/// number, ODS code, SNOMED CT, dm+d, UCUM), HL7's terminology, and the platform's own.
/// </summary>
public static class FhirSystems
{
    public const string NhsNumber = "https://fhir.nhs.uk/Id/nhs-number";
    public const string Ods = "https://fhir.nhs.uk/Id/ods-organization-code";
    public const string Snomed = "http://snomed.info/sct";

    /// <summary>dm+d concepts are SNOMED CT concepts: UK Core codes medicines in the SNOMED CT system.</summary>
    public const string Dmd = Snomed;

    public const string Ucum = "http://unitsofmeasure.org";

    public const string EntryId = "https://leeds-care-record.nhs.uk/Id/entry-id";
    public const string SourceEntryId = "https://leeds-care-record.nhs.uk/Id/source-entry-id";
    public const string ReportId = "https://leeds-care-record.nhs.uk/Id/source-report-id";
    public const string ProfessionalId = "https://leeds-care-record.nhs.uk/Id/professional-id";
    public const string SystemClientId = "https://leeds-care-record.nhs.uk/Id/system-client-id";
    public const string ExportId = "https://leeds-care-record.nhs.uk/Id/subject-access-export";
    public const string AuditAction = "https://leeds-care-record.nhs.uk/CodeSystem/audit-action";

    /// <summary>The platform's kinds of risk or alert (clinical AlertKind: risk-to-self, risk-to-others, risk-to-staff, safeguarding, clinical).</summary>
    public const string AlertKind = "https://leeds-care-record.nhs.uk/CodeSystem/alert-kind";

    /// <summary>The platform's error reasons (google.rpc.ErrorInfo.reason), as OperationOutcome.issue.details codes.</summary>
    public const string ErrorReason = "https://leeds-care-record.nhs.uk/CodeSystem/error-reason";

    public const string ConditionClinical = "http://terminology.hl7.org/CodeSystem/condition-clinical";
    public const string ConditionVerification = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
    public const string ConditionCategory = "http://terminology.hl7.org/CodeSystem/condition-category";
    public const string AllergyClinical = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
    public const string AllergyVerification = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification";
    public const string ObservationCategory = "http://terminology.hl7.org/CodeSystem/observation-category";
    public const string Interpretation = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
    public const string DiagnosticServiceSection = "http://terminology.hl7.org/CodeSystem/v2-0074";
    public const string DataOperation = "http://terminology.hl7.org/CodeSystem/v3-DataOperation";
    public const string ParticipantType = "http://terminology.hl7.org/CodeSystem/provenance-participant-type";
    public const string ActReason = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
    public const string Confidentiality = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";
    public const string Dicom = "http://dicom.nema.org/resources/ontology/DCM";
    public const string SecuritySourceType = "http://terminology.hl7.org/CodeSystem/security-source-type";
    public const string EntityType = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
    public const string ObjectRole = "http://terminology.hl7.org/CodeSystem/object-role";
    public const string FlagCategory = "http://terminology.hl7.org/CodeSystem/flag-category";

    /// <summary>The R4 core extension for a Flag's priority (valueCodeableConcept from <see cref="FlagPriorityCode"/>).</summary>
    public const string FlagPriorityExtension = "http://hl7.org/fhir/StructureDefinition/flag-priority";
    public const string FlagPriorityCode = "http://hl7.org/fhir/flag-priority-code";
}
