using Lcr.ServiceDefaults.DevData;

namespace Lcr.Cli.Tests;

/// <summary>`lcr dev example-nhs-number`: the scenario patients a newcomer tries after make run, without a platform.</summary>
public sealed class DevCommandTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Theory]
    [InlineData(null, SyntheticOrganisations.Scenario.ExamplePatient)]
    [InlineData("--sealed", SyntheticOrganisations.Scenario.Sealed)]
    [InlineData("--merged-away", SyntheticOrganisations.Scenario.MergedAway)]
    [InlineData("--merged-into", SyntheticOrganisations.Scenario.MergedInto)]
    [InlineData("--deceased", SyntheticOrganisations.Scenario.Deceased)]
    public async Task Each_option_prints_its_scenario_patients_number(string? option, int index)
    {
        var r = option is null ? await _cli.RunAsync("dev", "example-nhs-number") : await _cli.RunAsync("dev", "example-nhs-number", option);

        Assert.Equal(0, r.ExitCode);
        Assert.Equal(SyntheticCohort.Patients[index].NhsNumber, r.Out.Trim());
    }

    [Fact]
    public async Task Two_scenarios_at_once_exit_2()
    {
        var r = await _cli.RunAsync("dev", "example-nhs-number", "--merged-away", "--deceased");

        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("Choose one of", r.Error);
    }
}
