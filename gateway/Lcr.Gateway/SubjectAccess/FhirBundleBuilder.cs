using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using Lcr.Audit.V1;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Gateway.Records;
using R4 = Hl7.Fhir.Model;
using Proto = Lcr.Demographics.V1;

namespace Lcr.Gateway.SubjectAccess;

/// <summary>
/// Turns a <see cref="SubjectAccessData"/> into a FHIR R4 Bundle (type collection) with the
/// Firely SDK's model: pure, no I/O, so the mapping is tested without a host. The mapping
/// table is in docs/subject-access.md. Every entry version is its own resource (meta.versionId
/// = the platform version, identifier = the platform entry id and the source's id), with one
/// Provenance naming its source organisation, source system, source id and what happened.
/// </summary>
public static class FhirBundleBuilder
{
    public const string NhsNumberSystem = "https://fhir.nhs.uk/Id/nhs-number";
    public const string OdsSystem = "https://fhir.nhs.uk/Id/ods-organization-code";
    public const string EntryIdSystem = "https://leeds-care-record.nhs.uk/Id/entry-id";
    public const string SourceEntryIdSystem = "https://leeds-care-record.nhs.uk/Id/source-entry-id";
    public const string ReportIdSystem = "https://leeds-care-record.nhs.uk/Id/source-report-id";
    public const string ProfessionalIdSystem = "https://leeds-care-record.nhs.uk/Id/professional-id";
    public const string SystemClientIdSystem = "https://leeds-care-record.nhs.uk/Id/system-client-id";
    public const string ExportIdSystem = "https://leeds-care-record.nhs.uk/Id/subject-access-export";
    public const string AuditActionSystem = "https://leeds-care-record.nhs.uk/CodeSystem/audit-action";

    private const string Snomed = "http://snomed.info/sct";
    private const string ConditionClinical = "http://terminology.hl7.org/CodeSystem/condition-clinical";
    private const string ConditionVerification = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
    private const string ConditionCategory = "http://terminology.hl7.org/CodeSystem/condition-category";
    private const string AllergyClinical = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
    private const string AllergyVerification = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification";
    private const string ObservationCategory = "http://terminology.hl7.org/CodeSystem/observation-category";
    private const string Interpretation = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
    private const string DiagnosticServiceSection = "http://terminology.hl7.org/CodeSystem/v2-0074";
    private const string DataOperation = "http://terminology.hl7.org/CodeSystem/v3-DataOperation";
    private const string ParticipantType = "http://terminology.hl7.org/CodeSystem/provenance-participant-type";
    private const string ActReason = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
    private const string Confidentiality = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";
    private const string Dicom = "http://dicom.nema.org/resources/ontology/DCM";
    private const string SecuritySourceType = "http://terminology.hl7.org/CodeSystem/security-source-type";
    private const string EntityType = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
    private const string ObjectRole = "http://terminology.hl7.org/CodeSystem/object-role";
    private const string Ucum = "http://unitsofmeasure.org";

    /// <summary>Builds the Bundle. The resources appear as: Patient, Organizations, Devices, entries, reports, Provenances, AuditEvents.</summary>
    public static R4.Bundle Build(SubjectAccessData data)
    {
        var b = new Builder(data);
        return b.Build();
    }

    private sealed class Builder(SubjectAccessData data)
    {
        private readonly List<R4.Resource> _organisations = [];
        private readonly List<R4.Resource> _devices = [];
        private readonly List<R4.Resource> _entries = [];
        private readonly List<R4.Resource> _reports = [];
        private readonly List<R4.Resource> _provenance = [];
        private readonly List<R4.Resource> _audit = [];
        private readonly Dictionary<string, string> _organisationIds = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, string> _deviceIds = new(StringComparer.OrdinalIgnoreCase);
        private string _patientId = string.Empty;

        public R4.Bundle Build()
        {
            var patient = BuildPatient();
            foreach (var entry in data.Entries)
            {
                AddEntry(entry);
            }

            AddReports();
            foreach (var e in data.AccessLog)
            {
                _audit.Add(BuildAuditEvent(e));
            }

            var bundle = new R4.Bundle
            {
                Id = data.BundleId,
                Identifier = new R4.Identifier(ExportIdSystem, data.BundleId),
                Type = R4.Bundle.BundleType.Collection,
                Timestamp = data.CreatedAt,
                Meta = new R4.Meta { LastUpdated = data.CreatedAt },
            };
            foreach (var r in new[] { patient }.Concat(_organisations).Concat(_devices).Concat(_entries).Concat(_reports).Concat(_provenance).Concat(_audit))
            {
                bundle.Entry.Add(new R4.Bundle.EntryComponent { FullUrl = Urn(r.Id!), Resource = r });
            }

            return bundle;
        }

