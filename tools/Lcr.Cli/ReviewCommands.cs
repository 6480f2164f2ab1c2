using System.CommandLine;
using Google.Protobuf.WellKnownTypes;
using Lcr.Audit.V1;
using Lcr.Common.V1;

namespace Lcr.Cli;

/// <summary>Privacy review through the gateway's AuditService (a system client with audit.review, e.g. platform-admin).</summary>
internal static class ReviewCommands
{
    public static Command Create(CliEnvironment env)
    {
        var review = new Command("review", "Privacy review: run the rules over a period, list the review cases, show one case's flagged events.");
        review.Subcommands.Add(Run(env));
        review.Subcommands.Add(Cases(env));
        review.Subcommands.Add(Case(env));
        return review;
    }

    private static Command Run(CliEnvironment env)
    {
        var client = AuditCommands.Client();
        var from = new Option<string>("--from") { Description = "Start of the period (YYYY-MM-DD or RFC 3339; default: --days before --to)." };
        var to = new Option<string>("--to") { Description = "End of the period, exclusive (default: now)." };
        var days = new Option<int>("--days") { Description = "Length of the period when --from is not given (default 7, at most 31).", DefaultValueFactory = _ => 7 };
        var rules = new Option<string[]>("--rule")
        {
            Description = "Only these rules (repeatable): " + string.Join(", ", Parsing.Names<PrivacyRule>()) + ". Default: every rule.",
            AllowMultipleArgumentsPerToken = true,
        };
        var pageSize = new Option<int>("--page-size") { Description = "Cases per page (default 50)." };
        var pageToken = new Option<string>("--page-token") { Description = "The next-page token printed by the previous page (same period and rules)." };
        var command = new Command("run",
            "Runs the privacy review rules (emergency access, no care relationship, own record, shared name or address, unusual volume, " +
            "outside usual hours, repeated denials) over a period and lists the flagged cases (RunPrivacyReview). Idempotent.")
        {
            client, from, to, days, rules, pageSize, pageToken,
        };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var end = parse.GetValue(to) is { } t ? Parsing.Instant(t, "--to") : Timestamp.FromDateTimeOffset(i.Env.Clock.GetUtcNow());
            var start = parse.GetValue(from) is { } f
                ? Parsing.Instant(f, "--from")
                : Timestamp.FromDateTimeOffset(end.ToDateTimeOffset().AddDays(-parse.GetValue(days)));
            var request = new RunPrivacyReviewRequest
            {
                Period = new Period { StartTime = start, EndTime = end },
                PageSize = parse.GetValue(pageSize),
                PageToken = parse.GetValue(pageToken) ?? string.Empty,
            };
            request.Rules.AddRange((parse.GetValue(rules) ?? []).Select(r => Parsing.Enum<PrivacyRule>(r, "--rule")));
            var token = await i.SystemTokenAsync(i.AdminClient(parse.GetValue(client)));
            var reply = await i.WithProgressAsync("Running the privacy review rules over the period...",
                async _ => await new AuditService.AuditServiceClient(i.Channel).RunPrivacyReviewAsync(request, i.Options(token)));
            if (i.Json)
            {
                i.WriteJson(reply);
                return;
            }

            i.Write(AuditView.Cases($"Privacy review {Text.Time(start)} to {Text.Time(end)}: {reply.Cases.Count} cases, {reply.NewCaseCount} new", reply.Cases));
            if (reply.NextPageToken.Length > 0)
            {
                i.WriteLine($"More: lcr review run --from {Text.Time(start)} --to {Text.Time(end)} --page-token {reply.NextPageToken}");
            }

            i.WriteLine("Flagged events of a case: lcr review case <case-id>");
        }));
        return command;
    }

    private static Command Cases(CliEnvironment env)
    {
        var client = AuditCommands.Client();
        var status = new Option<string>("--status") { Description = "Only cases with this status: " + string.Join(", ", Parsing.Names<PrivacyReviewCaseStatus>()) + "." };
        var rule = new Option<string>("--rule") { Description = "Only cases from this rule." };
        var severity = new Option<string>("--min-severity") { Description = "Only cases at or above: low, medium, high." };
        var nhs = new Option<string>("--nhs") { Description = "Only cases about this patient." };
        var actor = new Option<string>("--actor") { Description = "Only cases about this professional (platform id or user name)." };
        var pageSize = new Option<int>("--page-size") { Description = "Cases per page (default 50)." };
        var pageToken = new Option<string>("--page-token") { Description = "The next-page token printed by the previous page." };
        var command = new Command("cases", "Lists privacy review cases, newest first (ListPrivacyReviewCases).")
        {
            client, status, rule, severity, nhs, actor, pageSize, pageToken,
        };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var token = await i.SystemTokenAsync(i.AdminClient(parse.GetValue(client)));
            var request = new ListPrivacyReviewCasesRequest
            {
                NhsNumber = parse.GetValue(nhs) ?? string.Empty,
                PageSize = parse.GetValue(pageSize),
                PageToken = parse.GetValue(pageToken) ?? string.Empty,
            };
            if (parse.GetValue(status) is { } s)
            {
                request.Statuses.Add(Parsing.Enum<PrivacyReviewCaseStatus>(s, "--status"));
            }

            if (parse.GetValue(rule) is { } r)
            {
                request.Rules.Add(Parsing.Enum<PrivacyRule>(r, "--rule"));
            }

            if (parse.GetValue(severity) is { } sev)
            {
                request.MinimumSeverity = Parsing.Enum<PrivacySeverity>(sev, "--min-severity");
            }

            if (parse.GetValue(actor) is { } a)
            {
                request.ActorId = await AuditCommands.ResolveActorAsync(i, token, a);
            }

            var reply = await new AuditService.AuditServiceClient(i.Channel).ListPrivacyReviewCasesAsync(request, i.Options(token));
            if (i.Json)
            {
                i.WriteJson(reply);
                return;
            }

            i.Write(AuditView.Cases($"Privacy review cases ({reply.Cases.Count})", reply.Cases));
            if (reply.NextPageToken.Length > 0)
            {
                i.WriteLine($"More: lcr review cases --page-token {reply.NextPageToken}");
            }
        }));
        return command;
    }

    private static Command Case(CliEnvironment env)
    {
        var client = AuditCommands.Client();
        var id = new Argument<string>("case-id") { Description = "The case id (last column of `lcr review run` / `lcr review cases`)." };
        var command = new Command("case", "Shows one privacy review case with its flagged events (GetPrivacyReviewCase).") { id, client };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var token = await i.SystemTokenAsync(i.AdminClient(parse.GetValue(client)));
            var reply = await new AuditService.AuditServiceClient(i.Channel).GetPrivacyReviewCaseAsync(
                new GetPrivacyReviewCaseRequest { CaseId = parse.GetValue(id)! }, i.Options(token));
            if (i.Json)
            {
                i.WriteJson(reply);
                return;
            }

            WriteCase(i, reply.ReviewCase);
        }));
        return command;
    }

    /// <summary>One case for people: the case, its flagged events, its decisions (shared with `lcr alerts show`).</summary>
    internal static void WriteCase(Invocation i, PrivacyReviewCase c)
    {
        i.Write(AuditView.Alerts("Privacy review case", [c]));
        i.WriteLine($"{Parsing.Name(c.Rule)}, {Parsing.Name(c.Severity)}, {Parsing.Name(c.Origin)}; alerted to {c.Organisation?.OdsCode}; " +
                    $"patient {RecordView.FormatNhs(c.NhsNumber)}; created {Text.Time(c.CreateTime)}");
        i.WriteLine("Why: " + c.Explanation);
        i.Write(AuditView.Events($"Flagged events ({c.Events.Count} of {c.EventCount})", c.Events));
        if (c.History.Count > 0)
        {
            i.Console.Write(AuditView.History(c.History));
        }
        else if (c.ResolutionNote.Length > 0)
        {
            i.WriteLine($"Resolution: {c.ResolutionNote} ({AuditView.Actor(c.ClosedBy)}, {Text.Time(c.CloseTime)})");
        }
    }
}
