using System.CommandLine;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Lcr.Cli;

/// <summary>
/// Helpers for simple commands that manage their own channel (kept for commands written before
/// <see cref="Invocation"/>; new commands use <see cref="Invocation.RunAsync(ParseResult, CliEnvironment, CancellationToken, Func{Invocation, Task})"/>,
/// which adds profiles, cached sessions and --json errors).
/// </summary>
internal static class Common
{
    /// <summary>An --address option for one command (the gateway's address is the global --address).</summary>
    public static Option<string> Address(string defaultAddress) => new("--address")
    {
        Description = "The service's gRPC address (plaintext HTTP/2).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(EnvironmentNames.Address) ?? defaultAddress,
    };

    public static GrpcChannel Channel(string address) => GrpcChannel.ForAddress(address);

    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithIndentation());

    public static void Print(IMessage message) => Console.WriteLine(Json.Format(message));

    /// <summary>Runs a call, printing a failed status with its details and hint on stderr; returns the documented exit code.</summary>
    public static async Task<int> Call(Func<Task> call, FailureContext? context = null)
    {
        try
        {
            await call();
            return ExitCodes.Ok;
        }
        catch (RpcException e)
        {
            var failure = Failure.From(e, context ?? new FailureContext());
            await Console.Error.WriteAsync(failure.ToText());
            return failure.ExitCode;
        }
        catch (CliException e)
        {
            await Console.Error.WriteAsync(Failure.From(e).ToText());
            return e.ExitCode;
        }
    }
}