        // ---- Patient, organisations, source systems -------------------------------------------

        private R4.Patient BuildPatient()
        {
            _patientId = StableId("patient", data.NhsNumber);
            var p = new R4.Patient { Id = _patientId };
            p.Identifier.Add(new R4.Identifier(NhsNumberSystem, data.NhsNumber));
            if (data.Patient is not { } held)
            {
                return p;
            }

            p.Meta = new R4.Meta
            {
                VersionId = held.Version.ToString(CultureInfo.InvariantCulture),
                LastUpdated = held.UpdateTime?.ToDateTimeOffset(),
            };
            if (held.Restricted)
            {
                // A PDS restricted record: the location must not be disclosed to anyone but the patient.
                p.Meta.Security.Add(new R4.Coding(Confidentiality, "R", "restricted"));
            }

            if (held.Name is { } name)
            {
                var n = new R4.HumanName { Use = R4.HumanName.NameUse.Usual, Family = Blank(name.Family), Given = name.Given };
                if (!string.IsNullOrEmpty(name.Prefix))
                {
                    n.Prefix = [name.Prefix];
                }

                p.Name.Add(n);
            }

            p.Gender = held.Gender switch
            {
                Proto.AdministrativeGender.Male => R4.AdministrativeGender.Male,
                Proto.AdministrativeGender.Female => R4.AdministrativeGender.Female,
                Proto.AdministrativeGender.Other => R4.AdministrativeGender.Other,
                Proto.AdministrativeGender.Unknown => R4.AdministrativeGender.Unknown,
                _ => null,
            };
            p.BirthDate = FhirDate(held.BirthDate);
            if (held.Address is { } address && (address.Lines.Count > 0 || address.Postcode.Length > 0))
            {
                p.Address.Add(new R4.Address
                {
                    Use = R4.Address.AddressUse.Home,
                    Line = address.Lines,
                    PostalCode = Blank(address.Postcode),
                });
            }

            foreach (var t in held.Telephones)
            {
                p.Telecom.Add(new R4.ContactPoint(R4.ContactPoint.ContactPointSystem.Phone, t.Kind switch
                {
                    Proto.TelephoneKind.Home => R4.ContactPoint.ContactPointUse.Home,
                    Proto.TelephoneKind.Mobile => R4.ContactPoint.ContactPointUse.Mobile,
                    Proto.TelephoneKind.Work => R4.ContactPoint.ContactPointUse.Work,
                    Proto.TelephoneKind.Temporary => R4.ContactPoint.ContactPointUse.Temp,
                    _ => null,
                }, t.Number));
            }

            if (!string.IsNullOrEmpty(held.Email))
            {
                p.Telecom.Add(new R4.ContactPoint(R4.ContactPoint.ContactPointSystem.Email, R4.ContactPoint.ContactPointUse.Home, held.Email));
            }

            if (held.RegisteredPractice is { OdsCode.Length: > 0 } practice)
            {
                p.GeneralPractitioner.Add(OrganisationIdentifierReference(practice));
            }

            if (FhirDate(held.DeathDate) is { } died)
            {
                p.Deceased = new R4.FhirDateTime(died);
            }

            return p;
        }

        private R4.ResourceReference PatientReference() => new(Urn(_patientId));

        /// <summary>A reference to the Organization resource for this ODS code, created once.</summary>
        private R4.ResourceReference Organisation(OrganisationReference? org)
        {
            var ods = org?.OdsCode is { Length: > 0 } code ? code.ToUpperInvariant() : "UNKNOWN";
            if (!_organisationIds.TryGetValue(ods, out var id))
            {
                id = StableId("organisation", ods);
                _organisationIds[ods] = id;
                var o = new R4.Organization { Id = id, Name = string.IsNullOrEmpty(org?.DisplayName) ? ods : org.DisplayName };
                o.Identifier.Add(new R4.Identifier(OdsSystem, ods));
                _organisations.Add(o);
            }

            return new R4.ResourceReference(Urn(id)) { Display = org?.DisplayName is { Length: > 0 } d ? d : ods };
        }

        /// <summary>The contributing clinical system, as a Device owned by its organisation.</summary>
        private R4.ResourceReference SourceSystem(OrganisationReference? org, string system)
        {
            var key = (org?.OdsCode ?? string.Empty) + "|" + system;
            if (!_deviceIds.TryGetValue(key, out var id))
            {
                id = StableId("device", key);
                _deviceIds[key] = id;
                var device = new R4.Device { Id = id, Owner = Organisation(org) };
                device.DeviceName.Add(new R4.Device.DeviceNameComponent
                {
                    Name = string.IsNullOrEmpty(system) ? "unknown" : system,
                    Type = R4.DeviceNameType.UserFriendlyName,
                });
                _devices.Add(device);
            }

            return new R4.ResourceReference(Urn(id)) { Display = system };
        }

