using System.CommandLine;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Spectre.Console;

namespace Lcr.Cli;

/// <summary>
/// Consent administration through the gateway's ConsentService, as an IG officer recording what
/// a patient asked by phone, letter or email: the officer's session is exchanged for an access
/// token bound to the patient with purpose information-governance (or --token: such a token,
/// or a system token with consent.read/consent.write). Every change is audited against the patient.
/// </summary>
internal static class ConsentCommands
{
    public static Command Create(CliEnvironment env)
    {
        var consent = new Command("consent",
            "A patient's opt-out, restrictions, seal and access-log review (IG officers): show, history, opt-out, withdraw-opt-out, restrict, unrestrict, seal, unseal, review.");
        consent.Subcommands.Add(Show(env));
        consent.Subcommands.Add(History(env));
        consent.Subcommands.Add(OptOut(env, withdraw: false));
        consent.Subcommands.Add(OptOut(env, withdraw: true));
        consent.Subcommands.Add(Restrict(env));
        consent.Subcommands.Add(Unrestrict(env));
        consent.Subcommands.Add(ConsentSealCommands.Seal(env));
        consent.Subcommands.Add(ConsentSealCommands.Unseal(env));
        consent.Subcommands.Add(ConsentSealCommands.Review(env));
        return consent;
    }

    internal static Argument<string> Nhs() => new("nhs-number") { Description = "The patient's NHS number (10 digits, no spaces)." };

    internal static Option<string> Token() => new("--token")
    {
        Description = "An information-governance access token for the patient, or a system token with consent scopes (default: $LCR_TOKEN; " +
            "without one, lcr gets one from your cached IG officer session).",
    };

    private static Option<string> Channel() => new("--channel")
    {
        Description = "How the patient asked: " + string.Join(", ", Parsing.Names<ConsentChannel>()) + ".",
        Required = true,
    };

    private static Option<string> Reason() => new("--reason")
    {
        Description = "The reference or circumstances, e.g. \"Letter dated 3 March, ref IG/2291\" (no clinical detail).",
        Required = true,
    };

    internal static Task<string> Bearer(Invocation i, string nhs, string? token) =>
        i.AccessTokenAsync(nhs, token, PurposeOfUse.InformationGovernance);

    internal static ConsentService.ConsentServiceClient Client(Invocation i) => new(i.Channel);

