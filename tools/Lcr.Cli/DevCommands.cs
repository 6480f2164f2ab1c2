using System.CommandLine;
using Lcr.ServiceDefaults.DevData;

namespace Lcr.Cli;

internal static class DevCommands
{
    public static Command Create(CliEnvironment env)
    {
        var dev = new Command("dev", "Facts about the synthetic development data that make run seeds.");
        var sealedPatient = new Option<bool>("--sealed") { Description = "The seeded patient whose record is sealed instead (only their GP, gp.b86001, is named)." };
        var mergedAway = new Option<bool>("--merged-away") { Description = "The seeded temporary NHS number that is superseded (merged into --merged-into's number)." };
        var mergedInto = new Option<bool>("--merged-into") { Description = "The seeded NHS number another was merged into: its record includes the other's entries." };
        var deceased = new Option<bool>("--deceased") { Description = "The seeded patient who has died (30 days before the seed ran)." };
        var example = new Command("example-nhs-number", "Prints the NHS number of the README's example patient (risks and alerts included), or of another scenario patient.")
        {
            sealedPatient, mergedAway, mergedInto, deceased,
        };
        example.Validators.Add(result =>
        {
            if (new[] { sealedPatient, mergedAway, mergedInto, deceased }.Count(o => result.GetValue(o)) > 1)
            {
                result.AddError("Choose one of --sealed, --merged-away, --merged-into, --deceased.");
            }
        });
        example.SetAction(parse =>
        {
            var index = parse.GetValue(sealedPatient) ? SyntheticOrganisations.Scenario.Sealed
                : parse.GetValue(mergedAway) ? SyntheticOrganisations.Scenario.MergedAway
                : parse.GetValue(mergedInto) ? SyntheticOrganisations.Scenario.MergedInto
                : parse.GetValue(deceased) ? SyntheticOrganisations.Scenario.Deceased
                : SyntheticOrganisations.Scenario.ExamplePatient;
            env.Out.WriteLine(SyntheticCohort.Patients[index].NhsNumber);
        });
        dev.Subcommands.Add(example);
        return dev;
    }
}
