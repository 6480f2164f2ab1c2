using System.CommandLine;
using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Lcr.Common.V1;
using Lcr.Identity.V1;

namespace Lcr.Cli;

/// <summary>
/// <c>lcr claim NHS --reason R [--text T] [--duration 24h]</c>: a signed-in professional claims a
/// care relationship with a patient themselves (IdentityService.ClaimCareRelationship), when no
/// feed has recorded one yet. Time-boxed, audited, and alerted to their organisation's privacy officer.
/// </summary>
internal static class ClaimCommand
{
    public static Command Create(CliEnvironment env)
    {
        var nhs = new Argument<string>("nhs-number") { Description = "The patient's NHS number (10 digits, no spaces)." };
        var reason = new Option<string>("--reason")
        {
            Description = "Why you claim it: " + string.Join(", ", Parsing.Names<SelfClaimReason>()) + ".",
            Required = true,
        };
        var text = new Option<string>("--text")
        {
            Description = "Your own explanation for the privacy officer (10 to 1000 characters; required for safeguarding and other). Keep clinical detail out.",
        };
        var duration = new Option<string>("--duration")
        {
            Description = "How long the claim should last, e.g. 90m, 24h, 7d (default and upper bound: the reason's longest).",
        };
        var role = new Option<string>("--role-assignment") { Description = "The role assignment to claim in, when you hold several (ids from `lcr signin`)." };
        var session = new Option<string>("--session") { Description = "A session token (default: $LCR_SESSION, else the cached session from `lcr signin`)." };
        var command = new Command("claim",
            "Claims a care relationship with a patient yourself (IdentityService.ClaimCareRelationship), for a coded reason, when " +
            "you are caring for them and no feed has recorded it yet. Only you may use it, at the organisation of your role, until it " +
            "ends; it is audited and alerted to your organisation's privacy officer. Then `lcr record NHS` reads the record on it.")
        {
            nhs, reason, text, duration, role, session,
        };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var patient = parse.GetValue(nhs)!;
            var request = new ClaimCareRelationshipRequest
            {
                NhsNumber = patient,
                ReasonCode = Parsing.Enum<SelfClaimReason>(parse.GetValue(reason)!, "--reason"),
                ReasonText = parse.GetValue(text) ?? string.Empty,
                RoleAssignmentId = parse.GetValue(role) ?? string.Empty,
            };
            if (parse.GetValue(duration) is { } d)
            {
                request.Duration = Duration.FromTimeSpan(ParseDuration(d));
            }

            var sessionToken = i.SessionToken(parse.GetValue(session));
            i.Hint = i.Hint with { NhsNumber = patient };
            var reply = await i.Identity.ClaimCareRelationshipAsync(request, i.Options(sessionToken));
            if (i.Json)
            {
                i.WriteJson(reply);
                return;
            }

            var r = reply.CareRelationship;
            var where = r.Source?.SourceOrganisation is { } o ? (o.DisplayName.Length > 0 ? $"{o.DisplayName} ({o.OdsCode})" : o.OdsCode) : "your organisation";
            i.WriteLine((reply.Created ? "Claimed" : "You already hold") +
                $" a care relationship with {patient} at {where} ({Parsing.Name(r.SelfClaim?.ReasonCode ?? SelfClaimReason.Unspecified)})" +
                (r.EndTime is { } end ? $", until {Text.Time(end)}." : "."));
            i.WriteLine($"Relationship {r.Id}. Your organisation's privacy officer is alerted. Next: `lcr record {patient}`.");
        }));
        return command;
    }

    /// <summary>A duration as a number and a unit: m (minutes), h (hours) or d (days), e.g. "24h".</summary>
    public static TimeSpan ParseDuration(string value)
    {
        var v = value.Trim().ToLowerInvariant();
        if (v.Length >= 2 && int.TryParse(v[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 && n <= 100_000)
        {
            switch (v[^1])
            {
                case 'm':
                    return TimeSpan.FromMinutes(n);
                case 'h':
                    return TimeSpan.FromHours(n);
                case 'd':
                    return TimeSpan.FromDays(n);
            }
        }

        throw new CliException(ExitCodes.Usage, "--duration must be a whole number of minutes, hours or days, e.g. 90m, 24h or 7d");
    }
}
