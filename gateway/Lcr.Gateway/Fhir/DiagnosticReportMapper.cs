using Lcr.Clinical.V1;
using R4 = Hl7.Fhir.Model;
using static Lcr.Gateway.Fhir.FhirValues;

namespace Lcr.Gateway.Fhir;

/// <summary>Results a source reported under one report id, grouped into a laboratory DiagnosticReport.</summary>
public static class DiagnosticReportMapper
{
    /// <summary>One report per (source organisation, report id) among <paramref name="results"/>' current versions.</summary>
    public static IEnumerable<R4.DiagnosticReport> Map(IEnumerable<Entry> results, FhirMappingContext context) =>
        results
            .Where(r => r.DetailCase == Entry.DetailOneofCase.TestResult && r.TestResult.ReportId.Length > 0)
            .GroupBy(r => (Ods: r.Provenance?.SourceOrganisation?.OdsCode ?? string.Empty, r.TestResult.ReportId))
            .Select(g => Report(g.Key.Ods, g.Key.ReportId, g.ToList(), context));

    private static R4.DiagnosticReport Report(string ods, string reportId, List<Entry> results, FhirMappingContext context)
    {
        var first = results[0];
        var recorded = results.Select(r => r.Provenance?.RecordedTime?.ToDateTimeOffset()).Where(t => t is not null).Max();
        var report = new R4.DiagnosticReport
        {
            Id = StableId("report", ods + "|" + reportId),
            // The report changes whenever one of its results does: its version is the sum of theirs.
            Meta = context.Meta(results.Sum(r => r.Version), recorded),
            Status = results.All(r => r.EnteredInError) ? R4.DiagnosticReport.DiagnosticReportStatus.EnteredInError
                : R4.DiagnosticReport.DiagnosticReportStatus.Final,
            Code = results.Select(r => r.TestResult.ReportCode).FirstOrDefault(c => c is { Code.Length: > 0 }) is { } code
                ? Concept(code) : new R4.CodeableConcept { Text = "Laboratory report" },
            Subject = context.Patient(),
            Effective = results.Where(r => r.TestResult.EffectiveTime is not null).Select(r => r.TestResult.EffectiveTime.ToDateTimeOffset())
                .Order().Take(1).Select(t => new R4.FhirDateTime(t)).FirstOrDefault(),
            Result = results.Select(r => new R4.ResourceReference(context.Reference("Observation", context.EntryResourceId(r)))
            {
                Display = Text(r.Code),
            }).ToList(),
        };
        report.Identifier.Add(new R4.Identifier(FhirSystems.ReportId, reportId) { Assigner = context.Organisation(first.Provenance?.SourceOrganisation) });
        report.Category.Add(new R4.CodeableConcept(FhirSystems.DiagnosticServiceSection, "LAB", "Laboratory"));
        var performer = context.Organisation(first.Provenance?.SourceOrganisation);
        report.Performer.Add(performer);
        report.Text = new FhirNarrative("Laboratory report: " + (report.Code.Text ?? "Laboratory report"))
            .Row("Results", string.Join(", ", results.Select(r => Text(r.Code) +
                (r.TestResult.ValueCase == TestResult.ValueOneofCase.Quantity ? " " + Text(r.TestResult.Quantity) : string.Empty))))
            .Row("Taken", Text(results.Select(r => r.TestResult.EffectiveTime?.ToDateTimeOffset()).Where(t => t is not null).Min()))
            .Row("Reported by", performer.Display)
            .Row("Status", report.Status?.ToString())
            .Build();
        return report;
    }
}
