using System.CommandLine;
using Lcr.Cli;

var root = new RootCommand("lcr: the Leeds Care Record platform's command-line tool.");
root.Subcommands.Add(HealthCommand.Create());
root.Subcommands.Add(PatientCommands.Create());
root.Subcommands.Add(DevCommands.Create());
root.Subcommands.Add(ExportCommands.Create());
foreach (var command in GatewayCommands.Create())
{
    root.Subcommands.Add(command);
}

return await root.Parse(args).InvokeAsync();
