using System.CommandLine;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Gateway.V1;
using Spectre.Console;

namespace Lcr.Cli;

/// <summary>Reading a record through the gateway, as a clinical system does: summary, entries, documents, the access log.</summary>
internal static class RecordCommands
{
    public static IEnumerable<Command> Create(CliEnvironment env) => [Record(env), Entries(env), Document(env), AccessLog(env)];

    private static Argument<string> Nhs() => new("nhs-number") { Description = "The patient's NHS number (10 digits, no spaces)." };

    private static Command Record(CliEnvironment env)
    {
        var nhs = Nhs();
        var token = SessionCommands.TokenOption();
        var purpose = SessionCommands.PurposeOption();
        var emergency = SessionCommands.EmergencyOption();
        var sealedJustification = SessionCommands.SealedJustificationOption();
        var categories = new Option<string[]>("--category")
        {
            Description = "Only these categories (repeatable): " + string.Join(", ", Parsing.Names<RecordCategory>()) + ". Default: all your role may see.",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("record",
            "Shows a patient's shared care record summary (GatewayService.GetPatientRecord): risks and alerts first, then demographics, active " +
            "problems, current medications, allergies, latest results and recent documents, filtered by your role and the patient's consent. Audited.")
        {
            nhs, token, purpose, emergency, sealedJustification, categories,
        };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var patient = parse.GetValue(nhs)!;
            var request = new GetPatientRecordRequest { NhsNumber = patient };
            request.Categories.AddRange((parse.GetValue(categories) ?? []).Select(c => Parsing.Enum<RecordCategory>(c, "--category")));
            var bearer = await i.AccessTokenAsync(patient, parse.GetValue(token),
                Parsing.Purpose(i.Settings.Pick(parse.GetValue(purpose), "--purpose", EnvironmentNames.Purpose, p => p.Purpose, "direct-care")),
                parse.GetValue(emergency), parse.GetValue(sealedJustification));
            var reply = await new GatewayService.GatewayServiceClient(i.Channel).GetPatientRecordAsync(request, i.Options(bearer));
            if (reply.SealedNotice is { } notice)
            {
                // The patient exists and the record is sealed, nothing more: a refusal, said in the gateway's words.
                i.Hint = i.Hint with { NhsNumber = patient };
                throw new CliException(ExitCodes.PermissionDenied, notice.Message + (notice.EmergencyAccessPossible
                    ? $" In an emergency, and only then: `lcr record {patient} --emergency-reason \"<why>\" --sealed-justification \"<why this sealed record>\"`."
                    : string.Empty));
            }

            if (i.Json)
            {
                i.WriteJson(reply);
            }
            else
            {
                RecordView.Render(i.Console, reply);
            }
        }));
        return command;
    }

    private static Command Entries(CliEnvironment env)
    {
        var nhs = Nhs();
        var token = SessionCommands.TokenOption();
        var purpose = SessionCommands.PurposeOption();
        var emergency = SessionCommands.EmergencyOption();
        var category = new Option<string>("--category")
        {
            Description = "The category to list: " + string.Join(", ", Parsing.Names<RecordCategory>().Where(n => n != "demographics")) + ".",
            Required = true,
        };
        var status = new Option<string>("--status") { Description = "Only active or inactive entries." };
        var from = new Option<string>("--from") { Description = "Only entries with a clinical time from this date (YYYY-MM-DD, inclusive)." };
        var to = new Option<string>("--to") { Description = "Only entries with a clinical time before this date (exclusive)." };
        var pageSize = new Option<int>("--page-size") { Description = "Entries per page (default 50, at most 200)." };
        var pageToken = new Option<string>("--page-token") { Description = "The next-page token printed by the previous page." };
        var all = new Option<bool>("--all") { Description = "Fetch every page (each page is a separately audited look)." };
        var command = new Command("entries",
            "Lists a patient's entries of one category, newest first, paged (GatewayService.ListRecordEntries). Audited.")
        {
            nhs, category, status, from, to, pageSize, pageToken, all, token, purpose, emergency,
        };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var patient = parse.GetValue(nhs)!;
            var cat = Parsing.Enum<RecordCategory>(parse.GetValue(category)!, "--category");
            var request = new ListRecordEntriesRequest
            {
                NhsNumber = patient,
                Category = cat,
                PageSize = parse.GetValue(pageSize),
                PageToken = parse.GetValue(pageToken) ?? string.Empty,
                ClinicalPeriod = Parsing.Period(parse.GetValue(from), parse.GetValue(to)),
            };
            if (parse.GetValue(status) is { } s)
            {
                request.Statuses.Add(Parsing.Enum<EntryStatus>(s, "--status"));
            }

            var bearer = await i.AccessTokenAsync(patient, parse.GetValue(token),
                Parsing.Purpose(i.Settings.Pick(parse.GetValue(purpose), "--purpose", EnvironmentNames.Purpose, p => p.Purpose, "direct-care")),
                parse.GetValue(emergency));
            var client = new GatewayService.GatewayServiceClient(i.Channel);
            var reply = await client.ListRecordEntriesAsync(request, i.Options(bearer));
            if (parse.GetValue(all))
            {
                var merged = reply.Clone();
                while (reply.NextPageToken.Length > 0)
                {
                    request.PageToken = reply.NextPageToken;
                    reply = await client.ListRecordEntriesAsync(request, i.Options(bearer));
                    merged.Entries.AddRange(reply.Entries);
                    merged.AuditEventId = reply.AuditEventId;
                }

                merged.NextPageToken = string.Empty;
                reply = merged;
            }

            if (i.Json)
            {
                i.WriteJson(reply);
                return;
            }

            if (reply.Entries.Count == 0)
            {
                i.WriteLine($"No {Parsing.Name(cat)} entries you may see.");
            }
            else
            {
                i.Write(RecordView.Entries($"{RecordView.CategoryTitle(cat)} ({reply.Entries.Count})", cat, reply.Entries));
            }

            if (reply.AlertDetailsWithheld && reply.Entries.Count > 0)
            {
                i.Console.MarkupLine("[yellow]Kind only: your role sees that each alert exists and its kind, not what it says.[/]");
            }

            if (reply.PatientRestrictionsApply)
            {
                i.Console.MarkupLine("[yellow]The patient has restrictions that apply to you: some entries may not be listed.[/]");
            }

            if (reply.NextPageToken.Length > 0)
            {
                i.WriteLine($"More: lcr entries {patient} --category {Parsing.Name(cat)} --page-token {reply.NextPageToken}");
            }
        }));
        return command;
    }

    private static Command Document(CliEnvironment env)
    {
        var nhs = Nhs();
        var entry = new Argument<string>("entry-id") { Description = "The document entry's id (the last column of `lcr record`)." };
        var token = SessionCommands.TokenOption();
        var purpose = SessionCommands.PurposeOption();
        var emergency = SessionCommands.EmergencyOption();
        var output = new Option<string>("--output") { Description = "Write the content to this file instead of stdout (PDFs)." };
        var command = new Command("document", "Shows a document's content (GatewayService.GetDocumentContent). Audited.")
        {
            nhs, entry, token, purpose, emergency, output,
        };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var patient = parse.GetValue(nhs)!;
            var bearer = await i.AccessTokenAsync(patient, parse.GetValue(token),
                Parsing.Purpose(i.Settings.Pick(parse.GetValue(purpose), "--purpose", EnvironmentNames.Purpose, p => p.Purpose, "direct-care")),
                parse.GetValue(emergency));
            var reply = await new GatewayService.GatewayServiceClient(i.Channel).GetDocumentContentAsync(
                new Gateway.V1.GetDocumentContentRequest { NhsNumber = patient, EntryId = parse.GetValue(entry)! }, i.Options(bearer));
            if (parse.GetValue(output) is { } file)
            {
                await File.WriteAllBytesAsync(file, reply.Content.Data.ToByteArray(), ct);
                i.Note($"Wrote {reply.Content.SizeBytes} bytes ({reply.Content.ContentType}) to {file}.");
            }
            else if (i.Json)
            {
                i.WriteJson(reply);
            }
            else if (reply.Content.ContentType.StartsWith("text/", StringComparison.Ordinal))
            {
                i.WriteLine(reply.Content.Data.ToStringUtf8());
            }
            else
            {
                throw new CliException(ExitCodes.Usage, $"the document is {reply.Content.ContentType}: save it with --output <file>");
            }
        }));
        return command;
    }

    private static Command AccessLog(CliEnvironment env)
    {
        var nhs = Nhs();
        var token = new Option<string>("--token")
        {
            Description = "A subject-access access token (default: $LCR_TOKEN; without one, lcr gets one from your cached IG officer session).",
        };
        var from = new Option<string>("--from") { Description = "Only accesses from this date (YYYY-MM-DD or RFC 3339)." };
        var to = new Option<string>("--to") { Description = "Only accesses before this date." };
        var pageSize = new Option<int>("--page-size") { Description = "Lines per page (default 50, at most 200)." };
        var pageToken = new Option<string>("--page-token") { Description = "The next-page token printed by the previous page." };
        var command = new Command("access-log",
            "Who has looked at this patient's record, when and what (GatewayService.GetAccessLog): for subject access requests. " +
            "Needs an IG officer (purpose subject-access). Reading it is audited.")
        {
            nhs, token, from, to, pageSize, pageToken,
        };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var patient = parse.GetValue(nhs)!;
            var bearer = await i.AccessTokenAsync(patient, parse.GetValue(token), PurposeOfUse.SubjectAccessRequest);
            var reply = await new GatewayService.GatewayServiceClient(i.Channel).GetAccessLogAsync(new GetAccessLogRequest
            {
                NhsNumber = patient,
                Period = Parsing.Period(parse.GetValue(from), parse.GetValue(to)),
                PageSize = parse.GetValue(pageSize),
                PageToken = parse.GetValue(pageToken) ?? string.Empty,
            }, i.Options(bearer));
            if (i.Json)
            {
                i.WriteJson(reply);
                return;
            }

            i.Write(AuditView.AccessLog(reply.Entries));
            if (reply.NextPageToken.Length > 0)
            {
                i.WriteLine($"More: lcr access-log {patient} --page-token {reply.NextPageToken}");
            }
        }));
        return command;
    }
}
