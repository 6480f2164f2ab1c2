using System.CommandLine;
using Lcr.ServiceDefaults.DevData;

namespace Lcr.Cli;

internal static class DevCommands
{
    public static Command Create()
    {
        var dev = new Command("dev", "Facts about the synthetic development data that make run seeds.");
        var example = new Command("example-nhs-number", "Prints the NHS number of the README's example patient.");
        example.SetAction(_ => Console.WriteLine(SyntheticCohort.Patients[SyntheticOrganisations.Scenario.ExamplePatient].NhsNumber));
        dev.Subcommands.Add(example);
        return dev;
    }
}
