using System.CommandLine;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Lcr.Client;
using Lcr.Common.V1;
using Lcr.Identity.V1;
using Lcr.Security;
using Spectre.Console;

namespace Lcr.Cli;

/// <summary>
/// One run of one command: its resolved settings, a channel to the gateway, deadlines, the
/// credentials it needs (from flags, the environment or the session cache) and its output.
/// </summary>
internal sealed class Invocation : IDisposable
{
    private LcrClient? _client;
    private readonly List<GrpcChannel> _extra = [];

    public Invocation(Settings settings, CancellationToken cancellationToken)
    {
        Settings = settings;
        CancellationToken = cancellationToken;
        Cache = SessionCache.For(settings);
        Hint = new FailureContext(Address: settings.Address.Value, TimeoutSeconds: (int)settings.CallTimeout.TotalSeconds);
    }

    public Settings Settings { get; }
    public CancellationToken CancellationToken { get; }
    public SessionCache Cache { get; }
    public CliEnvironment Env => Settings.Environment;
    public IAnsiConsole Console => Settings.Environment.Console;
    public bool Json => Settings.Json;
    public string Address => Settings.Address.Value!;

    /// <summary>What a failure hint needs to know; updated as credentials are obtained.</summary>
    public FailureContext Hint { get; set; }

    /// <summary>
    /// The gateway through the client package (<see cref="LcrClient"/>), as any .NET system calls
    /// it: idempotent reads (record, entries, token issue, audit queries...) are retried on
    /// UNAVAILABLE within the call's deadline by the channel's ServiceConfig, so a platform that
    /// is still warming up or restarting a service answers instead of failing the command;
    /// sign-in and writes are never retried.
    /// </summary>
    public LcrClient Client => _client ??= LcrClient.Create(new LcrClientOptions
    {
        Address = new Uri(Address),
        DefaultDeadline = Settings.CallTimeout,
    });

    public GrpcChannel Channel => Client.Channel;

