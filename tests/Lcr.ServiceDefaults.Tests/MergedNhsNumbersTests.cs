using Lcr.ServiceDefaults;

namespace Lcr.ServiceDefaults.Tests;

/// <summary>The one check every service makes of the gateway's merged_nhs_numbers.</summary>
public sealed class MergedNhsNumbersTests
{
    private const string Own = "9990000018";
    private const string Other = "9990000026";

    private static (bool Good, string[] Fields) Check(string[] merged, string field = MergedNhsNumbers.Field)
    {
        var v = new FieldViolations();
        var good = MergedNhsNumbers.Validate(merged, Own, v, field);
        return (good, v.Items.Select(i => i.Field).ToArray());
    }

    [Fact]
    public void An_empty_list_and_valid_distinct_numbers_pass()
    {
        Assert.True(Check([]).Good);
        Assert.Empty(Check([]).Fields);
        Assert.True(Check([Other]).Good);
    }

    [Fact]
    public void Each_bad_number_is_named_by_position_and_never_echoed()
    {
        var v = new FieldViolations();
        Assert.False(MergedNhsNumbers.Validate(["12345", Own, Other, Other, "9990000019"], Own, v));

        Assert.Equal(["merged_nhs_numbers[0]", "merged_nhs_numbers[1]", "merged_nhs_numbers[3]", "merged_nhs_numbers[4]"], v.Items.Select(i => i.Field));
        Assert.All(v.Items, i => Assert.DoesNotContain(Other, i.Description, StringComparison.Ordinal));
    }

    [Fact]
    public void More_than_fifty_names_the_list_under_the_callers_field()
    {
        var many = Enumerable.Range(0, MergedNhsNumbers.Max + 1).Select(_ => Other).ToArray();

        var (good, fields) = Check(many, "events[2].merged_nhs_numbers");
        Assert.False(good);
        Assert.Equal(["events[2].merged_nhs_numbers"], fields);
    }
}
