using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Lcr.Clinical.Application;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;
using Lcr.ServiceDefaults.DevData;
using Orgs = Lcr.ServiceDefaults.DevData.SyntheticOrganisations;

namespace Lcr.Clinical.Seed;

/// <summary>
/// Contributes realistic entries for every synthetic patient through the same use case a feed
/// calls, one batch per contributing organisation, each as that organisation's system.
/// Deterministic (fixed dates, seeded choices, stable source entry ids), so a second run
/// changes nothing. Tells the shared dev story: everybody has GP entries and hospital
/// (RR8) results; patient 0 has an RR8 discharge summary and clinic letter; patient 2 has
/// mental health (RGD) entries they withhold; patient 4 has sensitive sexual health entries
/// (RY6); patient 5 has adult social care (00DA) documents and an RGD care plan. Issue 21:
/// patient 0 has risks and alerts (RR8: risk to staff "do not visit alone", a difficult airway, a
/// risk to self that has ended; 00DA: a safeguarding alert); Scenario.MergedAway (a temporary
/// number) has only what RR8's emergency department recorded under it; Scenario.MergedInto has
/// ordinary entries like everybody.
/// </summary>
internal sealed class ClinicalSeeder(IServiceScopeFactory scopes) : IDevelopmentSeeder
{
    private const string Snomed = "http://snomed.info/sct";
    private const string Dmd = "https://dmd.nhs.uk";

    private static readonly Dictionary<string, string> Systems = new(StringComparer.Ordinal)
    {
        [Orgs.BeckettStreetSurgery] = "SystmOne",
        [Orgs.RoundhayRoadMedicalCentre] = "EMIS Web",
        [Orgs.KirkstallHealthCentre] = "SystmOne",
        [Orgs.TeachingHospitals] = "PPM+",
        [Orgs.MentalHealthTrust] = "CareNotes",
        [Orgs.CommunityHealthcare] = "SystmOne Community",
        [Orgs.AdultSocialCare] = "Mosaic",
    };

    public async Task SeedAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var service = scope.ServiceProvider.GetRequiredService<ContributionService>();

        // Each organisation's feed sends several patients' entries per batch (up to the limit).
        var pending = new Dictionary<string, List<EntryContribution>>(StringComparer.Ordinal);
        for (var i = 0; i < SyntheticCohort.Patients.Count; i++)
        {
            foreach (var (ods, entries) in EntriesFor(i, SyntheticCohort.Patients[i]))
            {
                var batch = pending.TryGetValue(ods, out var b) ? b : pending[ods] = [];
                if (batch.Count + entries.Count > Domain.Limits.MaxBatchSize)
                {
                    await SendAsync(service, ods, batch, cancellationToken);
                    batch.Clear();
                }

                batch.AddRange(entries);
            }
        }

