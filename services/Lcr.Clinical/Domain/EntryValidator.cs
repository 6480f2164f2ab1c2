using System.Text;
using Google.Protobuf.WellKnownTypes;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;

namespace Lcr.Clinical.Domain;

/// <summary>The contract's documented limits.</summary>
public static class Limits
{
    public const int MaxBatchSize = 100;
    public const int MaxDocumentBytes = 10 * 1024 * 1024;
    public const int MaxSourceEntryIdLength = 200;
    public const int MaxSourceSystemLength = 100;
    public const int MaxCommentLength = 4000;
    public const int MaxReasonLength = 1000;
    public const int MaxSummaryListed = 200;
    public const int MaxSummaryResults = 50;
    public const int MaxSummaryDocuments = 20;
    public const int MaxSummaryAlerts = 100;

    /// <summary>NHS numbers merged into a read's own number (the gateway's <c>merged_nhs_numbers</c>).</summary>
    public const int MaxMergedNumbers = MergedNhsNumbers.Max;
    public const int MaxExclusions = 1000;

    /// <summary>
    /// Entry ids one call may exclude (a patient may withhold entries one by one without
    /// limit; 10,000 ids are about 400 KB, well inside a gRPC message).
    /// </summary>
    public const int MaxExcludedEntries = 10_000;

    public static readonly IReadOnlySet<string> ContentTypes =
        new HashSet<string>(StringComparer.Ordinal) { "text/plain", "text/html", "application/pdf" };
}

/// <summary>
/// Validates one contributed item and returns it in canonical form: input fields only,
/// trimmed, codes upper-cased where the coding system is case-insensitive (ODS), defaults
/// applied. Every bad field is recorded with its full path, e.g. <c>entries[3].entry.problem.onset_date</c>.
/// </summary>
public static class EntryValidator
{
    public static bool IsClinicalCategory(RecordCategory c) =>
        c is RecordCategory.Problems or RecordCategory.Medications or RecordCategory.Allergies
            or RecordCategory.TestResults or RecordCategory.Documents or RecordCategory.RisksAndAlerts;

    /// <summary>The message naming the clinical categories, for a field that must be one of them.</summary>
    public const string ClinicalCategories =
        "must be one of RECORD_CATEGORY_PROBLEMS, _MEDICATIONS, _ALLERGIES, _TEST_RESULTS, _DOCUMENTS or _RISKS_AND_ALERTS";

    public static Entry.DetailOneofCase DetailFor(RecordCategory c) => c switch
    {
        RecordCategory.Problems => Entry.DetailOneofCase.Problem,
        RecordCategory.Medications => Entry.DetailOneofCase.Medication,
        RecordCategory.Allergies => Entry.DetailOneofCase.Allergy,
        RecordCategory.TestResults => Entry.DetailOneofCase.TestResult,
        RecordCategory.Documents => Entry.DetailOneofCase.Document,
        RecordCategory.RisksAndAlerts => Entry.DetailOneofCase.Alert,
        _ => Entry.DetailOneofCase.None,
    };

    private static string DetailField(Entry.DetailOneofCase d) => d switch
    {
        Entry.DetailOneofCase.Problem => "problem",
        Entry.DetailOneofCase.Medication => "medication",
        Entry.DetailOneofCase.Allergy => "allergy",
        Entry.DetailOneofCase.TestResult => "test_result",
        Entry.DetailOneofCase.Document => "document",
        Entry.DetailOneofCase.Alert => "alert",
        _ => "detail",
    };

