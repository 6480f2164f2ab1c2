using System.CommandLine;
using Lcr.Demographics.V1;

namespace Lcr.Cli;

/// <summary>
/// `lcr patient supersede|withdraw-supersession|supersessions`: merges of NHS numbers through the
/// gateway's DemographicsService, as the platform's PDS feed (a system client with
/// demographics.merge of the platform's IG organisation; default lcr01-pds-feed).
/// </summary>
internal static class SupersessionCommands
{
    public const string DefaultClient = "lcr01-pds-feed";

    public static IEnumerable<Command> Create(CliEnvironment env) => [Supersede(env), Withdraw(env), List(env)];

    private static Option<string> Client() => new("--client")
    {
        Description = $"The system client with demographics.merge (default: {DefaultClient}); its token comes from `lcr signin --client` " +
            "or is renewed from $LCR_CLIENT_SECRET.",
    };

    private static Option<string> Notice() => new("--notice-id")
    {
        Description = "The feed's identifier for this notice (the idempotency key: re-sending it changes nothing).", Required = true,
    };

    private static Command Supersede(CliEnvironment env)
    {
        var client = Client();
        var notice = Notice();
        var superseded = new Option<string>("--superseded") { Description = "The NHS number that is superseded (merged away).", Required = true };
        var by = new Option<string>("--by") { Description = "The NHS number that supersedes it (the one kept).", Required = true };
        var command = new Command("supersede",
            "Reports that one NHS number is superseded by another (a merge, ReportSupersession): reads of the old number then point to the kept one, " +
            "whose record includes the old number's.") { notice, superseded, by, client };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var token = await i.SystemTokenAsync(parse.GetValue(client) ?? DefaultClient);
            var reply = await new DemographicsService.DemographicsServiceClient(i.Channel).ReportSupersessionAsync(new ReportSupersessionRequest
            {
                NoticeId = parse.GetValue(notice)!, SupersededNhsNumber = parse.GetValue(superseded)!, NhsNumber = parse.GetValue(by)!,
            }, i.Options(token));
            if (i.Json)
            {
                i.WriteJson(reply);
                return;
            }

            i.Env.Out.WriteLine((reply.Created ? "Recorded: " : "Already recorded (notice re-sent, nothing changed): ") + Describe(reply.Supersession));
        }));
        return command;
    }

    private static Command Withdraw(CliEnvironment env)
    {
        var client = Client();
        var notice = Notice();
        var superseded = new Option<string>("--superseded") { Description = "The superseded NHS number of the merge to withdraw.", Required = true };
        var by = new Option<string>("--by") { Description = "The NHS number that superseded it.", Required = true };
        var command = new Command("withdraw-supersession",
            "Withdraws a supersession reported in error (an unmerge, WithdrawSupersession): both numbers are two patients again, " +
            "each with what was recorded under it.") { notice, superseded, by, client };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var token = await i.SystemTokenAsync(parse.GetValue(client) ?? DefaultClient);
            var reply = await new DemographicsService.DemographicsServiceClient(i.Channel).WithdrawSupersessionAsync(new WithdrawSupersessionRequest
            {
                NoticeId = parse.GetValue(notice)!, SupersededNhsNumber = parse.GetValue(superseded)!, NhsNumber = parse.GetValue(by)!,
            }, i.Options(token));
            if (i.Json)
            {
                i.WriteJson(reply);
                return;
            }

            i.Env.Out.WriteLine((reply.Withdrawn ? "Withdrawn: " : "Already withdrawn (nothing changed): ") + Describe(reply.Supersession));
        }));
        return command;
    }

    private static Command List(CliEnvironment env)
    {
        var client = Client();
        var nhs = new Argument<string>("nhs-number") { Description = "10-digit NHS number (either side of a merge)." };
        var pageSize = new Option<int>("--page-size") { Description = "Supersessions per page (default 50, at most 200)." };
        var pageToken = new Option<string>("--page-token") { Description = "The next-page token printed by the previous page." };
        var command = new Command("supersessions", "Lists every supersession involving an NHS number, standing or withdrawn, newest first (ListSupersessions).")
        {
            nhs, pageSize, pageToken, client,
        };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var token = await i.SystemTokenAsync(parse.GetValue(client) ?? DefaultClient);
            var reply = await new DemographicsService.DemographicsServiceClient(i.Channel).ListSupersessionsAsync(new ListSupersessionsRequest
            {
                NhsNumber = parse.GetValue(nhs)!, PageSize = parse.GetValue(pageSize), PageToken = parse.GetValue(pageToken) ?? string.Empty,
            }, i.Options(token));
            if (i.Json)
            {
                i.WriteJson(reply);
                return;
            }

            if (reply.Supersessions.Count == 0)
            {
                i.Env.Out.WriteLine("No supersessions.");
            }

            foreach (var s in reply.Supersessions)
            {
                i.Env.Out.WriteLine(Describe(s));
            }

            if (reply.NextPageToken.Length > 0)
            {
                i.Env.Out.WriteLine($"More: --page-token {reply.NextPageToken}");
            }
        }));
        return command;
    }

    /// <summary>One line: "943 476 5870 superseded by 943 476 5919 (notice N, standing)".</summary>
    public static string Describe(Supersession? s) => s is null
        ? string.Empty
        : $"{RecordView.FormatNhs(s.SupersededNhsNumber)} superseded by {RecordView.FormatNhs(s.NhsNumber)} " +
          $"(notice {s.NoticeId}, {(s.State == SupersessionState.Withdrawn ? $"withdrawn by notice {s.WithdrawalNoticeId}" : "standing")})";
}
