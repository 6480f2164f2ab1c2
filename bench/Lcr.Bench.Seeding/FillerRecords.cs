using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Lcr.Clinical.V1;
using Lcr.Common.V1;

namespace Lcr.Bench.Seeding;

/// <summary>One contributed entry and who sent it.</summary>
public sealed record FillerContribution(string Ods, string SourceSystem, EntryContribution Contribution);

/// <summary>
/// A filler patient's clinical record, as the feeds would contribute it: in every category,
/// shaped like the cohort's seed entries. At 50 entries a patient: 8 problems (half active),
/// 12 medications (half current), 2 allergies, 24 test results and 4 documents (clinic letters
/// and discharge summaries of 1.5-6 KB of text). Problems, medications and allergies come from
/// the patient's practice, results and documents from the teaching hospitals (RR8). With fewer
/// (or more) entries the categories keep the same proportions, interleaved, so even 5 entries
/// hold several categories. Deterministic per patient.
/// </summary>
public static class FillerRecords
{
    public const string Hospital = "RR8";
    private const string Snomed = "http://snomed.info/sct";
    private const string Dmd = "https://dmd.nhs.uk";

    /// <summary>The category of each of the 50 slots of a full record, spread evenly.</summary>
    private static readonly RecordCategory[] Slots = Interleave(
        (RecordCategory.Problems, 8), (RecordCategory.Medications, 12), (RecordCategory.Allergies, 2),
        (RecordCategory.TestResults, 24), (RecordCategory.Documents, 4));

    private static readonly Dictionary<string, string> PracticeSystems = new(StringComparer.Ordinal)
    {
        ["B86001"] = "SystmOne",
        ["B86002"] = "EMIS Web",
        ["B86003"] = "SystmOne",
    };

    private static readonly (string Code, string Display)[] Problems =
    [
        ("195967001", "Asthma"), ("44054006", "Diabetes mellitus type 2"), ("38341003", "Hypertensive disorder, systemic arterial"),
        ("35489007", "Depressive disorder"), ("13645005", "Chronic obstructive lung disease"), ("49436004", "Atrial fibrillation"),
        ("68566005", "Urinary tract infectious disease"), ("65966004", "Fracture of forearm"), ("396275006", "Osteoarthritis"),
        ("709044004", "Chronic kidney disease"), ("22298006", "Myocardial infarction"), ("40930008", "Hypothyroidism"),
    ];

    private static readonly (string Code, string Display, string Dose, string Frequency)[] Medicines =
    [
        ("39109611000001103", "Metformin 500mg tablets", "1000 mg", "twice a day"),
        ("39112911000001109", "Amlodipine 5mg tablets", "5 mg", "once a day"),
        ("39682611000001107", "Ramipril 2.5mg capsules", "2.5 mg", "once a day"),
        ("39113611000001102", "Salbutamol 100micrograms/dose inhaler CFC free", "Two puffs", "when required"),
        ("39112411000001104", "Sertraline 50mg tablets", "50 mg", "once a day"),
        ("39732311000001104", "Amoxicillin 500mg capsules", "500 mg", "three times a day for 5 days"),
        ("39692211000001102", "Nitrofurantoin 50mg capsules", "50 mg", "four times a day"),
        ("41945511000001105", "Atorvastatin 20mg tablets", "20 mg", "at night"),
        ("39720311000001101", "Levothyroxine sodium 50microgram tablets", "50 micrograms", "once a day in the morning"),
        ("42109611000001109", "Apixaban 5mg tablets", "5 mg", "twice a day"),
    ];

    private static readonly (string Code, string Display, string Reaction, string ReactionDisplay)[] Allergens =
    [
        ("764146007", "Penicillin", "39579001", "Anaphylaxis"), ("387207008", "Ibuprofen", "51197009", "Stomach ache"),
        ("387494007", "Codeine", "271807003", "Eruption of skin"), ("91935009", "Peanut", "39579001", "Anaphylaxis"),
        ("111088007", "Latex", "40275004", "Contact dermatitis"),
    ];

    private static readonly (string Code, string Display, string Unit, double Low, double High)[] Tests =
    [
        ("1107481000000106", "Haemoglobin A1c level - IFCC standardised", "mmol/mol", 20, 41), ("1022431000000105", "Haemoglobin estimation", "g/L", 115, 165),
        ("1022541000000102", "Total white blood count", "10*9/L", 4, 11), ("1022651000000100", "Platelet count", "10*9/L", 150, 400),
        ("1005671000000105", "Serum cholesterol level", "mmol/L", 0, 5), ("1000731000000107", "Serum creatinine level", "umol/L", 59, 104),
        ("1011481000000105", "eGFR using creatinine (CKD-EPI) per 1.73 square metres", "mL/min/{1.73_m2}", 90, 200),
        ("1000661000000107", "Serum sodium level", "mmol/L", 133, 146), ("1000651000000109", "Serum potassium level", "mmol/L", 3.5, 5.3),
        ("1022481000000106", "Mean cell volume", "fL", 80, 100),
    ];

