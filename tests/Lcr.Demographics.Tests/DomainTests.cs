using Lcr.Demographics.Domain;

namespace Lcr.Demographics.Tests;

public class PostcodeTests
{
    [Theory]
    [InlineData("LS9 7TF", "LS9 7TF")]
    [InlineData("ls97tf", "LS9 7TF")]
    [InlineData("  ls9   7tf ", "LS9 7TF")]
    [InlineData("LS11 5PW", "LS11 5PW")]
    [InlineData("ec1a1bb", "EC1A 1BB")]
    [InlineData("W1A 0AX", "W1A 0AX")]
    [InlineData("m11ae", "M1 1AE")]
    [InlineData("ZZ99 3VZ", "ZZ99 3VZ")] // NHS pseudo-postcode for no fixed abode
    public void Valid_postcodes_are_normalised(string input, string expected) => Assert.Equal(expected, Postcode.Normalise(input));

    [Theory]
    [InlineData("LS9")]
    [InlineData("LS9 7T")]
    [InlineData("9LS 7TF")]
    [InlineData("LS9 7CF")] // C is never an inward-code letter
    [InlineData("LS9-7TF")]
    [InlineData("")]
    [InlineData("LS9 7TF LS9 7TF")]
    public void Invalid_postcodes_are_refused(string input) => Assert.Null(Postcode.Normalise(input));
}

public class SearchTextTests
{
    [Theory]
    [InlineData("Öztürk", "ozturk")]
    [InlineData("OZTURK", "ozturk")]
    [InlineData("  O'Brien ", "obrien")]
    [InlineData("Smith-Jones", "smith-jones")]
    [InlineData("Müller", "muller")]
    [InlineData("Łukasz", "lukasz")]
    [InlineData("van  der   Berg", "van der berg")]
    [InlineData("José", "jose")]
    public void Names_match_ignoring_case_accents_and_punctuation(string input, string expected) =>
        Assert.Equal(expected, SearchText.Normalise(input));
}
