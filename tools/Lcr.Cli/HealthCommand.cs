using System.CommandLine;
using System.Text.Json.Nodes;
using Grpc.Core;
using Grpc.Health.V1;
using Spectre.Console;

namespace Lcr.Cli;

/// <summary>Every service's gRPC health (readiness by default) in one table.</summary>
internal static class HealthCommand
{
    /// <summary>The platform's services and their `make run` ports.</summary>
    public static readonly IReadOnlyList<(string Name, int Port)> Services =
    [
        ("gateway", 7100), ("demographics", 7101), ("identity", 7102), ("consent", 7103), ("clinical", 7104), ("audit", 7105),
    ];

    public static Command Create(CliEnvironment env)
    {
        var check = new Option<string>("--check")
        {
            Description = "The health service name: readiness (default), liveness, or \"\" for the whole server.",
            DefaultValueFactory = _ => "readiness",
        };
        var wait = new Option<int>("--wait") { Description = "Keep asking for up to this many seconds until every service is SERVING (0: ask once)." };
        var only = new Option<bool>("--only-address") { Description = "Check only the service at --address (any service, e.g. while starting them one by one)." };
        var legacy = new Option<string>("--service")
        {
            Description = "Compatibility with earlier scripts: check only --address, with this health service name (readiness or liveness).",
            Hidden = true,
        };
        var service = new Option<string[]>("--service-address")
        {
            Description = "An internal service's address, name=url (repeatable), e.g. identity=http://127.0.0.1:7102. Default: $LCR_<NAME>_ADDRESS, else the profile's " +
                "services, else (only when one of them is named or --address is not set) the make run ports on the gateway's host.",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("health",
            "Shows every service's gRPC health (grpc.health.v1, readiness by default) in one table. With --address alone (e.g. a " +
            "port-forwarded gateway) only that address is checked. Exit code 0 when all are SERVING, 6 otherwise.")
        {
            check, wait, only, service, legacy,
        };
        command.SetAction((parse, ct) => Invocation.RunAsync(parse, env, ct, async i =>
        {
            var checkName = parse.GetValue(legacy) ?? parse.GetValue(check) ?? "readiness";
            var targets = parse.GetValue(only) || parse.GetValue(legacy) is not null
                ? [new Target("service", i.Address, i.Settings.Address.Source)]
                : Targets(i.Settings, parse.GetValue(service) ?? []);
            var until = env.Clock.GetUtcNow().AddSeconds(parse.GetValue(wait));
            List<(Target Target, string Status, string? Detail)> results;
            while (true)
            {
                results = [.. await Task.WhenAll(targets.Select(t => ProbeAsync(i, t, checkName)))];
                if (results.All(r => r.Status == "SERVING") || env.Clock.GetUtcNow() >= until)
                {
                    break;
                }

                await Task.Delay(500, ct);
            }

            var allServing = results.All(r => r.Status == "SERVING");
            if (i.Json)
            {
                var array = new JsonArray(results.Select(r => (JsonNode)new JsonObject
                {
                    ["service"] = r.Target.Name,
                    ["address"] = r.Target.Address,
                    ["status"] = r.Status,
                    ["detail"] = r.Detail,
                }).ToArray());
                i.WriteLine(new JsonObject { ["services"] = array, ["allServing"] = allServing }.ToJsonString(JsonOut.Indented));
            }
            else
            {
                var table = new Table { Title = new TableTitle($"Platform health ({checkName})"), Border = TableBorder.Rounded };
                table.AddColumn("Service").AddColumn("Address").AddColumn("Status").AddColumn("Detail");
                foreach (var r in results)
                {
                    table.AddRow(Markup.Escape(r.Target.Name), Markup.Escape(r.Target.Address),
                        r.Status == "SERVING" ? "[green]SERVING[/]" : $"[red]{Markup.Escape(r.Status)}[/]", Markup.Escape(r.Detail ?? string.Empty));
                }

                i.Console.Write(table);
            }

            return allServing ? ExitCodes.Ok : ExitCodes.Unavailable;
        }));
        return command;
    }

    internal sealed record Target(string Name, string Address, string Source);

    /// <summary>
    /// The gateway from the settings, then each internal service from flag, env, profile or the `make run` port. The ports are
    /// guessed only for the `make run` layout (the built-in address) or when some internal address is named: an address given
    /// on its own (a port-forwarded gateway) is checked alone, since the next ports there are not the platform's.
    /// </summary>
    internal static List<Target> Targets(Settings settings, IEnumerable<string> flags)
    {
        var fromFlags = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var f in flags)
        {
            var eq = f.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !Services.Any(s => string.Equals(s.Name, f[..eq], StringComparison.OrdinalIgnoreCase)))
            {
                throw new CliException(ExitCodes.Usage, $"--service-address '{f}' must be name=url with name one of {string.Join(", ", Services.Skip(1).Select(s => s.Name))}");
            }

            fromFlags[f[..eq]] = f[(eq + 1)..];
        }

        var gateway = new Uri(settings.Address.Value!);
        var list = new List<Target> { new("gateway", settings.Address.Value!, settings.Address.Source) };
        var named = new List<(string Name, Resolved Named)>();
        foreach (var (name, _) in Services.Skip(1))
        {
            var profile = settings.Profile.Services is { } map && map.TryGetValue(name, out var a) ? a : null;
            named.Add((name, Resolved.Pick(fromFlags.GetValueOrDefault(name), "--service-address", settings.Environment,
                EnvironmentNames.ServiceAddress(name), profile, settings.ProfileName.Value!)));
        }

        var makeRunLayout = string.Equals(settings.Address.Source, Resolved.BuiltInDefault, StringComparison.Ordinal);
        if (!makeRunLayout && named.All(n => n.Named.Value is null))
        {
            return list;
        }

        foreach (var (name, r) in named)
        {
            var port = Services.Single(s => s.Name == name).Port;
            var fallback = new UriBuilder(gateway) { Port = gateway.Port - 7100 + port }.Uri.ToString().TrimEnd('/');
            list.Add(r.Value is null ? new Target(name, fallback, Resolved.BuiltInDefault) : new Target(name, r.Value, r.Source));
        }

        return list;
    }

    private static async Task<(Target, string, string?)> ProbeAsync(Invocation i, Target t, string check)
    {
        try
        {
            var reply = await new Health.HealthClient(i.ChannelTo(t.Address)).CheckAsync(new HealthCheckRequest { Service = check },
                deadline: DateTime.UtcNow.AddSeconds(Math.Min(5, i.Settings.CallTimeout.TotalSeconds)), cancellationToken: i.CancellationToken);
            return (t, reply.Status.ToString().ToUpperInvariant() switch { "SERVING" => "SERVING", "NOTSERVING" => "NOT_SERVING", var s => s }, null);
        }
        catch (RpcException e)
        {
            return (t, Lcr.Client.PlatformError.CodeName(e.StatusCode), e.Status.Detail);
        }
    }
}