        private static R4.ResourceReference OrganisationIdentifierReference(OrganisationReference org) => new()
        {
            Type = "Organization",
            Identifier = new R4.Identifier(OdsSystem, org.OdsCode.ToUpperInvariant()),
            Display = org.DisplayName is { Length: > 0 } d ? d : null,
        };

        // ---- Entries ---------------------------------------------------------------------------

        private void AddEntry(EntryWithHistory item)
        {
            // Oldest first, so each version's resource follows the one it replaced.
            foreach (var version in item.Versions.OrderBy(v => v.Version))
            {
                var isCurrent = version.Version == item.Current.Version;
                var resource = version.DetailCase switch
                {
                    Entry.DetailOneofCase.Problem => (R4.Resource)Condition(version),
                    Entry.DetailOneofCase.Medication => MedicationStatement(version),
                    Entry.DetailOneofCase.Allergy => AllergyIntolerance(version),
                    Entry.DetailOneofCase.TestResult => Observation(version),
                    Entry.DetailOneofCase.Document => DocumentReference(version, isCurrent),
                    _ => null,
                };
                if (resource is null)
                {
                    continue;
                }

                resource.Id = VersionId(version);
                resource.Meta = new R4.Meta
                {
                    VersionId = version.Version.ToString(CultureInfo.InvariantCulture),
                    LastUpdated = version.Provenance?.RecordedTime?.ToDateTimeOffset(),
                };
                if (version.Sensitivity == Sensitivity.Sensitive)
                {
                    // Kept out of the shared view unless the patient released it; the patient's own copy includes it.
                    resource.Meta.Security.Add(new R4.Coding(Confidentiality, "V", "very restricted"));
                }

                _entries.Add(resource);
                _provenance.Add(Provenance(version, resource.Id));
            }
        }

        private List<R4.Identifier> Identifiers(Entry e)
        {
            var source = Organisation(e.Provenance?.SourceOrganisation);
            return
            [
                new R4.Identifier(EntryIdSystem, e.Id),
                new R4.Identifier(SourceEntryIdSystem, e.Provenance?.SourceEntryId ?? string.Empty) { Assigner = source },
            ];
        }

        private static List<R4.Annotation> Notes(Entry e)
        {
            var notes = new List<R4.Annotation>();
            if (!string.IsNullOrEmpty(e.Comment))
            {
                notes.Add(new R4.Annotation { Text = e.Comment });
            }

            if (e.EnteredInError)
            {
                notes.Add(new R4.Annotation { Text = "Retracted as entered in error" + (string.IsNullOrEmpty(e.RetractionReason) ? "." : ": " + e.RetractionReason) });
            }

            return notes;
        }

        private R4.Condition Condition(Entry e)
        {
            var p = e.Problem;
            var c = new R4.Condition
            {
                Identifier = Identifiers(e),
                Code = Concept(e.Code),
                Subject = PatientReference(),
                RecordedDate = Recorded(e),
                Note = Notes(e),
                Onset = FhirDate(p.OnsetDate) is { } onset ? new R4.FhirDateTime(onset) : null,
            };
            c.Category.Add(new R4.CodeableConcept(ConditionCategory, "problem-list-item", "Problem List Item"));
            if (e.EnteredInError)
            {
                // FHIR: no clinical status (con-5) and so no abatement (con-4) on an entry entered in error.
                c.VerificationStatus = new R4.CodeableConcept(ConditionVerification, "entered-in-error", "Entered in Error");
            }
            else
            {
                c.VerificationStatus = new R4.CodeableConcept(ConditionVerification, "confirmed", "Confirmed");
                c.ClinicalStatus = p.ClinicalStatus switch
                {
                    ProblemClinicalStatus.Resolved => new R4.CodeableConcept(ConditionClinical, "resolved", "Resolved"),
                    ProblemClinicalStatus.Inactive => new R4.CodeableConcept(ConditionClinical, "inactive", "Inactive"),
                    _ => new R4.CodeableConcept(ConditionClinical, "active", "Active"),
                };
                if (p.ClinicalStatus != ProblemClinicalStatus.Active && FhirDate(p.ResolutionDate) is { } resolved)
                {
                    c.Abatement = new R4.FhirDateTime(resolved);
                }
            }

            c.Severity = p.Severity switch
            {
                ProblemSeverity.Mild => new R4.CodeableConcept(Snomed, "255604002", "Mild"),
                ProblemSeverity.Moderate => new R4.CodeableConcept(Snomed, "6736007", "Moderate"),
                ProblemSeverity.Severe => new R4.CodeableConcept(Snomed, "24484000", "Severe"),
                _ => null,
            };
            return c;
        }