    /// <summary>Validates a contribution; returns the canonical entry (null when the entry is missing).</summary>
    public static Entry? Validate(EntryContribution item, string path, DateTimeOffset now, FieldViolations v)
    {
        var e = item.Entry;
        if (e is null)
        {
            v.Add(path + ".entry", "is required");
            return null;
        }

        var p = path + ".entry.";
        var canonical = new Entry();
        if (NhsNumber.Validate(e.NhsNumber, v, p + "nhs_number"))
        {
            canonical.NhsNumber = e.NhsNumber;
        }

        var category = e.Category;
        if (!IsClinicalCategory(category))
        {
            v.Add(p + "category", category == RecordCategory.Unspecified
                ? "is required"
                : ClinicalCategories);
        }
        else if (e.DetailCase == Entry.DetailOneofCase.None)
        {
            v.Add(p + DetailField(DetailFor(category)), $"is required for {Name(category)}");
        }
        else if (DetailFor(category) != e.DetailCase)
        {
            v.Add(p + "category", $"does not match the detail set ({DetailField(e.DetailCase)})");
        }

        canonical.Category = category;
        canonical.Code = Concept(e.Code, p + "code", required: true, v);

        var sourceId = e.Provenance?.SourceEntryId?.Trim() ?? string.Empty;
        if (v.RequireText(sourceId, p + "provenance.source_entry_id", Limits.MaxSourceEntryIdLength))
        {
            canonical.Provenance = new Provenance { SourceEntryId = sourceId };
        }

        if (v.DefinedEnum(e.Sensitivity, p + "sensitivity"))
        {
            canonical.Sensitivity = e.Sensitivity == Sensitivity.Unspecified ? Sensitivity.Normal : e.Sensitivity;
        }

        if (v.MaxLength(e.Comment, p + "comment", Limits.MaxCommentLength))
        {
            canonical.Comment = e.Comment.Trim();
        }

        var today = DateOnly.FromDateTime(now.UtcDateTime.AddDays(1));
        switch (e.DetailCase)
        {
            case Entry.DetailOneofCase.Problem:
                canonical.Problem = Problem(e.Problem, p + "problem.", today, v);
                break;
            case Entry.DetailOneofCase.Medication:
                canonical.Medication = Medication(e.Medication, p + "medication.", today, v);
                break;
            case Entry.DetailOneofCase.Allergy:
                canonical.Allergy = Allergy(e.Allergy, p + "allergy.", today, v);
                break;
            case Entry.DetailOneofCase.TestResult:
                canonical.TestResult = TestResult(e.TestResult, p + "test_result.", now, v);
                break;
            case Entry.DetailOneofCase.Document:
                canonical.Document = Document(e.Document, p + "document.", now, v);
                break;
            case Entry.DetailOneofCase.Alert:
                canonical.Alert = Alert(e.Alert, p + "alert.", today, v);
                break;
        }

        var content = item.DocumentContent;
        if (content is not null)
        {
            if (e.DetailCase != Entry.DetailOneofCase.Document)
            {
                v.Add(path + ".document_content", "must be absent for entries that are not documents");
            }
            else
            {
                Content(content, path + ".document_content.", v);
            }
        }

        v.Check(item.ExpectedVersion >= 0, path + ".expected_version", "must not be negative");
        return canonical;
    }

    public static string Name(RecordCategory c) => c switch
    {
        RecordCategory.Problems => "RECORD_CATEGORY_PROBLEMS",
        RecordCategory.Medications => "RECORD_CATEGORY_MEDICATIONS",
        RecordCategory.Allergies => "RECORD_CATEGORY_ALLERGIES",
        RecordCategory.TestResults => "RECORD_CATEGORY_TEST_RESULTS",
        RecordCategory.Documents => "RECORD_CATEGORY_DOCUMENTS",
        RecordCategory.RisksAndAlerts => "RECORD_CATEGORY_RISKS_AND_ALERTS",
        _ => c.ToString(),
    };

    private static Problem Problem(Problem d, string p, DateOnly today, FieldViolations v)
    {
        v.RequireEnum(d.ClinicalStatus, p + "clinical_status");
        v.DefinedEnum(d.Severity, p + "severity");
        var onset = PastDate(d.OnsetDate, p + "onset_date", today, v);
        var resolved = PastDate(d.ResolutionDate, p + "resolution_date", today, v);
        if (resolved is not null)
        {
            v.Check(d.ClinicalStatus is ProblemClinicalStatus.Resolved or ProblemClinicalStatus.Inactive or ProblemClinicalStatus.Unspecified,
                p + "resolution_date", "is only allowed for a resolved or inactive problem");
            v.Check(onset is null || resolved >= onset, p + "resolution_date", "must not be before onset_date");
        }

        return d.Clone();
    }