    private static readonly (DocumentType Type, string Code, string Display, string Title, string Author)[] Documents =
    [
        (DocumentType.ClinicLetter, "823691000000103", "Clinical letter", "Outpatient clinic letter", "Dr A Jones, Consultant Physician"),
        (DocumentType.DischargeSummary, "373942005", "Discharge summary", "Discharge summary: Ward J12, St James's University Hospital", "Dr S Khan, Consultant Cardiologist"),
        (DocumentType.Referral, "3457005", "Patient referral", "Referral to the community respiratory team", "Dr R Patel, GP Registrar"),
        (DocumentType.ClinicLetter, "823691000000103", "Clinical letter", "Diabetes clinic letter", "L Evans, Diabetes Specialist Nurse"),
    ];

    private static readonly string[] Sentences =
    [
        "Seen today in clinic with their daughter.", "Reports feeling generally well since the last review.",
        "Blood pressure was 138/84 mmHg sitting; pulse regular at 72 beats per minute.", "Chest clear on auscultation; no peripheral oedema.",
        "Bloods taken today for renal function, full blood count and HbA1c.", "Medication reviewed and reconciled with the GP record.",
        "Advised to continue the current dose and to return if symptoms worsen.", "Inhaler technique checked and found to be good.",
        "Discussed smoking cessation; referred to the local stop smoking service.", "Mobilising independently with a stick on the ward.",
        "Discharged home with a package of care twice daily.", "GP to review in two weeks and repeat bloods in three months.",
        "No new concerns raised by the patient or family.", "Follow-up appointment in the outpatient clinic in six months.",
        "ECG showed sinus rhythm with no acute changes.", "Weight stable; dietary advice given by the dietitian.",
    ];

    private static readonly DateOnly Earliest = new(1990, 1, 1);
    private static readonly DateOnly Latest = new(2026, 10, 31);

    /// <summary>The source system a practice's feed reports.</summary>
    public static string SystemOf(string ods) => ods == Hospital ? "PPM+" : PracticeSystems.GetValueOrDefault(ods, "SystmOne");