        private R4.MedicationStatement MedicationStatement(Entry e)
        {
            var m = e.Medication;
            var s = new R4.MedicationStatement
            {
                Identifier = Identifiers(e),
                Status = e.EnteredInError ? R4.MedicationStatement.MedicationStatusCodes.EnteredInError : m.Status switch
                {
                    MedicationStatus.Stopped => R4.MedicationStatement.MedicationStatusCodes.Stopped,
                    MedicationStatus.Completed => R4.MedicationStatement.MedicationStatusCodes.Completed,
                    _ => R4.MedicationStatement.MedicationStatusCodes.Active,
                },
                Medication = Concept(e.Code),
                Subject = PatientReference(),
                DateAsserted = Recorded(e),
                InformationSource = Organisation(e.Provenance?.SourceOrganisation),
                Note = Notes(e),
            };
            var start = FhirDate(m.StartDate);
            var end = FhirDate(m.EndDate);
            if (start is not null || end is not null)
            {
                s.Effective = new R4.Period { Start = start, End = end };
            }

            var dosage = new R4.Dosage { Text = string.Join(", ", new[] { m.DoseText, m.FrequencyText }.Where(x => !string.IsNullOrEmpty(x))) };
            if (m.Route is { Code.Length: > 0 } route)
            {
                dosage.Route = Concept(route);
            }

            s.Dosage.Add(dosage);
            if (m.PrescribingOrganisation is { OdsCode.Length: > 0 } prescriber)
            {
                s.DerivedFrom.Add(new R4.ResourceReference { Display = "Prescribed by " + (prescriber.DisplayName is { Length: > 0 } n ? n : prescriber.OdsCode) });
            }

            return s;
        }

        private R4.AllergyIntolerance AllergyIntolerance(Entry e)
        {
            var a = e.Allergy;
            var r = new R4.AllergyIntolerance
            {
                Identifier = Identifiers(e),
                Code = Concept(e.Code),
                Patient = PatientReference(),
                RecordedDate = Recorded(e),
                Note = Notes(e),
                Onset = FhirDate(a.OnsetDate) is { } onset ? new R4.FhirDateTime(onset) : null,
                Type = a.Type switch
                {
                    AllergyType.Allergy => R4.AllergyIntolerance.AllergyIntoleranceType.Allergy,
                    AllergyType.Intolerance => R4.AllergyIntolerance.AllergyIntoleranceType.Intolerance,
                    _ => null,
                },
                Criticality = a.Criticality switch
                {
                    AllergyCriticality.Low => R4.AllergyIntolerance.AllergyIntoleranceCriticality.Low,
                    AllergyCriticality.High => R4.AllergyIntolerance.AllergyIntoleranceCriticality.High,
                    AllergyCriticality.UnableToAssess => R4.AllergyIntolerance.AllergyIntoleranceCriticality.UnableToAssess,
                    _ => null,
                },
            };
            if (e.EnteredInError)
            {
                // FHIR: no clinical status on an entry entered in error (ait-2).
                r.VerificationStatus = new R4.CodeableConcept(AllergyVerification, "entered-in-error", "Entered in Error");
            }
            else
            {
                r.VerificationStatus = a.VerificationStatus switch
                {
                    AllergyVerificationStatus.Unconfirmed => new R4.CodeableConcept(AllergyVerification, "unconfirmed", "Unconfirmed"),
                    AllergyVerificationStatus.Refuted => new R4.CodeableConcept(AllergyVerification, "refuted", "Refuted"),
                    _ => new R4.CodeableConcept(AllergyVerification, "confirmed", "Confirmed"),
                };
                r.ClinicalStatus = a.VerificationStatus == AllergyVerificationStatus.Refuted
                    ? new R4.CodeableConcept(AllergyClinical, "inactive", "Inactive")
                    : new R4.CodeableConcept(AllergyClinical, "active", "Active");
            }

            if (a.Reactions.Count > 0)
            {
                var reaction = new R4.AllergyIntolerance.ReactionComponent
                {
                    Manifestation = a.Reactions.Select(Concept).ToList(),
                    Severity = a.Severity switch
                    {
                        AllergySeverity.Mild => R4.AllergyIntolerance.AllergyIntoleranceSeverity.Mild,
                        AllergySeverity.Moderate => R4.AllergyIntolerance.AllergyIntoleranceSeverity.Moderate,
                        AllergySeverity.Severe => R4.AllergyIntolerance.AllergyIntoleranceSeverity.Severe,
                        _ => null,
                    },
                };
                r.Reaction.Add(reaction);
            }

            return r;
        }