    private static Command Show(CliEnvironment env)
    {
        var nhs = Nhs();
        var token = Token();
        var command = new Command("show", "Shows the patient's current consent: opted out or not, restrictions in force (GetConsent).") { nhs, token };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var patient = parse.GetValue(nhs)!;
            var reply = await Client(i).GetConsentAsync(new GetConsentRequest { NhsNumber = patient }, i.Options(await Bearer(i, patient, parse.GetValue(token))));
            if (i.Json)
            {
                i.WriteJson(reply);
            }
            else
            {
                AuditView.Consent(i, reply.Consent);
            }
        }));
        return command;
    }

    private static Command History(CliEnvironment env)
    {
        var nhs = Nhs();
        var token = Token();
        var pageSize = new Option<int>("--page-size") { Description = "Changes per page (default 50)." };
        var pageToken = new Option<string>("--page-token") { Description = "The next-page token printed by the previous page." };
        var command = new Command("history", "Every consent change for the patient, newest first (ListConsentHistory).") { nhs, token, pageSize, pageToken };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var patient = parse.GetValue(nhs)!;
            var reply = await Client(i).ListConsentHistoryAsync(new ListConsentHistoryRequest
            {
                NhsNumber = patient, PageSize = parse.GetValue(pageSize), PageToken = parse.GetValue(pageToken) ?? string.Empty,
            }, i.Options(await Bearer(i, patient, parse.GetValue(token))));
            if (i.Json)
            {
                i.WriteJson(reply);
                return;
            }

            i.Write(AuditView.ConsentHistory(reply.Changes));
            if (reply.NextPageToken.Length > 0)
            {
                i.WriteLine($"More: lcr consent history {patient} --page-token {reply.NextPageToken}");
            }
        }));
        return command;
    }

    private static Command OptOut(CliEnvironment env, bool withdraw)
    {
        var nhs = Nhs();
        var token = Token();
        var channel = Channel();
        var reason = Reason();
        var command = withdraw
            ? new Command("withdraw-opt-out", "Records that the patient opts back in to the shared care record (WithdrawOptOut). Idempotent.")
            : new Command("opt-out", "Records that the patient does not want a shared care record: nobody sees it, emergency access included (RecordOptOut). Idempotent.");
        command.Add(nhs);
        command.Add(token);
        command.Add(channel);
        command.Add(reason);
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var patient = parse.GetValue(nhs)!;
            var how = Parsing.Enum<ConsentChannel>(parse.GetValue(channel)!, "--channel");
            var options = i.Options(await Bearer(i, patient, parse.GetValue(token)));
            ConsentState state;
            bool changed;
            if (withdraw)
            {
                var r = await Client(i).WithdrawOptOutAsync(new WithdrawOptOutRequest { NhsNumber = patient, Channel = how, Reason = parse.GetValue(reason)! }, options);
                (state, changed) = (r.Consent, r.Changed);
                if (i.Json)
                {
                    i.WriteJson(r);
                    return;
                }
            }
            else
            {
                var r = await Client(i).RecordOptOutAsync(new RecordOptOutRequest { NhsNumber = patient, Channel = how, Reason = parse.GetValue(reason)! }, options);
                (state, changed) = (r.Consent, r.Changed);
                if (i.Json)
                {
                    i.WriteJson(r);
                    return;
                }
            }

            i.WriteLine(changed
                ? (withdraw ? "Opt-out withdrawn: the record is shared again." : "Opt-out recorded: nobody can see the record now.")
                : (withdraw ? "Nothing changed: the patient was not opted out." : "Nothing changed: the patient was already opted out."));
            AuditView.Consent(i, state);
        }));
        return command;
    }

    private static Command Restrict(CliEnvironment env)
    {
        var nhs = Nhs();
        var token = Token();
        var channel = Channel();
        var reason = Reason();
        var withholdOrg = new Option<string>("--withhold-organisation") { Description = "Withhold every entry this organisation (ODS code) contributed." };
        var withholdCategory = new Option<string>("--withhold-category") { Description = "Withhold a whole category: problems, medications, allergies, test-results, documents, risks-and-alerts." };
        var withholdEntry = new Option<string>("--withhold-entry") { Description = "Withhold one entry (its id)." };
        var blockProfessional = new Option<string>("--block-professional") { Description = "Refuse all access by this professional (platform id)." };
        var blockOrg = new Option<string>("--block-organisation") { Description = "Refuse all access by staff of this organisation (ODS code)." };
        var release = new Option<bool>("--release-sensitive") { Description = "Share entries marked sensitive, with the patient's explicit consent." };
        var until = new Option<string>("--until") { Description = "The restriction ends at this date or time (default: until removed)." };
        var requestId = new Option<string>("--request-id") { Description = "A UUID making the call safe to retry (default: a new one)." };
        var command = new Command("restrict", "Adds one restriction the patient asked for (AddRestriction). Give exactly one of the --withhold-*/--block-*/--release-sensitive options.")
        {
            nhs, token, channel, reason, withholdOrg, withholdCategory, withholdEntry, blockProfessional, blockOrg, release, until, requestId,
        };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var patient = parse.GetValue(nhs)!;
            var r = new Restriction
            {
                Channel = Parsing.Enum<ConsentChannel>(parse.GetValue(channel)!, "--channel"),
                Reason = parse.GetValue(reason)!,
            };
            var targets = 0;
            if (parse.GetValue(withholdOrg) is { } wo)
            {
                r.WithheldOrganisation = new OrganisationReference { OdsCode = wo };
                targets++;
            }

            if (parse.GetValue(withholdCategory) is { } wc)
            {
                r.WithheldCategory = Parsing.Enum<RecordCategory>(wc, "--withhold-category");
                targets++;
            }

            if (parse.GetValue(withholdEntry) is { } we)
            {
                r.WithheldEntryId = we;
                targets++;
            }

            if (parse.GetValue(blockProfessional) is { } bp)
            {
                r.BlockedProfessionalId = bp;
                targets++;
            }

            if (parse.GetValue(blockOrg) is { } bo)
            {
                r.BlockedOrganisation = new OrganisationReference { OdsCode = bo };
                targets++;
            }

            if (parse.GetValue(release))
            {
                r.SensitiveEntriesRelease = new SensitiveEntriesRelease();
                targets++;
            }

            if (targets != 1)
            {
                throw new CliException(ExitCodes.Usage,
                    "give exactly one of --withhold-organisation, --withhold-category, --withhold-entry, --block-professional, --block-organisation, --release-sensitive");
            }

            if (parse.GetValue(until) is { } end)
            {
                r.EndTime = Parsing.Instant(end, "--until");
            }

            var reply = await Client(i).AddRestrictionAsync(new AddRestrictionRequest
            {
                NhsNumber = patient,
                Restriction = r,
                RequestId = parse.GetValue(requestId) ?? Guid.NewGuid().ToString(),
            }, i.Options(await Bearer(i, patient, parse.GetValue(token))));
            if (i.Json)
            {
                i.WriteJson(reply);
                return;
            }

            i.WriteLine($"Restriction added ({AuditView.Describe(reply.Restriction)}), id {reply.Restriction.Id}.");
            i.WriteLine("To undo it when the patient asks: " + UndoCommand(i.Settings.ProfileName.Value, patient, reply.Restriction.Id, reply.Restriction.Channel));
            AuditView.Consent(i, reply.Consent);
        }));
        return command;
    }

    /// <summary>
    /// The exact `lcr consent unrestrict` that ends a restriction just added: same profile (unless the default), patient,
    /// the restriction's id and the channel it came by; the reason is left for the officer to write.
    /// </summary>
    internal static string UndoCommand(string? profile, string nhs, string restrictionId, ConsentChannel channel) =>
        "lcr " + (profile is { Length: > 0 } p && p != "default" ? $"--profile {p} " : string.Empty) +
        $"consent unrestrict {nhs} {restrictionId} --channel {Parsing.Name(channel)} --reason \"<why the patient asked>\"";

    private static Command Unrestrict(CliEnvironment env)
    {
        var nhs = Nhs();
        var id = new Argument<string>("restriction-id") { Description = "The restriction's id (from `lcr consent show`)." };
        var token = Token();
        var channel = Channel();
        var reason = Reason();
        var command = new Command("unrestrict", "Removes (ends) a restriction at the patient's request; it stays in the history (RemoveRestriction).")
        {
            nhs, id, token, channel, reason,
        };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var patient = parse.GetValue(nhs)!;
            var reply = await Client(i).RemoveRestrictionAsync(new RemoveRestrictionRequest
            {
                NhsNumber = patient,
                RestrictionId = parse.GetValue(id)!,
                Channel = Parsing.Enum<ConsentChannel>(parse.GetValue(channel)!, "--channel"),
                Reason = parse.GetValue(reason)!,
            }, i.Options(await Bearer(i, patient, parse.GetValue(token))));
            if (i.Json)
            {
                i.WriteJson(reply);
                return;
            }

            i.WriteLine($"Restriction {reply.Restriction.Id} is now {Parsing.Name(reply.Restriction.State)}.");
            AuditView.Consent(i, reply.Consent);
        }));
        return command;
    }
}
