using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Lcr.Common.V1;
using Lcr.Gateway.V1;
using Lcr.Identity.V1;

namespace Lcr.Client;

/// <summary>
/// One gRPC channel to the Leeds Care Record gateway, with the platform's call rules built
/// in: a deadline on every call (<see cref="LcrClientOptions.DefaultDeadline"/> unless the
/// call sets one), retries of idempotent reads on UNAVAILABLE through the channel's
/// ServiceConfig (<see cref="LcrRetryPolicy"/>), and bearer tokens from token sources that
/// renew themselves. Create one per gateway address and share it; dispose it at shutdown.
/// </summary>
/// <example>
/// <code>
/// using var lcr = LcrClient.Create(new LcrClientOptions { Address = new Uri("http://127.0.0.1:7100") });
/// var session = await lcr.SignInAsync("gp.b86001", password);
/// var tokens = session.AccessTokens("9990000018", PurposeOfUse.DirectCare);
/// var record = await lcr.Gateway(tokens).GetPatientRecordAsync(new() { NhsNumber = "9990000018" });
/// </code>
/// </example>
public sealed class LcrClient : IDisposable
{
    /// <summary>The largest response accepted: a 10 MiB document and its envelope.</summary>
    public const int MaxReceiveMessageBytes = 16 * 1024 * 1024;

    private readonly CallInvoker _anonymous;

    private LcrClient(LcrClientOptions options, GrpcChannel channel)
    {
        Options = options;
        Channel = channel;
        _anonymous = channel.Intercept(new CallDefaultsInterceptor(options.DefaultDeadline, null));
        Identity = new IdentityService.IdentityServiceClient(_anonymous);
    }

    /// <summary>Opens a channel to the gateway with the platform's call rules.</summary>
    public static LcrClient Create(LcrClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var channel = GrpcChannel.ForAddress(options.Address, new GrpcChannelOptions
        {
            HttpHandler = options.HttpHandler,
            DisposeHttpClient = true,
            ServiceConfig = LcrRetryPolicy.ServiceConfig(options.MaxAttempts),
            MaxRetryAttempts = Math.Max(options.MaxAttempts, 1),
            // GetDocumentContent returns up to 10 MiB; gRPC's default limit is 4 MiB.
            MaxReceiveMessageSize = MaxReceiveMessageBytes,
            // Tokens are call credentials; on a plaintext (development) address they are sent
            // in clear, as the gateway on 127.0.0.1 expects. Production addresses are https.
            UnsafeUseInsecureChannelCallCredentials = options.Address.Scheme == Uri.UriSchemeHttp,
        });
        return new LcrClient(options, channel);
    }

    /// <summary>The options the client was created with.</summary>
    public LcrClientOptions Options { get; }

    /// <summary>The underlying channel (retry ServiceConfig applied).</summary>
    public GrpcChannel Channel { get; }

    /// <summary>The identity service without a token: SignIn, IssueSystemToken, ListSigningKeys.</summary>
    public IdentityService.IdentityServiceClient Identity { get; }

    /// <summary>
    /// Signs a professional in. Never retried (every failure counts towards the sign-in
    /// throttle's delays). Throws <see cref="RpcException"/>: UNAUTHENTICATED with reason
    /// INVALID_CREDENTIALS, RESOURCE_EXHAUSTED with reason SIGN_IN_THROTTLED and a RetryInfo
    /// delay after repeated failures, INVALID_ARGUMENT for empty fields.
    /// </summary>
    public async Task<LcrSession> SignInAsync(string userName, string password, CancellationToken cancellationToken = default)
    {
        var reply = await Identity.SignInAsync(new SignInRequest { UserName = userName, Password = password },
            cancellationToken: cancellationToken);
        return new LcrSession(this, reply);
    }

    /// <summary>
    /// Signs a professional in with the ID token your system received from a trusted identity provider
    /// (NHS CIS2) and the role profile (<c>person_roleid</c>) they chose: ExchangeFederatedToken. The
    /// session acts in that role only and ends no later than the provider's sign-in allows.
    /// </summary>
    public async Task<LcrSession> SignInWithIdTokenAsync(string idToken, string roleProfileId, CancellationToken cancellationToken = default)
    {
        var reply = await Identity.ExchangeFederatedTokenAsync(new ExchangeFederatedTokenRequest
        {
            SubjectToken = idToken,
            SubjectTokenType = "urn:ietf:params:oauth:token-type:id_token",
            RoleProfileId = roleProfileId,
        }, cancellationToken: cancellationToken);
        return new LcrSession(this, new SignInResponse { SessionToken = reply.SessionToken, ExpireTime = reply.ExpireTime, Professional = reply.Professional });
    }