    private static Medication Medication(Medication d, string p, DateOnly today, FieldViolations v)
    {
        var m = d.Clone();
        if (v.RequireText(d.DoseText, p + "dose_text", 1000))
        {
            m.DoseText = d.DoseText.Trim();
        }

        if (v.MaxLength(d.FrequencyText, p + "frequency_text", 200))
        {
            m.FrequencyText = d.FrequencyText.Trim();
        }

        m.Route = Concept(d.Route, p + "route", required: false, v);
        var start = PastDate(d.StartDate, p + "start_date", today, v);
        if (d.EndDate is not null)
        {
            if (v.Check(EntryFacts.TryDate(d.EndDate, out var end) && end.Year >= 1900, p + "end_date", "must be a real calendar date"))
            {
                v.Check(start is null || end >= start, p + "end_date", "must not be before start_date");
            }
        }

        v.RequireEnum(d.Status, p + "status");
        m.PrescribingOrganisation = Organisation(d.PrescribingOrganisation, p + "prescribing_organisation", v);
        return m;
    }

    /// <summary>Kind, severity and status required; a start not in the future; an end (which may be in the future) not before the start.</summary>
    private static Alert Alert(Alert d, string p, DateOnly today, FieldViolations v)
    {
        v.RequireEnum(d.Kind, p + "kind");
        v.RequireEnum(d.Severity, p + "severity");
        v.RequireEnum(d.Status, p + "status");
        var start = PastDate(d.StartDate, p + "start_date", today, v);
        if (d.EndDate is not null)
        {
            if (v.Check(EntryFacts.TryDate(d.EndDate, out var end) && end.Year >= 1900, p + "end_date", "must be a real calendar date from 1900 on"))
            {
                v.Check(start is null || end >= start, p + "end_date", "must not be before start_date");
            }
        }

        return d.Clone();
    }

    private static Allergy Allergy(Allergy d, string p, DateOnly today, FieldViolations v)
    {
        var a = d.Clone();
        v.DefinedEnum(d.Type, p + "type");
        v.DefinedEnum(d.Severity, p + "severity");
        v.DefinedEnum(d.Criticality, p + "criticality");
        v.RequireEnum(d.VerificationStatus, p + "verification_status");
        v.Check(d.Reactions.Count <= 20, p + "reactions", "must have at most 20 reactions");
        a.Reactions.Clear();
        for (var i = 0; i < d.Reactions.Count && i < 20; i++)
        {
            a.Reactions.Add(Concept(d.Reactions[i], $"{p}reactions[{i}]", required: true, v) ?? new CodedConcept());
        }

        PastDate(d.OnsetDate, p + "onset_date", today, v);
        return a;
    }

    private static TestResult TestResult(TestResult d, string p, DateTimeOffset now, FieldViolations v)
    {
        var r = d.Clone();
        switch (d.ValueCase)
        {
            case V1.TestResult.ValueOneofCase.Quantity:
                Quantity(d.Quantity, p + "quantity.", v);
                break;
            case V1.TestResult.ValueOneofCase.TextValue:
                if (v.RequireText(d.TextValue, p + "text_value", 4000))
                {
                    r.TextValue = d.TextValue.Trim();
                }

                break;
            default:
                v.Add(p + "value", "is required: a quantity or a text value");
                break;
        }

        if (d.ReferenceRange is { } range)
        {
            if (range.Low is not null)
            {
                Quantity(range.Low, p + "reference_range.low.", v);
            }

            if (range.High is not null)
            {
                Quantity(range.High, p + "reference_range.high.", v);
            }

            v.MaxLength(range.Text, p + "reference_range.text", 200);
        }

        v.DefinedEnum(d.AbnormalFlag, p + "abnormal_flag");
        PastInstant(d.EffectiveTime, p + "effective_time", required: true, now, v);
        PastInstant(d.IssuedTime, p + "issued_time", required: false, now, v);
        v.RequireEnum(d.Status, p + "status");
        if (v.MaxLength(d.ReportId, p + "report_id", 200))
        {
            r.ReportId = d.ReportId.Trim();
        }

        r.ReportCode = Concept(d.ReportCode, p + "report_code", required: false, v);
        return r;
    }