    /// <summary>A plain channel to another address (health of internal services, never retried), disposed with the invocation.</summary>
    public GrpcChannel ChannelTo(string address)
    {
        var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = 32 * 1024 * 1024 });
        _extra.Add(channel);
        return channel;
    }

    /// <summary>Call options with this invocation's deadline, optionally a bearer token.</summary>
    public CallOptions Options(string? bearer = null) =>
        new(bearer is null ? null : BearerToken.Metadata(bearer), Settings.Deadline(), CancellationToken);

    public IdentityService.IdentityServiceClient Identity => new(Channel);

    // ---- credentials ------------------------------------------------------------------------

    /// <summary>The user name: --user, $LCR_USER, the profile's, else the cached session's.</summary>
    public string? User(string? flag = null) =>
        Settings.Pick(flag, "--user", EnvironmentNames.User, p => p.User).Value ?? Cache.Load(Address).Session?.UserName;

    /// <summary>The signed-in professional's session token: --session / $LCR_SESSION, else the cache.</summary>
    public string SessionToken(string? flag = null)
    {
        Hint = Hint with { Credential = CredentialKind.Session, User = User() };
        if (Settings.Pick(flag, "--session", EnvironmentNames.Session, _ => null).Value is { } explicitToken)
        {
            return explicitToken;
        }

        var session = Cache.Load(Address).Session;
        var signIn = $"lcr signin --user {session?.UserName ?? User() ?? "<name>"}";
        if (session is null || session.Token.Length == 0)
        {
            throw new CliException(ExitCodes.Unauthenticated, $"you are not signed in to {Address} (profile '{Settings.ProfileName.Value}'): run `{signIn}`");
        }

        if (session.ExpireTime is { } expiry && expiry <= Env.Clock.GetUtcNow())
        {
            throw new CliException(ExitCodes.Unauthenticated, $"your session expired at {Text.Time(expiry)}: run `{signIn}` again");
        }

        return session.Token;
    }

    /// <summary>
    /// A patient-bound access token: --token / $LCR_TOKEN when given (scripts), else one issued
    /// now from the session for <paramref name="purpose"/> (or break glass with a reason).
    /// </summary>
    public async Task<string> AccessTokenAsync(string nhsNumber, string? tokenFlag, PurposeOfUse purpose, string? emergencyReason = null,
        string? sealedJustification = null)
    {
        if (Settings.Pick(tokenFlag, "--token", EnvironmentNames.Token, _ => null).Value is { } given)
        {
            Hint = Hint with { Credential = CredentialKind.Access, NhsNumber = nhsNumber, TokenFromFlag = true };
            return given;
        }

        var session = SessionToken();
        Hint = Hint with { NhsNumber = nhsNumber };
        var token = await IssueAsync(session, nhsNumber, purpose, emergencyReason, sealedJustification);
        Hint = Hint with { Credential = CredentialKind.Access };
        return token.AccessToken;
    }

    /// <summary>
    /// Issues an access token (or an emergency one, with a sealed-record justification to break the
    /// glass into a sealed record) with the session; the gateway audits the issue.
    /// </summary>
    public async Task<IssueAccessTokenResponse> IssueAsync(string session, string nhsNumber, PurposeOfUse purpose, string? emergencyReason,
        string? sealedJustification = null)
    {
        if (sealedJustification is { Length: > 0 } && emergencyReason is not { Length: > 0 })
        {
            throw new CliException(ExitCodes.Usage, "--sealed-justification breaks glass into a sealed record: give --emergency-reason too");
        }

        if (emergencyReason is { Length: > 0 })
        {
            var glass = await Identity.IssueEmergencyAccessTokenAsync(new IssueEmergencyAccessTokenRequest
            {
                NhsNumber = nhsNumber,
                ReasonCode = EmergencyAccessReason.ClinicalEmergency,
                ReasonText = emergencyReason,
                SealedRecordJustification = sealedJustification ?? string.Empty,
            }, Options(session));
            return new IssueAccessTokenResponse
            {
                AccessToken = glass.AccessToken,
                ExpireTime = glass.ExpireTime,
                TokenId = glass.TokenId,
                AllowedCategories = { glass.AllowedCategories },
            };
        }

        return await Identity.IssueAccessTokenAsync(new IssueAccessTokenRequest { NhsNumber = nhsNumber, Purpose = purpose }, Options(session));
    }

    /// <summary>The system client for calls across patients: --client, $LCR_CLIENT, the profile's, else platform-admin.</summary>
    public string AdminClient(string? flag = null) =>
        Settings.Pick(flag, "--client", EnvironmentNames.Client, p => p.Client, "platform-admin").Value!;

    /// <summary>
    /// A system token for <paramref name="clientId"/>: $LCR_TOKEN when it is one, a cached one
    /// still valid, else a new one from the client secret ($LCR_CLIENT_SECRET or --secret-file).
    /// </summary>
    public async Task<string> SystemTokenAsync(string clientId, string? secretFile = null)
    {
        Hint = Hint with { Credential = CredentialKind.System, Client = clientId };
        var record = Cache.Load(Address);
        if (record.SystemTokens.TryGetValue(clientId, out var cached) && cached.IsValidAt(Env.Clock.GetUtcNow()))
        {
            return cached.Token;
        }

        var secret = ClientSecret(secretFile) ?? throw new CliException(ExitCodes.Unauthenticated,
            $"no system token for client '{clientId}': run `lcr signin --client {clientId}` with the secret in $LCR_CLIENT_SECRET (or --secret-file)");
        var reply = await Identity.IssueSystemTokenAsync(new IssueSystemTokenRequest { ClientId = clientId, ClientSecret = secret }, Options());
        record = Cache.Load(Address);
        record.SystemTokens[clientId] = new CachedToken { Token = reply.SystemToken, ExpireTime = reply.ExpireTime?.ToDateTimeOffset() };
        Cache.Save(record);
        return reply.SystemToken;
    }

    public string? ClientSecret(string? secretFile)
    {
        if (secretFile is { Length: > 0 })
        {
            if (!File.Exists(secretFile))
            {
                throw new CliException(ExitCodes.Usage, $"--secret-file {secretFile} does not exist");
            }

            return File.ReadAllText(secretFile).Trim();
        }

        return Env.Variable(EnvironmentNames.ClientSecret);
    }

    // ---- output -----------------------------------------------------------------------------

    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithIndentation().WithFormatEnumsAsIntegers(false));

    /// <summary>A reply in the proto3 JSON mapping (stable field names, enums by name, timestamps RFC 3339).</summary>
    public void WriteJson(IMessage message) => Env.Out.WriteLine(Formatter.Format(message));

    public static string Format(IMessage message) => Formatter.Format(message);

    public void WriteLine(string text) => Env.Out.WriteLine(text);

    /// <summary>Whether long operations show progress: a person at a terminal (output not redirected), and not --json or --plain.</summary>
    public bool ShowsProgress => Env.Interactive && !Json && !Settings.Tables.Plain;

    /// <summary>
    /// Runs a long operation with a spinner and a status line on a terminal (<paramref name="work"/> updates it through the
    /// action it is given, in our words only); in scripts the same work runs silently.
    /// </summary>
    public async Task<T> WithProgressAsync<T>(string status, Func<Action<string>, Task<T>> work)
    {
        if (!ShowsProgress)
        {
            return await work(_ => { });
        }

        return await Console.Status().StartAsync(Markup.Escape(status), ctx => work(text => ctx.Status = Markup.Escape(text)));
    }

    /// <summary>A table, as --columns and --plain ask (<see cref="CliTable"/>).</summary>
    public void Write(CliTable table) => table.Write(Console, Env.Out, Settings.Tables);

    /// <summary>A note for a person (stderr, so stdout stays clean for pipes).</summary>
    public void Note(string text) => Env.Error.WriteLine(text);

    public void Dispose()
    {
        _client?.Dispose();
        foreach (var c in _extra)
        {
            c.Dispose();
        }
    }

    // ---- running a command ------------------------------------------------------------------

    /// <summary>Resolves settings, runs <paramref name="body"/>, and turns every failure into a message and an exit code.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1068", Justification = "The command body reads best as the last argument.")]
    public static async Task<int> RunAsync(ParseResult parse, CliEnvironment env, CancellationToken ct, Func<Invocation, Task<int>> body)
    {
        var json = parse.GetValue(GlobalOptions.Json) ||
            string.Equals(env.Variable(EnvironmentNames.Output), "json", StringComparison.OrdinalIgnoreCase);
        Invocation? invocation = null;
        try
        {
            invocation = new Invocation(Settings.Resolve(parse, env), ct);
            return await body(invocation);
        }
        catch (RpcException e)
        {
            return Report(env, json, Lcr.Cli.Failure.From(e, invocation?.Hint ?? new FailureContext()));
        }
        catch (CliException e)
        {
            return Report(env, json, Lcr.Cli.Failure.From(e));
        }
        finally
        {
            invocation?.Dispose();
        }
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1068", Justification = "The command body reads best as the last argument.")]
    public static Task<int> RunAsync(ParseResult parse, CliEnvironment env, CancellationToken ct, Func<Invocation, Task> body) =>
        RunAsync(parse, env, ct, async i =>
        {
            await body(i);
            return ExitCodes.Ok;
        });

    private static int Report(CliEnvironment env, bool json, Failure failure)
    {
        env.Error.Write(json ? failure.ToJson() + "\n" : failure.ToText());
        return failure.ExitCode;
    }
}

/// <summary>Small text helpers for human output.</summary>
internal static class Text
{
    public static string Time(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public static string Time(Timestamp? t) => t is null ? string.Empty : Time(t.ToDateTimeOffset());
}
