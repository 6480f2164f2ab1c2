using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Gateway.Fhir;
using Lcr.ServiceDefaults;
using Microsoft.Extensions.Primitives;

namespace Lcr.Gateway.Tests.Fhir;

/// <summary>Search parameter parsing, without a host.</summary>
public class FhirSearchUnitTests
{
    private static FhirSearch Parse(string type, params (string Name, string Value)[] query) =>
        FhirSearch.Parse(type, query.GroupBy(q => q.Name).Select(g => new KeyValuePair<string, StringValues>(g.Key, g.Select(x => x.Value).ToArray())));

    private static IReadOnlyList<FieldViolation> Refused(string type, params (string, string)[] query) =>
        Assert.Throws<InvalidArgumentException>(() => Parse(type, query)).Violations;

    [Fact]
    public void A_search_is_scoped_to_one_patient_given_as_id_or_reference()
    {
        Assert.Equal("abc-1", Parse("Condition", ("patient", "abc-1")).PatientId);
        Assert.Equal("abc-1", Parse("Condition", ("subject", "Patient/abc-1")).PatientId);
        Assert.Equal("patient", Assert.Single(Refused("Condition")).Field);
        Assert.Equal("patient", Assert.Single(Refused("Condition", ("patient", "a,b"))).Field);
        Assert.Contains(Refused("Condition", ("patient", "a"), ("subject", "b")), v => v.Field == "subject");
        Assert.Equal("patient", Assert.Single(Refused("Condition", ("patient", "Practitioner/x"))).Field);
    }

    [Theory]
    [InlineData("_has:Observation:patient:code", "_has")]
    [InlineData("_include", "_include")]
    [InlineData("_revinclude", "_revinclude")]
    [InlineData("subject.name", "subject")]
    [InlineData("patient:Patient.name", "patient")]
    [InlineData("<script>", "(a search parameter)")]
    [InlineData("code", "code")]
    public void Unsupported_parameters_are_named_by_their_base_name_only(string name, string named)
    {
        var violations = Refused("Condition", ("patient", "p"), (name, "x"));
        Assert.Contains(violations, v => v.Field == named);
    }

    [Fact]
    public void Status_category_count_and_page_token_map_to_the_read_path()
    {
        var s = Parse("Condition", ("patient", "p"), ("clinical-status", "active,resolved"), ("category", "http://terminology.hl7.org/CodeSystem/condition-category|problem-list-item"),
            ("_count", "10"), (FhirSearch.PageTokenParameter, "opaque"));
        Assert.Equal([EntryStatus.Active, EntryStatus.Inactive], s.Statuses);
        Assert.Equal(RecordCategory.Problems, s.Category);
        Assert.Equal(10, s.PageSize);
        Assert.Equal("opaque", s.PageToken);
        Assert.DoesNotContain(s.Query, q => q.Key == FhirSearch.PageTokenParameter);
        Assert.Equal([EntryStatus.Inactive], Parse("MedicationStatement", ("patient", "p"), ("status", "stopped")).Statuses);
        Assert.Equal("status", Assert.Single(Refused("MedicationStatement", ("patient", "p"), ("status", "resolved"))).Field);
        Assert.Equal("category", Assert.Single(Refused("Observation", ("patient", "p"), ("category", "vital-signs"))).Field);
        Assert.Equal("clinical-status", Assert.Single(Refused("Observation", ("patient", "p"), ("clinical-status", "active"))).Field);
        Assert.Equal("_count", Assert.Single(Refused("Condition", ("patient", "p"), ("_count", "0"))).Field);
        Assert.Equal("_count", Assert.Single(Refused("Condition", ("patient", "p"), ("_count", "-1"))).Field);
        Assert.Equal("_format", Assert.Single(Refused("Condition", ("patient", "p"), ("_format", "application/fhir+xml"))).Field);
        Assert.Equal(0, Parse("Condition", ("patient", "p"), ("_format", "json"), ("_count", "")).PageSize);
    }

    [Fact]
    public void Dates_narrow_a_half_open_range_by_their_precision()
    {
        var s = Parse("Observation", ("patient", "p"), ("date", "ge2024-03"), ("date", "lt2024-03-15"));
        Assert.Equal(new DateTimeOffset(2024, 3, 1, 0, 0, 0, TimeSpan.Zero), s.Period!.StartTime.ToDateTimeOffset());
        Assert.Equal(new DateTimeOffset(2024, 3, 15, 0, 0, 0, TimeSpan.Zero), s.Period.EndTime.ToDateTimeOffset());

        var eq = Parse("Observation", ("patient", "p"), ("date", "2024")).Period!;
        Assert.Equal(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero), eq.StartTime.ToDateTimeOffset());
        Assert.Equal(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), eq.EndTime.ToDateTimeOffset());

        var gt = Parse("Observation", ("patient", "p"), ("date", "gt2024-03-01T10:00:00+01:00")).Period!;
        Assert.Equal(new DateTimeOffset(2024, 3, 1, 9, 0, 1, TimeSpan.Zero), gt.StartTime.ToDateTimeOffset());
        Assert.Null(gt.EndTime);
        var le = Parse("Observation", ("patient", "p"), ("date", "le2024-02-29")).Period!;
        Assert.Equal(new DateTimeOffset(2024, 3, 1, 0, 0, 0, TimeSpan.Zero), le.EndTime.ToDateTimeOffset());

        foreach (var bad in new[] { "2024-02-30", "ne2024", "sa2024", "yesterday", "2024-13", "24", "9999", "2024-01-01T25:00" })
        {
            Assert.Equal("date", Assert.Single(Refused("Observation", ("patient", "p"), ("date", bad))).Field);
        }
    }

    [Fact]
    public void No_violation_quotes_the_callers_value()
    {
        var violations = Refused("Condition", ("patient", "<b>evil</b>"), ("clinical-status", "evil-status"), ("date", "evil-date"), ("_count", "evil"),
            ("category", "evil-category"), ("evil<x>", "v"));
        Assert.All(violations, v => Assert.DoesNotContain("evil", v.Field + v.Description, StringComparison.Ordinal));
    }
}