        private R4.Observation Observation(Entry e)
        {
            var t = e.TestResult;
            var o = new R4.Observation
            {
                Identifier = Identifiers(e),
                Status = e.EnteredInError ? R4.ObservationStatus.EnteredInError : t.Status switch
                {
                    ResultStatus.Preliminary => R4.ObservationStatus.Preliminary,
                    ResultStatus.Amended => R4.ObservationStatus.Amended,
                    ResultStatus.Cancelled => R4.ObservationStatus.Cancelled,
                    _ => R4.ObservationStatus.Final,
                },
                Code = Concept(e.Code),
                Subject = PatientReference(),
                Effective = t.EffectiveTime is { } when ? new R4.FhirDateTime(when.ToDateTimeOffset()) : null,
                Issued = t.IssuedTime?.ToDateTimeOffset(),
                Note = Notes(e),
            };
            o.Category.Add(new R4.CodeableConcept(ObservationCategory, "laboratory", "Laboratory"));
            o.Performer.Add(Organisation(e.Provenance?.SourceOrganisation));
            o.Value = t.ValueCase switch
            {
                TestResult.ValueOneofCase.Quantity => Quantity(t.Quantity, withComparator: true),
                TestResult.ValueOneofCase.TextValue => new R4.FhirString(t.TextValue),
                _ => null,
            };
            if (t.ReferenceRange is { } range && (range.Low is not null || range.High is not null || range.Text.Length > 0))
            {
                o.ReferenceRange.Add(new R4.Observation.ReferenceRangeComponent
                {
                    Low = range.Low is { } low ? Quantity(low, withComparator: false) : null,
                    High = range.High is { } high ? Quantity(high, withComparator: false) : null,
                    Text = Blank(range.Text),
                });
            }

            var flag = t.AbnormalFlag switch
            {
                AbnormalFlag.Normal => ("N", "Normal"),
                AbnormalFlag.Low => ("L", "Low"),
                AbnormalFlag.High => ("H", "High"),
                AbnormalFlag.CriticallyLow => ("LL", "Critical low"),
                AbnormalFlag.CriticallyHigh => ("HH", "Critical high"),
                AbnormalFlag.Abnormal => ("A", "Abnormal"),
                _ => default((string, string)?),
            };
            if (flag is { } f)
            {
                o.Interpretation.Add(new R4.CodeableConcept(Interpretation, f.Item1, f.Item2));
            }

            return o;
        }

        private R4.DocumentReference DocumentReference(Entry e, bool isCurrent)
        {
            var d = e.Document;
            var r = new R4.DocumentReference
            {
                Identifier = Identifiers(e),
                Status = e.EnteredInError ? R4.DocumentReferenceStatus.EnteredInError
                    : isCurrent ? R4.DocumentReferenceStatus.Current : R4.DocumentReferenceStatus.Superseded,
                DocStatus = R4.CompositionStatus.Final,
                Type = Concept(e.Code),
                Subject = PatientReference(),
                Date = d.AuthoredTime?.ToDateTimeOffset(),
                Custodian = Organisation(e.Provenance?.SourceOrganisation),
                Description = Blank(d.Title),
            };
            r.Category.Add(new R4.CodeableConcept { Text = d.Type switch
            {
                DocumentType.Referral => "Referral",
                DocumentType.ClinicLetter => "Clinic letter",
                DocumentType.DischargeSummary => "Discharge summary",
                DocumentType.CarePlan => "Care plan",
                _ => "Other clinical document",
            } });
            if (!string.IsNullOrEmpty(d.Author))
            {
                r.Author.Add(new R4.ResourceReference { Display = d.Author });
            }

            if (d.AuthoringOrganisation is { OdsCode.Length: > 0 } author)
            {
                r.Author.Add(Organisation(author));
            }

            var attachment = new R4.Attachment
            {
                ContentType = Blank(d.ContentType) ?? "application/octet-stream",
                Title = Blank(d.Title),
                Creation = d.AuthoredTime is { } authored ? new R4.FhirDateTime(authored.ToDateTimeOffset()).Value : null,
            };
            if (isCurrent && !e.EnteredInError)
            {
                // The content is fetched and attached only while this resource is written out
                // (SubjectAccessBundleWriter), so an export holds one document at a time.
                r.AddAnnotation(new PendingDocumentContent(e.Id));
            }

            r.Content.Add(new R4.DocumentReference.ContentComponent { Attachment = attachment });
            return r;
        }