        foreach (var (ods, batch) in pending.Where(p => p.Value.Count > 0))
        {
            await SendAsync(service, ods, batch, cancellationToken);
        }
    }

    private static async Task SendAsync(ContributionService service, string ods, List<EntryContribution> entries, CancellationToken ct)
    {
        var request = new UpsertEntriesRequest { SourceOrganisationOdsCode = ods, SourceSystem = Systems[ods] };
        request.Entries.AddRange(entries);
        var actor = new Actor
        {
            Kind = ActorKind.System,
            Id = "dev-seed-" + ods.ToLowerInvariant(),
            Organisation = new OrganisationReference { OdsCode = ods },
        };
        await service.UpsertAsync(request, actor, ct);
    }

    /// <summary>The seed entries of cohort patient <paramref name="i"/>, grouped by contributing organisation.</summary>
    internal static IEnumerable<(string Ods, List<EntryContribution> Entries)> EntriesFor(int i, SyntheticPatient p)
    {
        var r = new Random(7919 * (i + 1));
        var b = new Builder(p.NhsNumber, i);
        var gp = p.PracticeOds;

        // --- The temporary number given at the emergency department (RR8), later merged into
        // Scenario.MergedInto: only what the hospital recorded under it, left under it for ever.
        if (i == SyntheticOrganisations.Scenario.MergedAway)
        {
            yield return (Orgs.TeachingHospitals, MergedAwayEntries(b));
            yield break;
        }

        // --- GP practice: problems, medications, allergies.
        var gpEntries = new List<EntryContribution>();
        var diabetic = i == 0 || r.Next(4) == 0;
        var hypertensive = i == 0 || r.Next(3) == 0;
        var asthmatic = i == 0 || r.Next(5) == 0;
        if (diabetic)
        {
            gpEntries.Add(b.Problem("p-t2dm", "44054006", "Diabetes mellitus type 2", ProblemClinicalStatus.Active, b.Day(r, 2012, 2022), severity: ProblemSeverity.Moderate));
            gpEntries.Add(b.Medication("m-metformin", "39109611000001103", "Metformin 500mg tablets", "1000 mg", "twice a day", MedicationStatus.Active, b.Day(r, 2018, 2023)));
        }

        if (hypertensive)
        {
            gpEntries.Add(b.Problem("p-htn", "38341003", "Hypertensive disorder, systemic arterial", ProblemClinicalStatus.Active, b.Day(r, 2010, 2022)));
            gpEntries.Add(b.Medication("m-amlodipine", "39112911000001109", "Amlodipine 5mg tablets", "5 mg", "once a day", MedicationStatus.Active, b.Day(r, 2019, 2024)));
            gpEntries.Add(b.Medication("m-ramipril", "39682611000001107", "Ramipril 2.5mg capsules", "2.5 mg", "once a day", MedicationStatus.Stopped, b.Day(r, 2016, 2018),
                end: b.Day(r, 2018, 2019), comment: "Stopped: persistent dry cough."));
        }

        if (asthmatic)
        {
            gpEntries.Add(b.Problem("p-asthma", "195967001", "Asthma", ProblemClinicalStatus.Active, b.Day(r, 1995, 2015), severity: ProblemSeverity.Mild));
            gpEntries.Add(b.Medication("m-salbutamol", "39113611000001102", "Salbutamol 100micrograms/dose inhaler CFC free", "Two puffs", "when required",
                MedicationStatus.Active, b.Day(r, 2015, 2024), route: ("447694001", "Respiratory tract route")));
        }

        // Something resolved and a completed course for everybody.
        gpEntries.Add(b.Problem("p-uti", "68566005", "Urinary tract infectious disease", ProblemClinicalStatus.Resolved, b.Day(r, 2023, 2024), resolved: true));
        gpEntries.Add(b.Medication("m-nitrofurantoin", "39692211000001102", "Nitrofurantoin 50mg capsules", "50 mg", "four times a day",
            MedicationStatus.Completed, b.Day(r, 2023, 2023), end: b.Day(r, 2024, 2024)));
        if (r.Next(4) == 0)
        {
            gpEntries.Add(b.Problem("p-fracture", "65966004", "Fracture of forearm", ProblemClinicalStatus.Resolved, b.Day(r, 2005, 2015), resolved: true));
        }

        if (i == 0 || r.Next(3) == 0)
        {
            gpEntries.Add(b.Allergy("a-penicillin", "764146007", "Penicillin", AllergyVerificationStatus.Confirmed, AllergySeverity.Severe, AllergyCriticality.High,
                ("39579001", "Anaphylaxis"), b.Day(r, 1990, 2010)));
        }

        if (r.Next(4) == 0)
        {
            gpEntries.Add(b.Allergy("a-ibuprofen", "387207008", "Ibuprofen", AllergyVerificationStatus.Unconfirmed, AllergySeverity.Mild, AllergyCriticality.Low,
                ("51197009", "Stomach ache"), b.Day(r, 2010, 2020), intolerance: true));
        }

        if (r.Next(6) == 0)
        {
            gpEntries.Add(b.Allergy("a-codeine", "387494007", "Codeine", AllergyVerificationStatus.Refuted, AllergySeverity.Unspecified, AllergyCriticality.Unspecified,
                ("271807003", "Eruption of skin"), b.Day(r, 2000, 2015)));
        }

        yield return (gp, gpEntries);

        // --- Hospital (RR8): pathology results, letters.
        var rr8 = new List<EntryContribution>();
        var fbc = b.Instant(r, 2026, 2026);
        rr8.Add(b.Result("r-hb", "1022431000000105", "Haemoglobin estimation", Math.Round(120 + (r.NextDouble() * 40)), "g/L", 115, 165, fbc, "FBC-" + (100000 + i), ("26604007", "Full blood count")));
        rr8.Add(b.Result("r-wcc", "1022541000000102", "Total white blood count", Math.Round(4 + (r.NextDouble() * 6), 1), "10*9/L", 4, 11, fbc, "FBC-" + (100000 + i), ("26604007", "Full blood count")));
        rr8.Add(b.Result("r-plt", "1022651000000100", "Platelet count", Math.Round(150 + (r.NextDouble() * 250)), "10*9/L", 150, 400, fbc, "FBC-" + (100000 + i), ("26604007", "Full blood count")));
        rr8.Add(b.Result("r-chol", "1005671000000105", "Serum cholesterol level", Math.Round(3.5 + (r.NextDouble() * 3), 1), "mmol/L", null, 5, b.Instant(r, 2025, 2026), null, null));
        rr8.Add(b.Result("r-egfr", "1011481000000105", "eGFR using creatinine (CKD-EPI) per 1.73 square metres", 90, "mL/min/{1.73_m2}", 90, null,
            b.Instant(r, 2025, 2026), null, null, QuantityComparator.GreaterThan));
        if (diabetic)
        {
            // HbA1c falling over three years: the summary shows only the latest (48 mmol/mol).
            var values = new[] { 58.0, 52.0, 48.0 };
            for (var y = 0; y < 3; y++)
            {
                rr8.Add(b.Result($"r-hba1c-{2024 + y}", "1107481000000106", "Haemoglobin A1c level - IFCC standardised", values[y], "mmol/mol", 20, 41,
                    b.Instant(r, 2024 + y, 2024 + y), null, null));
            }
        }

        if (i == 0 || i % 5 == 0)
        {
            rr8.Add(b.Document("d-discharge", DocumentType.DischargeSummary, "373942005", "Discharge summary",
                "Discharge summary: Ward J12, St James's University Hospital", "Dr A Jones, Consultant Physician", b.Instant(r, 2026, 2026),
                "Admitted with community-acquired pneumonia. Treated with intravenous then oral antibiotics. "
                + "Discharged home, mobilising independently. GP to review in two weeks and repeat chest X-ray in six weeks."));
            rr8.Add(b.Problem("p-pneumonia", "385093006", "Community acquired pneumonia", ProblemClinicalStatus.Resolved, b.Day(r, 2026, 2026), resolved: true));
        }

        if (i == 0 || i % 3 == 0)
        {
            rr8.Add(b.Document("d-clinic", DocumentType.ClinicLetter, "823691000000103", "Clinical letter",
                "Cardiology outpatient clinic letter", "Dr S Khan, Consultant Cardiologist", b.Instant(r, 2025, 2026),
                "Seen in the cardiology clinic for palpitations. ECG showed sinus rhythm; 24-hour tape unremarkable. "
                + "No cardiac cause found. Discharged back to the care of the GP."));
        }

        if (i == SyntheticOrganisations.Scenario.ExamplePatient)
        {
            rr8.AddRange(ExampleHospitalAlerts(b));
        }

        yield return (Orgs.TeachingHospitals, rr8);

        // --- Mental health trust (RGD): patient 2 (who withholds it), patient 5, and some others.
        if (i == SyntheticOrganisations.Scenario.WithholdsMentalHealth || i == SyntheticOrganisations.Scenario.SocialCareCase || i % 7 == 2)
        {
            var rgd = new List<EntryContribution>
            {
                b.Problem("p-depression", "35489007", "Depressive disorder", ProblemClinicalStatus.Active, b.Day(r, 2019, 2024), severity: ProblemSeverity.Moderate),
                b.Medication("m-sertraline", "39112411000001104", "Sertraline 50mg tablets", "50 mg", "once a day", MedicationStatus.Active, b.Day(r, 2024, 2025),
                    prescriber: Orgs.MentalHealthTrust),
                b.Document("d-mh-careplan", DocumentType.CarePlan, "734163000", "Care plan", "Community mental health care plan",
                    "J Patel, Care Coordinator", b.Instant(r, 2025, 2026),
                    "Care coordinator visits fortnightly. Crisis plan agreed with the patient: contact the crisis team out of hours. "
                    + "Review of medication with the consultant psychiatrist in three months."),
            };
            if (i == SyntheticOrganisations.Scenario.WithholdsMentalHealth)
            {
                rgd.Add(b.Problem("p-anxiety", "197480006", "Anxiety disorder", ProblemClinicalStatus.Inactive, b.Day(r, 2015, 2017)));
                rgd.Add(b.Document("d-mh-letter", DocumentType.ClinicLetter, "823691000000103", "Clinical letter", "Psychiatry outpatient letter",
                    "Dr M Evans, Consultant Psychiatrist", b.Instant(r, 2026, 2026),
                    "Mood improving on sertraline. No thoughts of self-harm. Continue current dose; follow up in three months."));
            }

            yield return (Orgs.MentalHealthTrust, rgd);
        }

        // --- Community sexual health (RY6): sensitive entries for patient 4.
        if (i == SyntheticOrganisations.Scenario.ReleasesSensitive)
        {
            yield return (Orgs.CommunityHealthcare,
            [
                b.Problem("p-chlamydia", "105629000", "Chlamydial infection", ProblemClinicalStatus.Resolved, b.Day(r, 2025, 2025), resolved: true, sensitive: true),
                b.Medication("m-doxycycline", "39695311000001104", "Doxycycline 100mg capsules", "100 mg", "twice a day for 7 days", MedicationStatus.Completed,
                    b.Day(r, 2025, 2025), end: b.Day(r, 2025, 2025), sensitive: true),
                b.TextResult("r-ct-naat", "442487003", "Chlamydia trachomatis nucleic acid assay", "Detected", b.Instant(r, 2025, 2025), sensitive: true),
            ]);
        }

        // --- Adult social care (00DA): a safeguarding alert on the example patient.
        if (i == SyntheticOrganisations.Scenario.ExamplePatient)
        {
            yield return (Orgs.AdultSocialCare,
            [
                b.Alert("al-safeguarding", AlertKind.Safeguarding, AlertSeverity.Medium, "417430008", "Vulnerable adult", new Date { Year = 2025, Month = 11, Day = 3 },
                    comment: "Adult safeguarding enquiry open (financial abuse by a third party). Discuss any concern with the duty social worker."),
            ]);
        }

        // --- Adult social care (00DA): documents for patient 5.
        if (i == SyntheticOrganisations.Scenario.SocialCareCase)
        {
            yield return (Orgs.AdultSocialCare,
            [
                b.Document("d-sc-assessment", DocumentType.Other, "1066951000000100", "Social care assessment", "Care Act needs assessment",
                    "K Murphy, Social Worker", b.Instant(r, 2026, 2026),
                    "Eligible needs identified for personal care and managing nutrition. Lives alone; daughter visits weekly."),
                b.Document("d-sc-careplan", DocumentType.CarePlan, "734163000", "Care plan", "Care and support plan",
                    "K Murphy, Social Worker", b.Instant(r, 2026, 2026),
                    "Home care twice daily (morning and evening) for personal care and meals. Telecare pendant alarm installed. Review in six weeks."),
            ]);
        }
    }

    /// <summary>The example patient's hospital alerts: risk to staff, a difficult airway, and one that has ended.</summary>
    private static IEnumerable<EntryContribution> ExampleHospitalAlerts(Builder b) =>
    [
        b.Alert("al-staff-risk", AlertKind.RiskToStaff, AlertSeverity.High, "61372001", "Aggressive behaviour", new Date { Year = 2024, Month = 9, Day = 12 },
            comment: "Do not visit alone. Verbal aggression towards staff on two admissions; two members of staff for home visits."),
        b.Alert("al-airway", AlertKind.Clinical, AlertSeverity.High, "718446003", "Difficult airway", new Date { Year = 2026, Month = 2, Day = 20 },
            comment: "Difficult intubation (Cormack-Lehane grade 4): video laryngoscope and a senior anaesthetist for any airway procedure."),
        b.Alert("al-suicide-risk", AlertKind.RiskToSelf, AlertSeverity.Medium, "225444004", "At risk for suicide", new Date { Year = 2025, Month = 1, Day = 6 },
            end: new Date { Year = 2025, Month = 3, Day = 31 },
            comment: "Crisis plan agreed during the admission; risk reviewed and closed by the liaison psychiatry team before discharge."),
    ];

    /// <summary>What the emergency department recorded under the temporary number (Scenario.MergedAway).</summary>
    private static List<EntryContribution> MergedAwayEntries(Builder b) =>
    [
        b.Problem("p-ae-ankle", "16114001", "Fracture of ankle", ProblemClinicalStatus.Active, new Date { Year = 2026, Month = 9, Day = 14 }),
        b.Allergy("a-ae-latex", "111088007", "Latex", AllergyVerificationStatus.Unconfirmed, AllergySeverity.Moderate, AllergyCriticality.Low,
            ("271807003", "Eruption of skin"), new Date { Year = 2026, Month = 9, Day = 14 }),
        b.Document("d-ae-letter", DocumentType.DischargeSummary, "373942005", "Discharge summary",
            "Emergency department discharge letter, St James's University Hospital", "Dr R Okafor, Emergency Medicine Registrar",
            Timestamp.FromDateTime(new DateTime(2026, 9, 14, 23, 40, 0, DateTimeKind.Utc)),
            "Attended after a fall on steps; identity not confirmed on arrival, temporary NHS number issued. X-ray: undisplaced lateral malleolus fracture. "
            + "Below-knee cast, crutches. Reported a rash with latex gloves. Fracture clinic in one week."),
    ];

    private sealed class Builder(string nhs, int index)
    {
        public Date Day(Random r, int fromYear, int toYear)
        {
            var from = new DateOnly(fromYear, 1, 1);
            var to = toYear >= 2026 ? new DateOnly(2026, 10, 31) : new DateOnly(toYear, 12, 31);
            var d = from.AddDays(r.Next(to.DayNumber - from.DayNumber + 1));
            return new Date { Year = d.Year, Month = d.Month, Day = d.Day };
        }

        public Timestamp Instant(Random r, int fromYear, int toYear)
        {
            var d = Day(r, fromYear, toYear);
            return Timestamp.FromDateTime(new DateTime(d.Year, d.Month, d.Day, 8 + r.Next(9), r.Next(60), 0, DateTimeKind.Utc));
        }

        private Entry Base(string id, RecordCategory category, string system, string code, string display, bool sensitive, string? comment = null) => new()
        {
            NhsNumber = nhs,
            Category = category,
            Code = new CodedConcept { System = system, Code = code, Display = display },
            Provenance = new Provenance { SourceEntryId = $"seed-{index:000}-{id}" },
            Sensitivity = sensitive ? Sensitivity.Sensitive : Sensitivity.Normal,
            Comment = comment ?? string.Empty,
        };

        public EntryContribution Problem(string id, string code, string display, ProblemClinicalStatus status, Date onset,
            ProblemSeverity severity = ProblemSeverity.Unspecified, bool resolved = false, bool sensitive = false)
        {
            var e = Base(id, RecordCategory.Problems, Snomed, code, display, sensitive);
            e.Problem = new Problem { ClinicalStatus = status, OnsetDate = onset, Severity = severity };
            if (resolved)
            {
                var end = new DateOnly(onset.Year, onset.Month, onset.Day).AddDays(14);
                end = end > new DateOnly(2026, 10, 31) ? new DateOnly(2026, 10, 31) : end;
                e.Problem.ResolutionDate = new Date { Year = end.Year, Month = end.Month, Day = end.Day };
            }

            return new EntryContribution { Entry = e };
        }

        public EntryContribution Medication(string id, string code, string display, string dose, string frequency, MedicationStatus status, Date start,
            Date? end = null, (string Code, string Display)? route = null, string? prescriber = null, bool sensitive = false, string? comment = null)
        {
            var e = Base(id, RecordCategory.Medications, Dmd, code, display, sensitive, comment);
            e.Medication = new Medication
            {
                DoseText = dose,
                FrequencyText = frequency,
                Route = route is { } rt ? new CodedConcept { System = Snomed, Code = rt.Code, Display = rt.Display }
                    : new CodedConcept { System = Snomed, Code = "26643006", Display = "Oral route" },
                StartDate = start,
                Status = status,
                PrescribingOrganisation = prescriber is null ? null : new OrganisationReference { OdsCode = prescriber },
            };
            if (end is not null && new DateOnly(end.Year, end.Month, end.Day) >= new DateOnly(start.Year, start.Month, start.Day))
            {
                e.Medication.EndDate = end;
            }

            return new EntryContribution { Entry = e };
        }

        public EntryContribution Allergy(string id, string code, string display, AllergyVerificationStatus verification, AllergySeverity severity,
            AllergyCriticality criticality, (string Code, string Display) reaction, Date onset, bool intolerance = false)
        {
            var e = Base(id, RecordCategory.Allergies, Snomed, code, display, sensitive: false);
            e.Allergy = new Allergy
            {
                Type = intolerance ? AllergyType.Intolerance : AllergyType.Allergy,
                Reactions = { new CodedConcept { System = Snomed, Code = reaction.Code, Display = reaction.Display } },
                Severity = severity,
                Criticality = criticality,
                VerificationStatus = verification,
                OnsetDate = onset,
            };
            return new EntryContribution { Entry = e };
        }

        public EntryContribution Result(string id, string code, string display, double value, string unit, double? low, double? high, Timestamp when,
            string? reportId, (string Code, string Display)? report, QuantityComparator comparator = QuantityComparator.Unspecified)
        {
            var e = Base(id, RecordCategory.TestResults, Snomed, code, display, sensitive: false);
            var flag = (low is { } l && value < l) ? AbnormalFlag.Low : (high is { } h && value > h) ? AbnormalFlag.High : AbnormalFlag.Normal;
            e.TestResult = new TestResult
            {
                Quantity = new Quantity { Value = value, Unit = unit, Comparator = comparator },
                ReferenceRange = new ReferenceRange
                {
                    Low = low is null ? null : new Quantity { Value = low.Value, Unit = unit },
                    High = high is null ? null : new Quantity { Value = high.Value, Unit = unit },
                    Text = (low, high) switch
                    {
                        ({ } lo, { } hi) => $"{lo}-{hi} {unit}",
                        (null, { } hi) => $"<{hi} {unit}",
                        ({ } lo, null) => $">{lo} {unit}",
                        _ => string.Empty,
                    },
                },
                AbnormalFlag = flag,
                EffectiveTime = when,
                IssuedTime = Timestamp.FromDateTime(when.ToDateTime().AddHours(6)),
                Status = ResultStatus.Final,
                ReportId = reportId ?? string.Empty,
                ReportCode = report is { } rc ? new CodedConcept { System = Snomed, Code = rc.Code, Display = rc.Display } : null,
            };
            return new EntryContribution { Entry = e };
        }

        public EntryContribution Alert(string id, AlertKind kind, AlertSeverity severity, string code, string display, Date start, Date? end = null,
            string? comment = null)
        {
            var e = Base(id, RecordCategory.RisksAndAlerts, Snomed, code, display, sensitive: false, comment);
            e.Alert = new Alert { Kind = kind, Severity = severity, Status = AlertStatus.Active, StartDate = start, EndDate = end };
            return new EntryContribution { Entry = e };
        }

        public EntryContribution TextResult(string id, string code, string display, string text, Timestamp when, bool sensitive)
        {
            var e = Base(id, RecordCategory.TestResults, Snomed, code, display, sensitive);
            e.TestResult = new TestResult { TextValue = text, AbnormalFlag = AbnormalFlag.Abnormal, EffectiveTime = when, Status = ResultStatus.Final };
            return new EntryContribution { Entry = e };
        }

        public EntryContribution Document(string id, DocumentType type, string code, string display, string title, string author, Timestamp when, string text)
        {
            var e = Base(id, RecordCategory.Documents, Snomed, code, display, sensitive: false);
            e.Document = new Document { Type = type, Title = title, Author = author, AuthoredTime = when };
            return new EntryContribution
            {
                Entry = e,
                DocumentContent = new DocumentContent { ContentType = "text/plain", Data = ByteString.CopyFromUtf8(title + "\n\n" + text) },
            };
        }
    }
}
