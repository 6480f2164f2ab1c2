using Lcr.Clinical.V1;
using R4 = Hl7.Fhir.Model;
using static Lcr.Gateway.Fhir.FhirValues;

namespace Lcr.Gateway.Fhir;

/// <summary>A test result as a laboratory Observation, with UCUM units where the unit is a UCUM expression.</summary>
public static class ObservationMapper
{
    public static R4.Observation Map(Entry e, FhirMappingContext context)
    {
        var t = e.TestResult;
        var o = new R4.Observation
        {
            Identifier = EntryElements.Identifiers(e, context),
            Status = e.EnteredInError ? R4.ObservationStatus.EnteredInError : t.Status switch
            {
                ResultStatus.Preliminary => R4.ObservationStatus.Preliminary,
                ResultStatus.Amended => R4.ObservationStatus.Amended,
                ResultStatus.Cancelled => R4.ObservationStatus.Cancelled,
                _ => R4.ObservationStatus.Final,
            },
            Code = Concept(e.Code),
            Subject = context.Patient(),
            Effective = t.EffectiveTime is { } when ? new R4.FhirDateTime(when.ToDateTimeOffset()) : null,
            Issued = t.IssuedTime?.ToDateTimeOffset(),
            Note = EntryElements.Notes(e),
        };
        o.Category.Add(new R4.CodeableConcept(FhirSystems.ObservationCategory, "laboratory", "Laboratory"));
        o.Performer.Add(context.Organisation(e.Provenance?.SourceOrganisation));
        o.Value = t.ValueCase switch
        {
            TestResult.ValueOneofCase.Quantity => Quantity(t.Quantity, withComparator: true),
            TestResult.ValueOneofCase.TextValue => new R4.FhirString(t.TextValue),
            _ => null,
        };
        string? rangeText = null;
        if (t.ReferenceRange is { } range && (range.Low is not null || range.High is not null || range.Text.Length > 0))
        {
            o.ReferenceRange.Add(new R4.Observation.ReferenceRangeComponent
            {
                Low = range.Low is { } low ? Quantity(low, withComparator: false) : null,
                High = range.High is { } high ? Quantity(high, withComparator: false) : null,
                Text = Blank(range.Text),
            });
            rangeText = Blank(range.Text) ?? (Text(range.Low) + " to " + Text(range.High)).Trim();
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
            o.Interpretation.Add(new R4.CodeableConcept(FhirSystems.Interpretation, f.Item1, f.Item2));
        }

        o.Text = new FhirNarrative("Test result: " + Text(e.Code))
            .Row("Result", t.ValueCase == TestResult.ValueOneofCase.Quantity ? Text(t.Quantity) : t.TextValue)
            .Row("Reference range", rangeText)
            .Row("Interpretation", flag?.Item2)
            .Row("Status", e.EnteredInError ? null : o.Status?.ToString())
            .Row("Taken", Text(t.EffectiveTime?.ToDateTimeOffset()))
            .Row("Reported", Text(t.IssuedTime?.ToDateTimeOffset()))
            .Source(e)
            .Build();
        return o;
    }
}
