using System.CommandLine;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Lcr.Cli;

internal static class Common
{
    public static Option<string> Address(string defaultAddress) => new("--address")
    {
        Description = "The service's gRPC address (plaintext HTTP/2).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LCR_ADDRESS") ?? defaultAddress,
    };

    public static GrpcChannel Channel(string address) => GrpcChannel.ForAddress(address);

    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithIndentation());

    public static void Print(IMessage message) => Console.WriteLine(Json.Format(message));

    /// <summary>Runs a call, printing a failed status as "CODE: message" on stderr with exit code 1.</summary>
    public static async Task<int> Call(Func<Task> call)
    {
        try
        {
            await call();
            return 0;
        }
        catch (RpcException e)
        {
            await Console.Error.WriteLineAsync($"{e.StatusCode}: {e.Status.Detail}");
            var status = e.GetRpcStatus();
            var bad = status?.GetDetail<Google.Rpc.BadRequest>();
            if (bad is not null)
            {
                foreach (var v in bad.FieldViolations)
                {
                    await Console.Error.WriteLineAsync($"  {v.Field}: {v.Description}");
                }
            }

            return 1;
        }
    }
}
