using System.CommandLine;
using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Gateway.V1;
using Lcr.Identity.V1;
using Lcr.Security;

namespace Lcr.Cli;

/// <summary>The front door as a clinical system uses it: sign in, get a patient-bound token, read, see who looked.</summary>
internal static class GatewayCommands
{
    private const string Gateway = "http://127.0.0.1:7100";

    public static IEnumerable<Command> Create() => [SignIn(), Token(), Record(), AccessLog()];

    private static Command SignIn()
    {
        var address = Common.Address(Gateway);
        var user = new Option<string>("--user") { Description = "User name, e.g. gp.b86001.", Required = true };
        var password = new Option<string>("--password")
        {
            Description = "Password (default: $LCR_PASSWORD).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LCR_PASSWORD") ?? string.Empty,
        };
        var command = new Command("signin", "Signs a professional in; prints the session token.") { user, password, address };
        command.SetAction((parse, ct) => Common.Call(async () =>
        {
            using var channel = Common.Channel(parse.GetValue(address)!);
            var reply = await new IdentityService.IdentityServiceClient(channel).SignInAsync(
                new SignInRequest { UserName = parse.GetValue(user), Password = parse.GetValue(password) },
                deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: ct);
            Console.WriteLine(reply.SessionToken);
        }));
        return command;
    }

    private static Command Token()
    {
        var address = Common.Address(Gateway);
        var session = new Option<string>("--session") { Description = "Session token from `lcr signin`.", Required = true };
        var nhs = new Option<string>("--nhs") { Description = "The patient's NHS number.", Required = true };
        var purpose = new Option<string>("--purpose")
        {
            Description = "direct-care (default), subject-access or information-governance.",
            DefaultValueFactory = _ => "direct-care",
        };
        var reason = new Option<string>("--emergency-reason")
        {
            Description = "Break glass: the free-text reason (coded as a clinical emergency). Every use is flagged in audit.",
        };
        var command = new Command("token", "Gets an access token bound to one patient; prints it.") { session, nhs, purpose, reason, address };
        command.SetAction((parse, ct) => Common.Call(async () =>
        {
            using var channel = Common.Channel(parse.GetValue(address)!);
            var client = new IdentityService.IdentityServiceClient(channel);
            var headers = BearerToken.Metadata(parse.GetValue(session)!);
            if (parse.GetValue(reason) is { Length: > 0 } text)
            {
                var glass = await client.IssueEmergencyAccessTokenAsync(new IssueEmergencyAccessTokenRequest
                {
                    NhsNumber = parse.GetValue(nhs), ReasonCode = EmergencyAccessReason.ClinicalEmergency, ReasonText = text,
                }, headers, DateTime.UtcNow.AddSeconds(10), ct);
                Console.WriteLine(glass.AccessToken);
                return;
            }

            var p = parse.GetValue(purpose) switch
            {
                "subject-access" => PurposeOfUse.SubjectAccessRequest,
                "information-governance" => PurposeOfUse.InformationGovernance,
                _ => PurposeOfUse.DirectCare,
            };
            var reply = await client.IssueAccessTokenAsync(new IssueAccessTokenRequest { NhsNumber = parse.GetValue(nhs), Purpose = p },
                headers, DateTime.UtcNow.AddSeconds(10), ct);
            Console.WriteLine(reply.AccessToken);
        }));
        return command;
    }

    private static Command Record()
    {
        var address = Common.Address(Gateway);
        var nhs = new Argument<string>("nhs-number") { Description = "The patient's NHS number." };
        var token = new Option<string>("--token") { Description = "Access token from `lcr token`.", Required = true };
        var command = new Command("record", "Reads a patient's shared care record through the gateway (GetPatientRecord).") { nhs, token, address };
        command.SetAction((parse, ct) => Common.Call(async () =>
        {
            using var channel = Common.Channel(parse.GetValue(address)!);
            var reply = await new GatewayService.GatewayServiceClient(channel).GetPatientRecordAsync(
                new GetPatientRecordRequest { NhsNumber = parse.GetValue(nhs) }, BearerToken.Metadata(parse.GetValue(token)!),
                DateTime.UtcNow.AddSeconds(15), ct);
            Common.Print(reply);
        }));
        return command;
    }

    private static Command AccessLog()
    {
        var address = Common.Address(Gateway);
        var nhs = new Argument<string>("nhs-number") { Description = "The patient's NHS number." };
        var token = new Option<string>("--token") { Description = "A subject-access or information-governance access token.", Required = true };
        var command = new Command("access-log", "Who has looked at this patient's record (GetAccessLog).") { nhs, token, address };
        command.SetAction((parse, ct) => Common.Call(async () =>
        {
            using var channel = Common.Channel(parse.GetValue(address)!);
            var reply = await new GatewayService.GatewayServiceClient(channel).GetAccessLogAsync(
                new GetAccessLogRequest { NhsNumber = parse.GetValue(nhs) }, BearerToken.Metadata(parse.GetValue(token)!),
                DateTime.UtcNow.AddSeconds(15), ct);
            Common.Print(reply);
        }));
        return command;
    }
}