    private static Document Document(Document d, string p, DateTimeOffset now, FieldViolations v)
    {
        var doc = d.Clone();
        v.RequireEnum(d.Type, p + "type");
        if (v.RequireText(d.Title, p + "title", 500))
        {
            doc.Title = d.Title.Trim();
        }

        if (v.MaxLength(d.Author, p + "author", 200))
        {
            doc.Author = d.Author.Trim();
        }

        doc.AuthoringOrganisation = Organisation(d.AuthoringOrganisation, p + "authoring_organisation", v);
        PastInstant(d.AuthoredTime, p + "authored_time", required: true, now, v);

        // Output only: filled from the stored content.
        doc.ContentType = string.Empty;
        doc.SizeBytes = 0;
        return doc;
    }

    private static void Content(DocumentContent c, string p, FieldViolations v)
    {
        if (!v.Check(Limits.ContentTypes.Contains(c.ContentType), p + "content_type",
                "must be text/plain, text/html or application/pdf"))
        {
            return;
        }

        if (c.Data.Length == 0)
        {
            v.Add(p + "data", "is required");
            return;
        }

        if (c.Data.Length > Limits.MaxDocumentBytes)
        {
            v.Add(p + "data", $"must be at most {Limits.MaxDocumentBytes} bytes (10 MiB)");
            return;
        }

        if (c.ContentType == "application/pdf")
        {
            v.Check(c.Data.Span.StartsWith("%PDF-"u8), p + "data", "is not a PDF file");
        }
        else
        {
            v.Check(IsUtf8(c.Data.Span), p + "data", "must be UTF-8 text");
        }
    }

    private static bool IsUtf8(ReadOnlySpan<byte> bytes) => System.Text.Unicode.Utf8.IsValid(bytes);

    private static void Quantity(Quantity q, string p, FieldViolations v)
    {
        v.Check(double.IsFinite(q.Value), p + "value", "must be a finite number");
        v.RequireText(q.Unit, p + "unit", 50);
        v.DefinedEnum(q.Comparator, p + "comparator");
    }

    private static CodedConcept? Concept(CodedConcept? c, string p, bool required, FieldViolations v)
    {
        if (c is null)
        {
            if (required)
            {
                v.Add(p, "is required");
            }

            return null;
        }

        var ok = v.RequireText(c.System, p + ".system", 200);
        ok &= v.RequireText(c.Code, p + ".code", 100);
        ok &= v.MaxLength(c.Display, p + ".display", 500);
        return ok ? new CodedConcept { System = c.System.Trim(), Code = c.Code.Trim(), Display = c.Display.Trim() } : null;
    }

    private static OrganisationReference? Organisation(OrganisationReference? o, string p, FieldViolations v)
    {
        if (o is null)
        {
            return null;
        }

        var ods = NormaliseOds(o.OdsCode);
        return v.Check(ods is not null, p + ".ods_code", "must be an ODS code: 3 to 12 letters and digits")
            ? new OrganisationReference { OdsCode = ods! }
            : null;
    }

    /// <summary>Upper-cases and checks an ODS code (3 to 12 letters and digits); null when invalid.</summary>
    public static string? NormaliseOds(string? ods)
    {
        var s = ods?.Trim().ToUpperInvariant() ?? string.Empty;
        return s.Length is >= 3 and <= 12 && s.All(char.IsAsciiLetterOrDigit) ? s : null;
    }

    private static DateOnly? PastDate(Date? d, string field, DateOnly today, FieldViolations v)
    {
        if (d is null)
        {
            return null;
        }

        if (!EntryFacts.TryDate(d, out var date) || date.Year < 1900)
        {
            v.Add(field, "must be a real calendar date from 1900 on");
            return null;
        }

        return v.Check(date <= today, field, "must not be in the future") ? date : null;
    }

    private static void PastInstant(Timestamp? t, string field, bool required, DateTimeOffset now, FieldViolations v)
    {
        if (t is null)
        {
            v.Check(!required, field, "is required");
            return;
        }

        if (v.Time(t, field) is not { } time ||
            !v.Check(time >= new DateTimeOffset(1900, 1, 1, 0, 0, 0, TimeSpan.Zero), field, "must be a time from 1900 on"))
        {
            return;
        }

        v.Check(time <= now.AddDays(1), field, "must not be in the future");
    }
}
