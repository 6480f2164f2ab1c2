using System.CommandLine;
using Grpc.Core;
using Grpc.Health.V1;

namespace Lcr.Cli;

internal static class HealthCommand
{
    public static Command Create()
    {
        var address = Common.Address("http://127.0.0.1:7100");
        var service = new Option<string>("--service")
        {
            Description = "Health service name: readiness, liveness, or empty for the whole server.",
            DefaultValueFactory = _ => "readiness",
        };
        var wait = new Option<int>("--wait") { Description = "Seconds to keep trying until SERVING (0: ask once)." };
        var command = new Command("health", "Asks a service's gRPC health endpoint whether it is serving.") { address, service, wait };
        command.SetAction(async (parse, ct) =>
        {
            using var channel = Common.Channel(parse.GetValue(address)!);
            var client = new Health.HealthClient(channel);
            var until = DateTime.UtcNow.AddSeconds(parse.GetValue(wait));
            while (true)
            {
                try
                {
                    var reply = await client.CheckAsync(new HealthCheckRequest { Service = parse.GetValue(service) ?? string.Empty },
                        deadline: DateTime.UtcNow.AddSeconds(3), cancellationToken: ct);
                    Console.WriteLine(reply.Status.ToString().ToUpperInvariant());
                    if (reply.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                    {
                        return 0;
                    }
                }
                catch (RpcException e) when (DateTime.UtcNow < until)
                {
                    _ = e;
                }
                catch (RpcException e)
                {
                    await Console.Error.WriteLineAsync($"{e.StatusCode}: {e.Status.Detail}");
                    return 1;
                }

                if (DateTime.UtcNow >= until)
                {
                    return 1;
                }

                await Task.Delay(500, ct);
            }
        });
        return command;
    }
}