        /// <summary>Groups the current versions of results the source reported under one report id into DiagnosticReports.</summary>
        private void AddReports()
        {
            var groups = data.Entries
                .Where(x => x.Current.DetailCase == Entry.DetailOneofCase.TestResult && x.Current.TestResult.ReportId.Length > 0)
                .GroupBy(x => (Ods: x.Current.Provenance?.SourceOrganisation?.OdsCode ?? string.Empty, x.Current.TestResult.ReportId));
            foreach (var g in groups)
            {
                var results = g.Select(x => x.Current).ToList();
                var first = results[0];
                var report = new R4.DiagnosticReport
                {
                    Id = StableId("report", g.Key.Ods + "|" + g.Key.ReportId),
                    Status = results.All(r => r.EnteredInError) ? R4.DiagnosticReport.DiagnosticReportStatus.EnteredInError
                        : R4.DiagnosticReport.DiagnosticReportStatus.Final,
                    Code = results.Select(r => r.TestResult.ReportCode).FirstOrDefault(c => c is { Code.Length: > 0 }) is { } code
                        ? Concept(code) : new R4.CodeableConcept { Text = "Laboratory report" },
                    Subject = PatientReference(),
                    Effective = results.Where(r => r.TestResult.EffectiveTime is not null).Select(r => r.TestResult.EffectiveTime.ToDateTimeOffset())
                        .Order().Take(1).Select(t => new R4.FhirDateTime(t)).FirstOrDefault(),
                    Result = results.Select(r => new R4.ResourceReference(Urn(VersionId(r)))).ToList(),
                };
                report.Identifier.Add(new R4.Identifier(ReportIdSystem, g.Key.ReportId) { Assigner = Organisation(first.Provenance?.SourceOrganisation) });
                report.Category.Add(new R4.CodeableConcept(DiagnosticServiceSection, "LAB", "Laboratory"));
                report.Performer.Add(Organisation(first.Provenance?.SourceOrganisation));
                _reports.Add(report);
            }
        }

        /// <summary>Where one version came from and what happened: created, updated, or retracted (nullified).</summary>
        private R4.Provenance Provenance(Entry e, string resourceId)
        {
            var (code, display) = e.EnteredInError ? ("NULLIFY", "nullify") : e.Version <= 1 ? ("CREATE", "create") : ("UPDATE", "revise");
            var source = e.Provenance;
            var p = new R4.Provenance
            {
                Id = StableId("provenance", resourceId),
                Target = [new R4.ResourceReference(Urn(resourceId))],
                Recorded = source?.RecordedTime?.ToDateTimeOffset() ?? data.CreatedAt,
                Activity = new R4.CodeableConcept(DataOperation, code, display)
                {
                    Text = e.EnteredInError ? "Retracted as entered in error" : null,
                },
            };
            var organisation = Organisation(source?.SourceOrganisation);
            p.Agent.Add(new R4.Provenance.AgentComponent
            {
                Type = new R4.CodeableConcept(ParticipantType, "author", "Author"),
                Who = organisation,
            });
            p.Agent.Add(new R4.Provenance.AgentComponent
            {
                Type = new R4.CodeableConcept(ParticipantType, "assembler", "Assembler"),
                Who = SourceSystem(source?.SourceOrganisation, source?.SourceSystem ?? string.Empty),
                OnBehalfOf = organisation,
            });
            p.Entity.Add(new R4.Provenance.EntityComponent
            {
                Role = R4.Provenance.ProvenanceEntityRole.Source,
                What = new R4.ResourceReference
                {
                    Identifier = new R4.Identifier(SourceEntryIdSystem, source?.SourceEntryId ?? string.Empty) { Assigner = organisation },
                    Display = $"{source?.SourceSystem} record {source?.SourceEntryId}, platform version {e.Version}",
                },
            });
            return p;
        }

        // ---- Access log ------------------------------------------------------------------------

