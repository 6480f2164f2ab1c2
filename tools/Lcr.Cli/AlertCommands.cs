using System.CommandLine;
using Google.Protobuf.WellKnownTypes;
using Lcr.Audit.V1;
using Lcr.Common.V1;

namespace Lcr.Cli;

/// <summary>
/// Privacy alerts (the privacy review cases raised at access and by review runs) for a privacy
/// officer signed in with `lcr signin --user ...`, or a system client with audit.review (--client).
/// The gateway shows each caller only their organisations' alerts.
/// </summary>
internal static class AlertCommands
{
    /// <summary>The decisions `lcr alerts decide --status` takes.</summary>
    public static readonly IReadOnlyDictionary<string, PrivacyReviewCaseStatus> Decisions =
        new Dictionary<string, PrivacyReviewCaseStatus>(StringComparer.OrdinalIgnoreCase)
        {
            ["justified"] = PrivacyReviewCaseStatus.Justified,
            ["flagged"] = PrivacyReviewCaseStatus.FlaggedForInvestigation,
            ["escalated"] = PrivacyReviewCaseStatus.Escalated,
            ["breach"] = PrivacyReviewCaseStatus.Breach,
        };

    public static Command Create(CliEnvironment env)
    {
        var alerts = new Command("alerts", "Privacy alerts for your organisation's privacy officer: list them, show one with its history, decide.");
        alerts.Subcommands.Add(List(env));
        alerts.Subcommands.Add(Show(env));
        alerts.Subcommands.Add(Decide(env));
        return alerts;
    }

    private static Option<string> Client() => new("--client")
    {
        Description = "Act as this system client (audit.review) instead of your signed-in session; its secret from $LCR_CLIENT_SECRET or the profile.",
    };

    /// <summary>The bearer: the system client's token when --client is given, else the signed-in privacy officer's session.</summary>
    private static async Task<string> BearerAsync(Invocation i, string? client) =>
        client is { Length: > 0 } ? await i.SystemTokenAsync(client) : i.SessionToken();

    /// <summary>A status name: the decision words, or any PrivacyReviewCaseStatus name (e.g. open).</summary>
    public static PrivacyReviewCaseStatus Status(string value, string option) =>
        Decisions.TryGetValue(value.Trim(), out var s) ? s : Parsing.Enum<PrivacyReviewCaseStatus>(value, option);

    /// <summary>--since: a date, an RFC 3339 time, or a duration back from now (e.g. 24h, 7d).</summary>
    public static Timestamp Since(string value, DateTimeOffset now)
    {
        var v = value.Trim();
        if (v.Length > 1 && int.TryParse(v[..^1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
        {
            switch (char.ToLowerInvariant(v[^1]))
            {
                case 'h':
                    return Timestamp.FromDateTimeOffset(now.AddHours(-n));
                case 'd':
                    return Timestamp.FromDateTimeOffset(now.AddDays(-n));
            }
        }

        return Parsing.Instant(v, "--since");
    }

    private static Command List(CliEnvironment env)
    {
        var client = Client();
        var org = new Option<string>("--org") { Description = "Only alerts to this organisation (ODS code); you see only your own organisations' alerts anyway." };
        var status = new Option<string[]>("--status")
        {
            Description = "Only these statuses (repeatable): open, flagged, escalated, justified, breach.",
            AllowMultipleArgumentsPerToken = true,
        };
        var since = new Option<string>("--since") { Description = "Only alerts created since: YYYY-MM-DD, an RFC 3339 time, or 24h / 7d back from now." };
        var origin = new Option<string>("--origin") { Description = "Only alerts raised-at-access or from a review-run." };
        var pageSize = new Option<int>("--page-size") { Description = "Alerts per page (default 50)." };
        var pageToken = new Option<string>("--page-token") { Description = "The next-page token printed by the previous page (same filters)." };
        var command = new Command("list", "Lists privacy alerts, newest first (ListPrivacyReviewCases).")
        {
            client, org, status, since, origin, pageSize, pageToken,
        };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var request = new ListPrivacyReviewCasesRequest
            {
                OrganisationOdsCode = parse.GetValue(org) ?? string.Empty,
                PageSize = parse.GetValue(pageSize),
                PageToken = parse.GetValue(pageToken) ?? string.Empty,
            };
            request.Statuses.AddRange((parse.GetValue(status) ?? []).Select(s => Status(s, "--status")));
            if (parse.GetValue(since) is { } s)
            {
                request.CreatePeriod = new Period { StartTime = Since(s, i.Env.Clock.GetUtcNow()) };
            }

            if (parse.GetValue(origin) is { } o)
            {
                request.Origin = Parsing.Enum<PrivacyAlertOrigin>(o, "--origin");
            }

            var bearer = await BearerAsync(i, parse.GetValue(client));
            var reply = await new AuditService.AuditServiceClient(i.Channel).ListPrivacyReviewCasesAsync(request, i.Options(bearer));
            if (i.Json)
            {
                i.WriteJson(reply);
                return;
            }

            i.Write(AuditView.Alerts($"Privacy alerts ({reply.Cases.Count})", reply.Cases));
            if (reply.NextPageToken.Length > 0)
            {
                i.WriteLine($"More: lcr alerts list --page-token {reply.NextPageToken} (same filters)");
            }

            i.WriteLine("One alert with its events and history: lcr alerts show <case-id>");
        }));
        return command;
    }

