using System.CommandLine;
using Lcr.Identity.V1;

namespace Lcr.Cli;

/// <summary>
/// The joiners list of federated sign-in through the gateway's IdentityService (a system client with
/// identity.admin, e.g. platform-admin): people a trusted provider vouched for whom the platform could
/// not admit, to link to a professional or dismiss.
/// </summary>
internal static class JoinerCommands
{
    public static Command Create(CliEnvironment env)
    {
        var joiners = new Command("joiners",
            "Joiners: people the identity provider (CIS2) signed in whom the platform does not know or whose role profiles map to nothing; link or dismiss them.");
        joiners.Subcommands.Add(List(env));
        joiners.Subcommands.Add(Link(env));
        joiners.Subcommands.Add(Dismiss(env));
        return joiners;
    }

    private static Option<string> Client() => new("--client")
    {
        Description = "The system client with the identity.admin scope (default: $LCR_CLIENT, else the profile's, else platform-admin); " +
            "its token comes from `lcr signin --client` or is renewed from $LCR_CLIENT_SECRET.",
    };

    private static Command List(CliEnvironment env)
    {
        var client = Client();
        var status = new Option<string>("--status") { Description = "Only joiners with this status: " + string.Join(", ", Parsing.Names<FederatedJoinerStatus>()) + " (default: every status)." };
        var provider = new Option<string>("--provider") { Description = "Only joiners of this provider (its configured name, e.g. cis2)." };
        var org = new Option<string>("--org") { Description = "Only joiners with a role profile at this ODS code." };
        var pageSize = new Option<int>("--page-size") { Description = "Joiners per page (default 50, at most 200)." };
        var pageToken = new Option<string>("--page-token") { Description = "The next-page token printed by the previous page (same filters)." };
        var command = new Command("list", "Lists the joiners, most recently seen first (ListFederatedJoiners).")
        {
            client, status, provider, org, pageSize, pageToken,
        };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var request = new ListFederatedJoinersRequest
            {
                Provider = parse.GetValue(provider) ?? string.Empty,
                OrganisationOdsCode = parse.GetValue(org) ?? string.Empty,
                PageSize = parse.GetValue(pageSize),
                PageToken = parse.GetValue(pageToken) ?? string.Empty,
            };
            if (parse.GetValue(status) is { } s)
            {
                request.Status = Parsing.Enum<FederatedJoinerStatus>(s, "--status");
            }

            var token = await i.SystemTokenAsync(i.AdminClient(parse.GetValue(client)));
            var reply = await i.Identity.ListFederatedJoinersAsync(request, i.Options(token));
            if (i.Json)
            {
                i.WriteJson(reply);
                return;
            }

            i.Console.Write(JoinerView.Joiners($"Joiners ({reply.Joiners.Count})", reply.Joiners));
            if (reply.NextPageToken.Length > 0)
            {
                i.WriteLine($"More: lcr joiners list --page-token {reply.NextPageToken}");
            }

            i.WriteLine("Link one to a professional: lcr joiners link <joiner-id> <user name or platform id>; or: lcr joiners dismiss <joiner-id>");
        }));
        return command;
    }

    private static Command Link(CliEnvironment env)
    {
        var client = Client();
        var id = new Argument<string>("joiner-id") { Description = "The joiner id (last column of `lcr joiners list`)." };
        var professional = new Argument<string>("professional") { Description = "The professional's user name (e.g. gp.b86001) or platform id." };
        var command = new Command("link",
            "Links a joiner to a professional: their federated subject becomes the joiner's, so their next sign-in at the provider finds them (LinkFederatedJoiner).")
        {
            id, professional, client,
        };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var token = await i.SystemTokenAsync(i.AdminClient(parse.GetValue(client)));
            var professionalId = await AuditCommands.ResolveActorAsync(i, token, parse.GetValue(professional)!);
            var reply = await i.Identity.LinkFederatedJoinerAsync(
                new LinkFederatedJoinerRequest { JoinerId = parse.GetValue(id)!, ProfessionalId = professionalId }, i.Options(token));
            Show(i, reply.Joiner, reply);
        }));
        return command;
    }

    private static Command Dismiss(CliEnvironment env)
    {
        var client = Client();
        var id = new Argument<string>("joiner-id") { Description = "The joiner id (last column of `lcr joiners list`)." };
        var command = new Command("dismiss", "Dismisses a joiner: nobody will link them; later attempts are still counted (DismissFederatedJoiner).")
        {
            id, client,
        };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var token = await i.SystemTokenAsync(i.AdminClient(parse.GetValue(client)));
            var reply = await i.Identity.DismissFederatedJoinerAsync(new DismissFederatedJoinerRequest { JoinerId = parse.GetValue(id)! }, i.Options(token));
            Show(i, reply.Joiner, reply);
        }));
        return command;
    }

    private static void Show(Invocation i, FederatedJoiner joiner, Google.Protobuf.IMessage reply)
    {
        if (i.Json)
        {
            i.WriteJson(reply);
            return;
        }

        i.Console.Write(JoinerView.Joiners("Joiner", [joiner]));
    }
}