        private R4.AuditEvent BuildAuditEvent(AuditEvent e)
        {
            var a = new R4.AuditEvent
            {
                Id = StableId("audit", e.EventId),
                Type = new R4.Coding(Dicom, "110110", "Patient Record"),
                Action = e.Action switch
                {
                    AuditAction.Contribution => R4.AuditEvent.AuditEventAction.C,
                    AuditAction.ConsentChange or AuditAction.CareRelationshipChange => R4.AuditEvent.AuditEventAction.U,
                    AuditAction.TokenIssued or AuditAction.EmergencyAccess => R4.AuditEvent.AuditEventAction.E,
                    _ => R4.AuditEvent.AuditEventAction.R,
                },
                Recorded = (e.RecordTime ?? e.OccurrenceTime)?.ToDateTimeOffset() ?? data.CreatedAt,
                Outcome = e.Outcome == AuditOutcome.Denied ? R4.AuditEvent.AuditEventOutcome.N4 : R4.AuditEvent.AuditEventOutcome.N0,
                OutcomeDesc = e.Outcome == AuditOutcome.Denied ? "Refused: " + Describe(e.DenialReason) : null,
                Period = e.OccurrenceTime is { } at ? new R4.Period { Start = new R4.FhirDateTime(at.ToDateTimeOffset()).Value } : null,
            };
            a.Subtype.Add(new R4.Coding(AuditActionSystem, e.Action.ToString(), Describe(e.Action)));
            var purpose = Purpose(e);
            if (purpose is not null)
            {
                a.PurposeOfEvent.Add(purpose);
            }

            var actor = e.Actor ?? new Actor();
            var who = new R4.ResourceReference
            {
                Identifier = new R4.Identifier(actor.Kind == ActorKind.System ? SystemClientIdSystem : ProfessionalIdSystem, Blank(actor.Id) ?? "unknown"),
                Display = Blank(actor.DisplayName),
            };
            var agent = new R4.AuditEvent.AgentComponent { Who = who, Requestor = true, Name = Blank(actor.DisplayName) };
            if (!string.IsNullOrEmpty(actor.RoleCode))
            {
                agent.Role.Add(new R4.CodeableConcept { Text = $"{RoleNames.Describe(actor.RoleCode)} ({actor.RoleCode})" });
            }

            if (purpose is not null)
            {
                agent.PurposeOfUse.Add(purpose);
            }

            a.Agent.Add(agent);
            if (actor.Organisation is { OdsCode.Length: > 0 } org)
            {
                a.Agent.Add(new R4.AuditEvent.AgentComponent
                {
                    Who = OrganisationIdentifierReference(org),
                    Requestor = false,
                    Type = new R4.CodeableConcept { Text = "Organisation of the person or system" },
                });
            }

            a.Source = new R4.AuditEvent.SourceComponent
            {
                Site = "Leeds Care Record",
                Observer = new R4.ResourceReference { Display = "Leeds Care Record platform" },
            };
            a.Source.Type.Add(new R4.Coding(SecuritySourceType, "4", "Application Server"));

            var patient = new R4.AuditEvent.EntityComponent
            {
                What = PatientReference(),
                Type = new R4.Coding(EntityType, "1", "Person"),
                Role = new R4.Coding(ObjectRole, "1", "Patient"),
                Description = "Audit event " + e.EventId,
            };
            if (e.ReturnedCategories.Count > 0)
            {
                patient.Detail.Add(new R4.AuditEvent.DetailComponent
                {
                    Type = "Record categories shown",
                    Value = new R4.FhirString(string.Join(", ", e.ReturnedCategories.Select(Describe))),
                });
            }

            a.Entity.Add(patient);
            foreach (var entryId in e.ReturnedEntryIds)
            {
                a.Entity.Add(new R4.AuditEvent.EntityComponent
                {
                    What = new R4.ResourceReference { Identifier = new R4.Identifier(EntryIdSystem, entryId) },
                    Type = new R4.Coding(EntityType, "2", "System Object"),
                });
            }

            return a;
        }

        private static R4.CodeableConcept? Purpose(AuditEvent e)
        {
            if (e.EmergencyAccess is { } emergency)
            {
                return new R4.CodeableConcept(ActReason, "ETREAT", "Emergency Treatment")
                {
                    Text = "Emergency (break-glass) access: " + Describe(emergency.ReasonCode) +
                           (string.IsNullOrEmpty(emergency.ReasonText) ? string.Empty : ": " + emergency.ReasonText),
                };
            }

            return e.PurposeOfUse switch
            {
                PurposeOfUse.DirectCare => new R4.CodeableConcept(ActReason, "TREAT", "treatment"),
                PurposeOfUse.EmergencyCare => new R4.CodeableConcept(ActReason, "ETREAT", "Emergency Treatment"),
                PurposeOfUse.SubjectAccessRequest => new R4.CodeableConcept(ActReason, "PATRQT", "patient requested"),
                PurposeOfUse.InformationGovernance => new R4.CodeableConcept(ActReason, "HOPERAT", "healthcare operations"),
                PurposeOfUse.RecordContribution => new R4.CodeableConcept(ActReason, "TREAT", "treatment") { Text = "Contribution to the record" },
                _ => null,
            };
        }

        // ---- Helpers ---------------------------------------------------------------------------

