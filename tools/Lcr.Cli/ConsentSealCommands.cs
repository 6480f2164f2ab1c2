using System.CommandLine;
using Lcr.Common.V1;
using Lcr.Consent.V1;

namespace Lcr.Cli;

/// <summary>
/// Sealing a record and holding its patient-facing access log for enhanced review, through the
/// gateway's ConsentService, with the same tokens as the other consent commands
/// (<see cref="ConsentCommands"/>). Every change is audited against the patient.
/// </summary>
internal static class ConsentSealCommands
{
    private static readonly string[] Reasons = ["staff", "high-profile", "safeguarding", "other"];

    private static Option<string> Note(string description) => new("--reason")
    {
        Description = description,
        Required = true,
    };

    public static Command Seal(CliEnvironment env)
    {
        var nhs = ConsentCommands.Nhs();
        var token = ConsentCommands.Token();
        var reason = new Option<string>("--reason")
        {
            Description = "Why the record is sealed: " + string.Join(", ", Reasons) + " (staff: a member of staff who is also a patient).",
            Required = true,
        };
        var note = new Option<string>("--note") { Description = "Why, for IG officers (up to 1000 characters; no clinical detail).", Required = true };
        var review = new Option<string>("--review-date") { Description = "When the seal should be reviewed (YYYY-MM-DD or RFC 3339; in the future).", Required = true };
        var professionals = new Option<string[]>("--allow-professional")
        {
            Description = "A professional (platform id) who still sees the record (repeatable).",
            AllowMultipleArgumentsPerToken = true,
        };
        var teams = new Option<string[]>("--allow-team")
        {
            Description = "A team (ODS:TEAM, e.g. RR8:ED) whose members still see the record (repeatable). At most 50 named in all.",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("seal",
            "Seals the patient's record: only the named professionals and teams see it, everyone else a notice that it is sealed " +
            "(SealRecord). Sealing a sealed record replaces the seal.")
        {
            nhs, token, reason, note, review, professionals, teams,
        };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var patient = parse.GetValue(nhs)!;
            var seal = new Consent.V1.Seal
            {
                Reason = SealReasonOf(parse.GetValue(reason)!),
                Note = parse.GetValue(note)!,
                ReviewTime = Parsing.Instant(parse.GetValue(review)!, "--review-date"),
                AllowedProfessionalIds = { parse.GetValue(professionals) ?? [] },
                AllowedTeamIds = { parse.GetValue(teams) ?? [] },
            };
            var reply = await ConsentCommands.Client(i).SealRecordAsync(new SealRecordRequest { NhsNumber = patient, Seal = seal },
                i.Options(await ConsentCommands.Bearer(i, patient, parse.GetValue(token))));
            if (i.Json)
            {
                i.WriteJson(reply);
                return;
            }

            i.WriteLine("Record sealed.");
            AuditView.Consent(i, reply.State);
        }));
        return command;
    }

    public static Command Unseal(CliEnvironment env)
    {
        var nhs = ConsentCommands.Nhs();
        var token = ConsentCommands.Token();
        var reason = Note("Why the seal is lifted, e.g. the outcome of the review (no clinical detail).");
        var command = new Command("unseal", "Lifts the seal from the patient's record, automatic seals included (UnsealRecord). Idempotent.")
        {
            nhs, token, reason,
        };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var patient = parse.GetValue(nhs)!;
            var reply = await ConsentCommands.Client(i).UnsealRecordAsync(new UnsealRecordRequest { NhsNumber = patient, Reason = parse.GetValue(reason)! },
                i.Options(await ConsentCommands.Bearer(i, patient, parse.GetValue(token))));
            if (i.Json)
            {
                i.WriteJson(reply);
                return;
            }

            i.WriteLine(reply.Changed ? "Seal lifted." : "Nothing changed: the record was not sealed.");
            AuditView.Consent(i, reply.State);
        }));
        return command;
    }

    public static Command Review(CliEnvironment env)
    {
        var review = new Command("review",
            "Holds the patient-facing access log for enhanced review (e.g. a coercive relationship is suspected; SNOMED CT 1290301000000109) " +
            "and ends the review: start, complete. Audit continues unchanged.");
        review.Subcommands.Add(ReviewStep(env, start: true));
        review.Subcommands.Add(ReviewStep(env, start: false));
        return review;
    }

    private static Command ReviewStep(CliEnvironment env, bool start)
    {
        var nhs = ConsentCommands.Nhs();
        var token = ConsentCommands.Token();
        var reason = Note(start ? "Why, for IG officers (no clinical detail)." : "The review's outcome, for IG officers (no clinical detail).");
        var command = start
            ? new Command("start", "Withholds the patient's own access log until the review is completed (StartAccessLogReview). Idempotent.")
            : new Command("complete", "Ends the enhanced review: the patient sees their access log again (CompleteAccessLogReview). Idempotent.");
        command.Add(nhs);
        command.Add(token);
        command.Add(reason);
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var patient = parse.GetValue(nhs)!;
            var options = i.Options(await ConsentCommands.Bearer(i, patient, parse.GetValue(token)));
            ConsentState state;
            if (start)
            {
                var r = await ConsentCommands.Client(i).StartAccessLogReviewAsync(
                    new StartAccessLogReviewRequest { NhsNumber = patient, Reason = parse.GetValue(reason)! }, options);
                if (i.Json)
                {
                    i.WriteJson(r);
                    return;
                }

                state = r.State;
            }
            else
            {
                var r = await ConsentCommands.Client(i).CompleteAccessLogReviewAsync(
                    new CompleteAccessLogReviewRequest { NhsNumber = patient, Reason = parse.GetValue(reason)! }, options);
                if (i.Json)
                {
                    i.WriteJson(r);
                    return;
                }

                state = r.State;
            }

            i.WriteLine(state.AccessLogReview is null ? "No enhanced review: the patient sees their access log." : "The patient's access log is held for enhanced review.");
            AuditView.Consent(i, state);
        }));
        return command;
    }

    /// <summary>The seal reason from --reason: staff (or staff-as-patient), high-profile, safeguarding, other.</summary>
    internal static SealReason SealReasonOf(string value) => value.Trim().ToLowerInvariant() switch
    {
        "staff" or "staff-as-patient" => SealReason.StaffAsPatient,
        "high-profile" => SealReason.HighProfile,
        "safeguarding" => SealReason.Safeguarding,
        "other" => SealReason.Other,
        _ => throw new CliException(ExitCodes.Usage, "--reason must be one of: " + string.Join(", ", Reasons)),
    };
}
