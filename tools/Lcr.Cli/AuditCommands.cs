using System.CommandLine;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Identity.V1;
using Spectre.Console;

namespace Lcr.Cli;

/// <summary>
/// The audit log through the gateway's AuditService: one patient's trail (an IG officer's
/// information-governance token), one professional's trail and chain verification (a system
/// client with audit.read, e.g. platform-admin: session tokens carry no role to check).
/// </summary>
internal static class AuditCommands
{
    public static Command Create(CliEnvironment env)
    {
        var audit = new Command("audit", "Query the tamper-evident audit log: by patient, by professional; verify the hash chains.");
        audit.Subcommands.Add(ByPatient(env));
        audit.Subcommands.Add(ByProfessional(env));
        audit.Subcommands.Add(Verify(env));
        return audit;
    }

    internal static Option<string> Client() => new("--client")
    {
        Description = "The system client with the audit scopes (default: $LCR_CLIENT, else the profile's, else platform-admin); " +
            "its token comes from `lcr signin --client` or is renewed from $LCR_CLIENT_SECRET.",
    };

    private static Option<string[]> Actions() => new("--action")
    {
        Description = "Only these actions (repeatable): " + string.Join(", ", Parsing.Names<AuditAction>()) + ".",
        AllowMultipleArgumentsPerToken = true,
    };

    private static Option<string> Outcome() => new("--outcome") { Description = "Only permitted or denied events." };