    private static Command Show(CliEnvironment env)
    {
        var client = Client();
        var id = new Argument<string>("case-id") { Description = "The alert's case id (first column of `lcr alerts list`)." };
        var command = new Command("show", "Shows one privacy alert with its events and its history of decisions (GetPrivacyReviewCase).") { id, client };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var bearer = await BearerAsync(i, parse.GetValue(client));
            var reply = await new AuditService.AuditServiceClient(i.Channel).GetPrivacyReviewCaseAsync(
                new GetPrivacyReviewCaseRequest { CaseId = parse.GetValue(id)! }, i.Options(bearer));
            if (i.Json)
            {
                i.WriteJson(reply);
                return;
            }

            ReviewCommands.WriteCase(i, reply.ReviewCase);
        }));
        return command;
    }

    private static Command Decide(CliEnvironment env)
    {
        var client = Client();
        var id = new Argument<string>("case-id") { Description = "The alert's case id." };
        var status = new Option<string>("--status") { Description = "The decision: justified, flagged, escalated or breach.", Required = true };
        var note = new Option<string>("--note") { Description = "Why (required; kept in the alert's history with your name and the time).", Required = true };
        var command = new Command("decide",
            "Decides on a privacy alert: flagged (for investigation) or escalated keep it open; justified or breach close it (UpdatePrivacyReviewCase).")
        {
            id, status, note, client,
        };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var decision = parse.GetValue(status)!;
            if (!Decisions.TryGetValue(decision.Trim(), out var next))
            {
                throw new CliException(ExitCodes.Usage, $"--status '{decision}' is not one of {string.Join(", ", Decisions.Keys)}");
            }

            var bearer = await BearerAsync(i, parse.GetValue(client));
            var audit = new AuditService.AuditServiceClient(i.Channel);
            var current = (await audit.GetPrivacyReviewCaseAsync(new GetPrivacyReviewCaseRequest { CaseId = parse.GetValue(id)! }, i.Options(bearer))).ReviewCase;
            var reply = await audit.UpdatePrivacyReviewCaseAsync(new UpdatePrivacyReviewCaseRequest
            {
                ReviewCase = new PrivacyReviewCase { Id = current.Id, Etag = current.Etag, Status = next, ResolutionNote = parse.GetValue(note)! },
                UpdateMask = new FieldMask { Paths = { "status", "resolution_note" } },
            }, i.Options(bearer));
            if (i.Json)
            {
                i.WriteJson(reply);
                return;
            }

            ReviewCommands.WriteCase(i, reply.ReviewCase);
        }));
        return command;
    }
}
