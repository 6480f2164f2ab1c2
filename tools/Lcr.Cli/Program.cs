using System.CommandLine;

namespace Lcr.Cli;

internal static class Program
{
    /// <summary>The command tree: one line per command group.</summary>
    internal static RootCommand Build(CliEnvironment env)
    {
        var root = CliApp.Root();
        root.Add(SessionCommands.Create(env));   // signin, signout, token
        root.Add(RecordCommands.Create(env));    // record, entries, access-log
        root.Add(ClaimCommand.Create(env));      // claim (self-claimed care relationship)
        root.Add(ConsentCommands.Create(env));   // consent show|history|opt-out|withdraw-opt-out|restrict|unrestrict
        root.Add(AuditCommands.Create(env));     // audit patient|professional|verify
        root.Add(ReviewCommands.Create(env));    // review run|cases|case
        root.Add(AlertCommands.Create(env));     // alerts list|show|decide
        root.Add(JoinerCommands.Create(env));    // joiners list|link|dismiss (federated sign-in)
        root.Add(SeedCommand.Create(env));       // seed
        root.Add(HealthCommand.Create(env));     // health
        root.Add(ProfileCommands.Create(env));   // profile show|set|use|list
        root.Add(PatientCommands.Create(env));   // patient get|search (demographics service, development only), supersede|withdraw-supersession|supersessions
        root.Add(DevCommands.Create(env));       // dev example-nhs-number
        root.Add(ExportCommands.Create(env));    // export (subject access, FHIR R4 Bundle)
        return root;
    }

    private static Task<int> Main(string[] args)
    {
        var env = CliEnvironment.FromProcess();
        return CliApp.InvokeAsync(Build(env), args, env);
    }
}