    private static Command ByPatient(CliEnvironment env)
    {
        var nhs = new Argument<string>("nhs-number") { Description = "The patient's NHS number." };
        var token = new Option<string>("--token") { Description = "An IG access token for the patient, or a system token with audit.read (default: $LCR_TOKEN, else from your IG session)." };
        var from = new Option<string>("--from") { Description = "Only events from this date (YYYY-MM-DD or RFC 3339)." };
        var to = new Option<string>("--to") { Description = "Only events before this date." };
        var actions = Actions();
        var outcome = Outcome();
        var pageSize = new Option<int>("--page-size") { Description = "Events per page (default 50, at most 500)." };
        var pageToken = new Option<string>("--page-token") { Description = "The next-page token printed by the previous page." };
        var command = new Command("patient", "Every audit event about one patient, newest first (ListEventsByPatient). The query is itself audited.")
        {
            nhs, token, from, to, actions, outcome, pageSize, pageToken,
        };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var patient = parse.GetValue(nhs)!;
            var request = new ListEventsByPatientRequest
            {
                NhsNumber = patient,
                Period = Parsing.Period(parse.GetValue(from), parse.GetValue(to)),
                PageSize = parse.GetValue(pageSize),
                PageToken = parse.GetValue(pageToken) ?? string.Empty,
            };
            request.Actions.AddRange((parse.GetValue(actions) ?? []).Select(a => Parsing.Enum<AuditAction>(a, "--action")));
            if (parse.GetValue(outcome) is { } o)
            {
                request.Outcomes.Add(Parsing.Enum<AuditOutcome>(o, "--outcome"));
            }

            var bearer = await i.AccessTokenAsync(patient, parse.GetValue(token), PurposeOfUse.InformationGovernance);
            var reply = await new AuditService.AuditServiceClient(i.Channel).ListEventsByPatientAsync(request, i.Options(bearer));
            if (i.Json)
            {
                i.WriteJson(reply);
                return;
            }

            i.Write(AuditView.Events($"Audit events about {RecordView.FormatNhs(patient)}", reply.Events));
            if (reply.NextPageToken.Length > 0)
            {
                i.WriteLine($"More: lcr audit patient {patient} --page-token {reply.NextPageToken}");
            }
        }));
        return command;
    }

    private static Command ByProfessional(CliEnvironment env)
    {
        var actor = new Argument<string>("professional")
        {
            Description = "The professional's platform id, or their user name (e.g. gp.b86001, looked up with the client's identity.admin scope), or a system client id.",
        };
        var client = Client();
        var from = new Option<string>("--from") { Description = "Only events from this date (YYYY-MM-DD or RFC 3339)." };
        var to = new Option<string>("--to") { Description = "Only events before this date." };
        var actions = Actions();
        var outcome = Outcome();
        var pageSize = new Option<int>("--page-size") { Description = "Events per page (default 50, at most 500)." };
        var pageToken = new Option<string>("--page-token") { Description = "The next-page token printed by the previous page." };
        var command = new Command("professional",
            "Every audit event of one professional (or system client), newest first (ListEventsByActor): for investigating a professional's access.")
        {
            actor, client, from, to, actions, outcome, pageSize, pageToken,
        };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var token = await i.SystemTokenAsync(i.AdminClient(parse.GetValue(client)));
            var id = await ResolveActorAsync(i, token, parse.GetValue(actor)!);
            var request = new ListEventsByActorRequest
            {
                ActorId = id,
                Period = Parsing.Period(parse.GetValue(from), parse.GetValue(to)),
                PageSize = parse.GetValue(pageSize),
                PageToken = parse.GetValue(pageToken) ?? string.Empty,
            };
            request.Actions.AddRange((parse.GetValue(actions) ?? []).Select(a => Parsing.Enum<AuditAction>(a, "--action")));
            if (parse.GetValue(outcome) is { } o)
            {
                request.Outcomes.Add(Parsing.Enum<AuditOutcome>(o, "--outcome"));
            }

            var reply = await new AuditService.AuditServiceClient(i.Channel).ListEventsByActorAsync(request, i.Options(token));
            if (i.Json)
            {
                i.WriteJson(reply);
                return;
            }

            i.Write(AuditView.Events($"Audit events of {parse.GetValue(actor)}", reply.Events));
            if (reply.NextPageToken.Length > 0)
            {
                i.WriteLine($"More: lcr audit professional {parse.GetValue(actor)} --page-token {reply.NextPageToken}");
            }
        }));
        return command;
    }

    /// <summary>A platform id as is; a user name looked up in the directory (ListProfessionals, identity.admin); else the value as is (a client id).</summary>
    internal static async Task<string> ResolveActorAsync(Invocation i, string systemToken, string value)
    {
        if (Guid.TryParse(value, out _) || !value.Contains('.', StringComparison.Ordinal))
        {
            return value;
        }

        var cached = i.Cache.Load(i.Address).Session;
        if (cached is { } s && string.Equals(s.UserName, value, StringComparison.OrdinalIgnoreCase) && s.ProfessionalId.Length > 0)
        {
            return s.ProfessionalId;
        }

        var request = new ListProfessionalsRequest { PageSize = 200, IncludeInactive = true };
        do
        {
            var page = await i.Identity.ListProfessionalsAsync(request, i.Options(systemToken));
            if (page.Professionals.FirstOrDefault(p => string.Equals(p.UserName, value, StringComparison.OrdinalIgnoreCase)) is { } found)
            {
                return found.Id;
            }

            request.PageToken = page.NextPageToken;
        }
        while (request.PageToken.Length > 0);

        throw new CliException(ExitCodes.NotFound, $"no professional with the user name '{value}': give their platform id instead");
    }

    private static Command Verify(CliEnvironment env)
    {
        var client = Client();
        var partitions = new Option<int[]>("--partition") { Description = "Only these chain partitions (repeatable; default: all).", AllowMultipleArgumentsPerToken = true };
        var command = new Command("verify",
            "Recomputes the audit log's hash chains and reports the first break, if any (VerifyChain). Exit code 1 when a chain is broken. " +
            "A long log may need a longer --timeout.")
        {
            client, partitions,
        };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var token = await i.SystemTokenAsync(i.AdminClient(parse.GetValue(client)));
            var request = new VerifyChainRequest();
            request.ChainPartitions.AddRange(parse.GetValue(partitions) ?? []);
            var reply = await i.WithProgressAsync("Verifying the audit log's hash chains...",
                async _ => await new AuditService.AuditServiceClient(i.Channel).VerifyChainAsync(request, i.Options(token)));
            if (i.Json)
            {
                i.WriteJson(reply);
            }
            else if (reply.Intact)
            {
                i.Console.MarkupLineInterpolated($"[green]Intact:[/] {reply.EventsVerified} events verified at {Text.Time(reply.VerifyTime)}.");
            }
            else
            {
                var b = reply.FirstBreak;
                i.Console.MarkupLineInterpolated(
                    $"[bold red]Broken:[/] partition {b.ChainPartition}, sequence {b.ChainSequence}: {Parsing.Name(b.Kind)} (event {b.EventId}); {reply.EventsVerified} events checked.");
            }

            return reply.Intact ? ExitCodes.Ok : ExitCodes.Failure;
        }));
        return command;
    }
}