    /// <summary>System tokens for a feed or administration client, renewed before they expire.</summary>
    public SystemTokenSource SystemTokens(string clientId, string clientSecret, params IEnumerable<string> scopes)
    {
        var request = new IssueSystemTokenRequest { ClientId = clientId, ClientSecret = clientSecret };
        request.Scopes.AddRange(scopes);
        return new SystemTokenSource(this, request, Options);
    }

    /// <summary>A call invoker whose calls carry the current token of <paramref name="tokens"/> and the default deadline.</summary>
    public CallInvoker CallInvoker(ITokenSource tokens) =>
        Channel.Intercept(new CallDefaultsInterceptor(Options.DefaultDeadline, tokens));

    /// <summary>The gateway's record-read API, calling with the current access token of <paramref name="tokens"/>.</summary>
    public GatewayService.GatewayServiceClient Gateway(ITokenSource tokens) => new(CallInvoker(tokens));

    /// <summary>
    /// Any of the platform's service clients (e.g. <c>invoker =&gt; new ClinicalRecordService.ClinicalRecordServiceClient(invoker)</c>
    /// for a feed), calling with the current token of <paramref name="tokens"/>.
    /// </summary>
    public TClient Create<TClient>(Func<CallInvoker, TClient> factory, ITokenSource tokens)
        where TClient : ClientBase<TClient> =>
        factory(CallInvoker(tokens));

    internal IdentityService.IdentityServiceClient IdentityWith(ITokenSource tokens) => new(CallInvoker(tokens));

    /// <inheritdoc />
    public void Dispose() => Channel.Dispose();
}

/// <summary>
/// A signed-in professional: the session token (hours; it proves who they are to
/// IssueAccessToken and cannot read any record) and their role assignments.
/// </summary>
public sealed class LcrSession : ITokenSource
{
    private readonly PlatformToken _token;

    internal LcrSession(LcrClient client, SignInResponse reply)
    {
        Client = client;
        Professional = reply.Professional;
        _token = new PlatformToken(reply.SessionToken, reply.ExpireTime?.ToDateTimeOffset() ?? DateTimeOffset.MinValue, string.Empty);
    }

    internal LcrClient Client { get; }

    /// <summary>The signed-in professional, with the role assignments to choose from.</summary>
    public Professional Professional { get; }

    /// <summary>When the session expires; sign in again after that.</summary>
    public DateTimeOffset ExpireTime => _token.ExpireTime;

    /// <summary>
    /// Access tokens bound to one patient for one purpose, issued on first use and renewed
    /// before they expire. <paramref name="roleAssignmentId"/> is needed when the
    /// professional holds several active roles (see <see cref="Professional"/>).
    /// </summary>
    public AccessTokenSource AccessTokens(string nhsNumber, PurposeOfUse purpose = PurposeOfUse.DirectCare, string? roleAssignmentId = null) =>
        new(this, new IssueAccessTokenRequest { NhsNumber = nhsNumber, Purpose = purpose, RoleAssignmentId = roleAssignmentId ?? string.Empty },
            Client.Options);

    /// <summary>
    /// Emergency (break-glass) access: one token, never renewed automatically (each issue is
    /// a flagged event reviewed by the privacy team); ask again, with a reason, when it expires.
    /// </summary>
    public async Task<PlatformToken> EmergencyAccessAsync(string nhsNumber, EmergencyAccessReason reason, string reasonText,
        string? roleAssignmentId = null, CancellationToken cancellationToken = default)
    {
        var reply = await Client.IdentityWith(this).IssueEmergencyAccessTokenAsync(new IssueEmergencyAccessTokenRequest
        {
            NhsNumber = nhsNumber, ReasonCode = reason, ReasonText = reasonText, RoleAssignmentId = roleAssignmentId ?? string.Empty,
        }, cancellationToken: cancellationToken);
        return new PlatformToken(reply.AccessToken, reply.ExpireTime?.ToDateTimeOffset() ?? DateTimeOffset.MinValue, reply.TokenId);
    }

    /// <summary>The session token (not renewable: sign in again once it expires).</summary>
    public ValueTask<PlatformToken> GetTokenAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(_token);
}

/// <summary>A fixed token, e.g. an emergency access token, as a token source.</summary>
/// <param name="Token">The token to send.</param>
public sealed record FixedToken(PlatformToken Token) : ITokenSource
{
    /// <inheritdoc />
    public ValueTask<PlatformToken> GetTokenAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(Token);
}