        private string Recorded(Entry e) =>
            new R4.FhirDateTime(e.Provenance?.RecordedTime?.ToDateTimeOffset() ?? data.CreatedAt).Value!;

        private static string VersionId(Entry e) => StableId("entry", e.Id + "|" + e.Version.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Puts a document's current content into its DocumentReference: <c>data</c>, its SHA-1
    /// <c>hash</c>, and the content type the clinical service holds for it.
    /// </summary>
    public static void AttachContent(R4.DocumentReference document, DocumentContent content)
    {
        var attachment = document.Content[0].Attachment;
        if (content.ContentType is { Length: > 0 } contentType)
        {
            attachment.ContentType = contentType;
        }

        // The received message's own array where it has one (it is never written to), so a document is not copied again.
        var bytes = MemoryMarshal.TryGetArray(content.Data.Memory, out var whole) && whole is { Offset: 0, Array: { } array } && whole.Count == array.Length
            ? array
            : content.Data.ToByteArray();
        attachment.Data = bytes;
        // Attachment.size is left out: Hl7.Fhir.R4 6.8.0 serializes it as a JSON string
        // (R5's integer64) that its own R4 parser then rejects as an unsignedInt.
#pragma warning disable CA5350 // FHIR R4 defines Attachment.hash as SHA-1: an integrity checksum the format requires, not a security control.
        attachment.Hash = SHA1.HashData(bytes);
#pragma warning restore CA5350
    }

    /// <summary>Drops the content again once the resource is written, so it is not kept for the rest of the export.</summary>
    public static void DetachContent(R4.DocumentReference document)
    {
        var attachment = document.Content[0].Attachment;
        attachment.Data = null;
        attachment.Hash = null;
    }

    private static R4.CodeableConcept Concept(CodedConcept c)
    {
        var concept = new R4.CodeableConcept { Text = Blank(c.Display) };
        if (!string.IsNullOrEmpty(c.Code))
        {
            concept.Coding.Add(new R4.Coding(Blank(c.System), c.Code, Blank(c.Display)));
        }

        return concept;
    }

    private static R4.Quantity Quantity(Clinical.V1.Quantity q, bool withComparator)
    {
        var result = new R4.Quantity { Value = double.IsFinite(q.Value) ? (decimal)q.Value : null, Unit = Blank(q.Unit) };
        if (!string.IsNullOrEmpty(q.Unit) && IsPlainUcum(q.Unit))
        {
            result.System = Ucum;
            result.Code = q.Unit;
        }

        if (withComparator)
        {
            result.Comparator = q.Comparator switch
            {
                QuantityComparator.LessThan => R4.Quantity.QuantityComparator.LessThan,
                QuantityComparator.LessOrEqual => R4.Quantity.QuantityComparator.LessOrEqual,
                QuantityComparator.GreaterOrEqual => R4.Quantity.QuantityComparator.GreaterOrEqual,
                QuantityComparator.GreaterThan => R4.Quantity.QuantityComparator.GreaterThan,
                _ => null,
            };
        }

        return result;
    }

    /// <summary>Units written as UCUM expressions (no spaces); anything else stays a display unit only.</summary>
    private static bool IsPlainUcum(string unit) => unit.All(ch => ch is > ' ' and < '\u007f');

    /// <summary>A FHIR date (YYYY, YYYY-MM or YYYY-MM-DD) for a possibly partial date; null when absent.</summary>
    public static string? FhirDate(Date? d)
    {
        if (d is null || d.Year <= 0)
        {
            return null;
        }

        var s = d.Year.ToString("0000", CultureInfo.InvariantCulture);
        if (d.Month is >= 1 and <= 12)
        {
            s += "-" + d.Month.ToString("00", CultureInfo.InvariantCulture);
            if (d.Day is >= 1 and <= 31)
            {
                s += "-" + d.Day.ToString("00", CultureInfo.InvariantCulture);
            }
        }

        return s;
    }

    private static string Describe<TEnum>(TEnum value) where TEnum : struct, System.Enum
    {
        var words = new StringBuilder();
        foreach (var ch in value.ToString())
        {
            if (char.IsUpper(ch) && words.Length > 0)
            {
                words.Append(' ');
                words.Append(char.ToLowerInvariant(ch));
            }
            else
            {
                words.Append(ch);
            }
        }

        return words.ToString();
    }

    private static string? Blank(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static string Urn(string id) => "urn:uuid:" + id;

    /// <summary>A name-based UUID, so an export of the same data names its resources the same way.</summary>
    private static string StableId(string kind, string key)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("lcr-subject-access:" + kind + ":" + key));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50); // version 5-style (name-based)
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString();
    }
}
