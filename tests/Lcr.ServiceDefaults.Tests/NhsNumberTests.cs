using Lcr.ServiceDefaults;

namespace Lcr.ServiceDefaults.Tests;

public class NhsNumberTests
{
    [Theory]
    [InlineData("9434765919")]
    [InlineData("4698194180")]
    [InlineData("9990000018")]
    public void Valid_numbers_pass_the_modulus_11_check(string value) => Assert.True(NhsNumber.IsValid(value));

    [Theory]
    [InlineData("9990000000")] // wrong check digit
    [InlineData("9434765918")] // one digit off
    [InlineData("943476591")] // nine digits
    [InlineData("94347659190")] // eleven digits
    [InlineData("943 476 5919")] // spaces are not part of the canonical form
    [InlineData("943476591X")]
    [InlineData("")]
    [InlineData(null)]
    public void Invalid_numbers_are_refused(string? value) => Assert.False(NhsNumber.IsValid(value));

    [Fact]
    public void A_remainder_giving_ten_means_no_valid_number_exists()
    {
        // 000000010: sum = 1*2 = 2 -> 11 - 2 = 9 (valid); find a prefix whose check would be 10.
        var found = Enumerable.Range(0, 200).Select(i => i.ToString("000000000", System.Globalization.CultureInfo.InvariantCulture))
            .First(p => NhsNumber.CheckDigit(p) == -1);
        for (var d = 0; d <= 9; d++)
        {
            Assert.False(NhsNumber.IsValid(found + d));
        }
    }

    [Fact]
    public void Eleven_minus_zero_remainder_gives_check_digit_zero()
    {
        Assert.Equal(0, NhsNumber.CheckDigit("469819418"));
        Assert.True(NhsNumber.IsValid("4698194180"));
    }

    [Fact]
    public void Require_names_the_field_in_the_violation()
    {
        var e = Assert.Throws<InvalidArgumentException>(() => NhsNumber.Require("123", "patient.nhs_number"));
        Assert.Equal("patient.nhs_number", Assert.Single(e.Violations).Field);
    }
}
