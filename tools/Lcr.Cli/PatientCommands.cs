using System.CommandLine;
using System.Globalization;
using Lcr.Common.V1;
using Lcr.Demographics.V1;

namespace Lcr.Cli;

internal static class PatientCommands
{
    public static Command Create(CliEnvironment env)
    {
        var patient = new Command("patient", "Demographics straight from the demographics service: only where it runs without internal credentials (service development); through the platform use `record`. " +
            "Merges of NHS numbers (supersede, withdraw-supersession, supersessions) go through the gateway as the platform's PDS feed.");
        patient.Subcommands.Add(Get());
        patient.Subcommands.Add(Search());
        foreach (var command in SupersessionCommands.Create(env))
        {
            patient.Subcommands.Add(command);
        }

        return patient;
    }

    private static Option<string> Demographics() => new("--demographics")
    {
        Description = "The demographics service's address (default: $LCR_DEMOGRAPHICS_ADDRESS, else http://127.0.0.1:7101).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(EnvironmentNames.ServiceAddress("demographics")) ?? "http://127.0.0.1:7101",
    };

    /// <summary>What a failure's hint may name: the demographics address and its option, never a sign-in (these calls carry none).</summary>
    internal static FailureContext Context(string address, string? nhs) =>
        new(Address: address, NhsNumber: nhs, AddressOption: $"--demographics/${EnvironmentNames.ServiceAddress("demographics")}");

    private static Command Get()
    {
        var address = Demographics();
        var nhs = new Argument<string>("nhs-number") { Description = "10-digit NHS number." };
        var command = new Command("get", "Shows a patient's demographics (DemographicsService.GetPatient).") { nhs, address };
        command.SetAction((parse, ct) => Common.Call(async () =>
        {
            using var channel = Common.Channel(parse.GetValue(address)!);
            var client = new DemographicsService.DemographicsServiceClient(channel);
            var reply = await client.GetPatientAsync(new GetPatientRequest { NhsNumber = parse.GetValue(nhs) },
                deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: ct);
            Common.Print(reply.Patient);
        }, Context(parse.GetValue(address)!, parse.GetValue(nhs))));
        return command;
    }

    private static Command Search()
    {
        var address = Demographics();
        var family = new Option<string>("--family") { Description = "Family name (any case, accents optional).", Required = true };
        var dob = new Option<string>("--dob") { Description = "Date of birth, YYYY-MM-DD.", Required = true };
        var given = new Option<string>("--given") { Description = "Start of the first given name." };
        var postcode = new Option<string>("--postcode") { Description = "Postcode, any spacing." };
        var command = new Command("search", "Traces patients by family name and date of birth (SearchPatients).")
        {
            family, dob, given, postcode, address,
        };
        command.SetAction((parse, ct) => Common.Call(async () =>
        {
            if (!DateOnly.TryParseExact(parse.GetValue(dob), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
            {
                throw new CliException(ExitCodes.Usage, "--dob must be YYYY-MM-DD");
            }

            using var channel = Common.Channel(parse.GetValue(address)!);
            var client = new DemographicsService.DemographicsServiceClient(channel);
            var reply = await client.SearchPatientsAsync(new SearchPatientsRequest
            {
                Family = parse.GetValue(family),
                BirthDate = new Date { Year = d.Year, Month = d.Month, Day = d.Day },
                GivenPrefix = parse.GetValue(given) ?? string.Empty,
                Postcode = parse.GetValue(postcode) ?? string.Empty,
            }, deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: ct);
            Common.Print(reply);
        }, Context(parse.GetValue(address)!, null)));
        return command;
    }
}
