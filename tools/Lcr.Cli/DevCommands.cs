using System.CommandLine;
using Lcr.ServiceDefaults.DevData;

namespace Lcr.Cli;

internal static class DevCommands
{
    public static Command Create()
    {
        var dev = new Command("dev", "Facts about the synthetic development data that make run seeds.");
        var sealedPatient = new Option<bool>("--sealed") { Description = "The seeded patient whose record is sealed instead (only their GP, gp.b86001, is named)." };
        var example = new Command("example-nhs-number", "Prints the NHS number of the README's example patient.") { sealedPatient };
        example.SetAction(parse => Console.WriteLine(SyntheticCohort.Patients[
            parse.GetValue(sealedPatient) ? SyntheticOrganisations.Scenario.Sealed : SyntheticOrganisations.Scenario.ExamplePatient].NhsNumber));
        dev.Subcommands.Add(example);
        return dev;
    }
}