    /// <summary>Filler patient <paramref name="p"/>'s <paramref name="count"/> entries.</summary>
    public static IEnumerable<FillerContribution> For(FillerPatient p, int count)
    {
        var r = new Random(unchecked((p.Index * 104729) + 7919));
        var practice = FillerCohort.PracticeOf(p);
        var seen = new Dictionary<RecordCategory, int>();
        for (var k = 0; k < count; k++)
        {
            var category = Slots[k % Slots.Length];
            var n = seen.GetValueOrDefault(category);
            seen[category] = n + 1;
            var sourceId = string.Create(CultureInfo.InvariantCulture, $"fill-{p.NhsNumber}-{k:000}");
            var ods = category is RecordCategory.TestResults or RecordCategory.Documents ? Hospital : practice;
            var entry = new Entry
            {
                NhsNumber = p.NhsNumber,
                Category = category,
                Provenance = new Provenance { SourceEntryId = sourceId },
            };
            DocumentContent? content = null;
            switch (category)
            {
                case RecordCategory.Problems:
                {
                    var (code, display) = Problems[(p.Index + n) % Problems.Length];
                    entry.Code = new CodedConcept { System = Snomed, Code = code, Display = display };
                    var onset = Day(r, Earliest, Latest);
                    var active = n % 2 == 0;
                    entry.Problem = new Problem
                    {
                        ClinicalStatus = active ? ProblemClinicalStatus.Active : ProblemClinicalStatus.Resolved,
                        OnsetDate = onset,
                        Severity = (ProblemSeverity)(1 + r.Next(3)),
                    };
                    if (!active)
                    {
                        entry.Problem.ResolutionDate = Day(r, ToDateOnly(onset), Latest);
                    }

                    break;
                }

                case RecordCategory.Medications:
                {
                    var m = Medicines[(p.Index + n) % Medicines.Length];
                    entry.Code = new CodedConcept { System = Dmd, Code = m.Code, Display = m.Display };
                    var start = Day(r, new DateOnly(2005, 1, 1), Latest);
                    var current = n % 2 == 0;
                    entry.Medication = new Medication
                    {
                        DoseText = m.Dose,
                        FrequencyText = m.Frequency,
                        Route = new CodedConcept { System = Snomed, Code = "26643006", Display = "Oral route" },
                        StartDate = start,
                        Status = current ? MedicationStatus.Active : MedicationStatus.Stopped,
                    };
                    if (!current)
                    {
                        entry.Medication.EndDate = Day(r, ToDateOnly(start), Latest);
                        entry.Comment = "Stopped at medication review.";
                    }

                    break;
                }

                case RecordCategory.Allergies:
                {
                    var a = Allergens[(p.Index + n) % Allergens.Length];
                    entry.Code = new CodedConcept { System = Snomed, Code = a.Code, Display = a.Display };
                    entry.Allergy = new Allergy
                    {
                        Type = AllergyType.Allergy,
                        Reactions = { new CodedConcept { System = Snomed, Code = a.Reaction, Display = a.ReactionDisplay } },
                        Severity = (AllergySeverity)(1 + r.Next(3)),
                        Criticality = AllergyCriticality.Low,
                        VerificationStatus = n % 4 == 3 ? AllergyVerificationStatus.Unconfirmed : AllergyVerificationStatus.Confirmed,
                        OnsetDate = Day(r, new DateOnly(1980, 1, 1), Latest),
                    };
                    break;
                }

                case RecordCategory.TestResults:
                {
                    var t = Tests[(p.Index + n) % Tests.Length];
                    entry.Code = new CodedConcept { System = Snomed, Code = t.Code, Display = t.Display };
                    var value = Math.Round(t.Low * 0.8 + (r.NextDouble() * (t.High - (t.Low * 0.8)) * 1.2), 1);
                    var when = Instant(r, new DateOnly(2019, 1, 1), Latest);
                    entry.TestResult = new TestResult
                    {
                        Quantity = new Quantity { Value = value, Unit = t.Unit },
                        ReferenceRange = new ReferenceRange
                        {
                            Low = new Quantity { Value = t.Low, Unit = t.Unit },
                            High = new Quantity { Value = t.High, Unit = t.Unit },
                            Text = string.Create(CultureInfo.InvariantCulture, $"{t.Low}-{t.High} {t.Unit}"),
                        },
                        AbnormalFlag = value < t.Low ? AbnormalFlag.Low : value > t.High ? AbnormalFlag.High : AbnormalFlag.Normal,
                        EffectiveTime = when,
                        IssuedTime = Timestamp.FromDateTime(when.ToDateTime().AddHours(6)),
                        Status = ResultStatus.Final,
                        ReportId = string.Create(CultureInfo.InvariantCulture, $"LAB-{p.Index}-{n / 4}"),
                    };
                    break;
                }

                default:
                {
                    var d = Documents[(p.Index + n) % Documents.Length];
                    entry.Code = new CodedConcept { System = Snomed, Code = d.Code, Display = d.Display };
                    entry.Document = new Document { Type = d.Type, Title = d.Title, Author = d.Author, AuthoredTime = Instant(r, new DateOnly(2015, 1, 1), Latest) };
                    content = new DocumentContent { ContentType = "text/plain", Data = ByteString.CopyFromUtf8(Letter(r, d.Title)) };
                    break;
                }
            }

            yield return new FillerContribution(ods, SystemOf(ods), new EntryContribution { Entry = entry, DocumentContent = content });
        }
    }

    private static string Letter(Random r, string title)
    {
        var target = 1500 + r.Next(4500);
        var text = new StringBuilder(target + 200).Append(title).Append("\n\n");
        while (text.Length < target)
        {
            text.Append(Sentences[r.Next(Sentences.Length)]).Append(r.Next(5) == 0 ? "\n\n" : " ");
        }

        return text.ToString();
    }

    private static DateOnly ToDateOnly(Date d) => new(d.Year, d.Month, d.Day);

    private static Date Day(Random r, DateOnly from, DateOnly to)
    {
        var d = from.AddDays(r.Next(to.DayNumber - from.DayNumber + 1));
        return new Date { Year = d.Year, Month = d.Month, Day = d.Day };
    }

    private static Timestamp Instant(Random r, DateOnly from, DateOnly to)
    {
        var d = from.AddDays(r.Next(to.DayNumber - from.DayNumber + 1));
        return Timestamp.FromDateTime(new DateTime(d.Year, d.Month, d.Day, 8 + r.Next(10), r.Next(60), 0, DateTimeKind.Utc));
    }

    /// <summary>Largest-remainder interleaving: any run of slots holds the categories in their shares.</summary>
    private static RecordCategory[] Interleave(params (RecordCategory Category, int Count)[] shares)
    {
        var total = shares.Sum(s => s.Count);
        var used = new int[shares.Length];
        var slots = new RecordCategory[total];
        for (var s = 0; s < total; s++)
        {
            var best = 0;
            var bestDue = double.MinValue;
            for (var j = 0; j < shares.Length; j++)
            {
                var due = (shares[j].Count * (s + 1.0) / total) - used[j];
                if (due > bestDue)
                {
                    (best, bestDue) = (j, due);
                }
            }

            slots[s] = shares[best].Category;
            used[best]++;
        }

        return slots;
    }
}
