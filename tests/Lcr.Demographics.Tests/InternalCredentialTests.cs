using System.Security.Cryptography;
using Grpc.Core;
using Grpc.Health.V1;
using Lcr.Common.V1;
using Lcr.Demographics.Api;
using Lcr.Demographics.V1;
using Lcr.ServiceDefaults;
using Lcr.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Lcr.Demographics.Tests;

/// <summary>The demographics service as deployed: internal credentials on, only the gateway accepted.</summary>
public sealed class CredentialedDemographicsHost : ServiceHost<DemographicsGrpcService>
{
    public static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    protected override string ConnectionName => "Demographics";

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
        [new("Internal:SigningKey", Convert.ToBase64String(Key))];

    public DemographicsService.DemographicsServiceClient Client => new(Channel);
}

public class InternalCredentialTests(CredentialedDemographicsHost host) : IClassFixture<CredentialedDemographicsHost>
{
    private static readonly Actor Feed = new()
    {
        Kind = ActorKind.System, Id = "pas-feed", Organisation = new OrganisationReference { OdsCode = "RR8" },
    };

    private static InternalCredentials Signer(string service = "gateway", byte[]? key = null) =>
        new(key ?? CredentialedDemographicsHost.Key, service, ["gateway"]);

    [Fact]
    public async Task A_call_without_the_gateway_credential_is_unauthenticated()
    {
        var e = await RpcAssert.Fails(StatusCode.Unauthenticated, async () =>
            await host.Client.GetPatientAsync(new GetPatientRequest { NhsNumber = "9434765919" }));
        Assert.Contains("gateway", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refusal_is_a_grpc_status_with_its_reason_and_probes_stay_open()
    {
        // Refused by the "internal" authentication scheme and the [InternalCaller] policy, before
        // any gRPC code runs: still a gRPC status with the credential's ErrorInfo reason.
        await RpcAssert.Fails(StatusCode.Unauthenticated, "INTERNAL_CREDENTIAL_MISSING", async () =>
            await host.Client.GetPatientAsync(new GetPatientRequest { NhsNumber = "9434765919" }));
        await RpcAssert.Fails(StatusCode.Unauthenticated, "INTERNAL_CREDENTIAL_INVALID", async () =>
            await host.Client.GetPatientAsync(new GetPatientRequest { NhsNumber = "9434765919" }, Signer("clinical").For(Feed)));
        await new Health.HealthClient(host.Channel).CheckAsync(new HealthCheckRequest());
    }

    [Fact]
    public void Every_method_of_the_service_requires_the_internal_caller_policy()
    {
        var methods = host.Services.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>().Endpoints
            .Select(e => (Grpc: e.Metadata.GetMetadata<Grpc.AspNetCore.Server.GrpcMethodMetadata>(), e.Metadata))
            .Where(e => e.Grpc?.Method.ServiceName == "lcr.demographics.v1.DemographicsService")
            .ToList();
        Assert.NotEmpty(methods);
        Assert.All(methods, m => Assert.Contains(m.Metadata.GetOrderedMetadata<Microsoft.AspNetCore.Authorization.IAuthorizeData>(),
            a => a.Policy == InternalCallerAttribute.PolicyName));
    }

    [Fact]
    public async Task The_credential_is_checked_before_the_request_text()
    {
        // A NUL in a name, an unknown enum: without a credential the caller learns nothing about its fields.
        var p = DemographicsHost.NewPatient(family: "Ha\0rt");
        p.Gender = (AdministrativeGender)77;
        var e = await RpcAssert.Fails(StatusCode.Unauthenticated, async () =>
            await host.Client.CreatePatientAsync(new CreatePatientRequest { Patient = p }));
        Assert.Null(e.GetRpcStatus()?.GetDetail<Google.Rpc.BadRequest>());
    }

    [Fact]
    public async Task A_body_that_does_not_parse_is_invalid_argument_not_unknown()
    {
        var raw = Marshallers.Create<byte[]>(b => b, b => b);
        var method = new Method<byte[], byte[]>(MethodType.Unary, "lcr.demographics.v1.DemographicsService", "GetPatient", raw, raw);
        foreach (var body in new byte[][] { [0x0A, 0x02, 0xC3, 0x28], [.. Enumerable.Repeat((byte)0x1B, 150)], [0x0F] })
        {
            var e = await Assert.ThrowsAsync<RpcException>(async () =>
                await host.Channel.CreateCallInvoker().AsyncUnaryCall(method, null, new CallOptions(Signer().For(Feed)), body));
            Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
            Assert.Equal(RequestParsing.Reason, e.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>().Reason);
        }
    }

    [Fact]
    public async Task Plain_actor_headers_are_not_enough_when_credentials_are_on()
    {
        await RpcAssert.Fails(StatusCode.Unauthenticated, async () =>
            await host.Client.CreatePatientAsync(new CreatePatientRequest { Patient = DemographicsHost.NewPatient() }, CallerHeaders.For(Feed)));
    }

    [Fact]
    public async Task A_credential_signed_by_another_service_or_key_is_refused()
    {
        await RpcAssert.Fails(StatusCode.Unauthenticated, async () =>
            await host.Client.GetPatientAsync(new GetPatientRequest { NhsNumber = "9434765919" }, Signer("clinical").For(Feed)));
        await RpcAssert.Fails(StatusCode.Unauthenticated, async () =>
            await host.Client.GetPatientAsync(new GetPatientRequest { NhsNumber = "9434765919" }, Signer(key: RandomNumberGenerator.GetBytes(32)).For(Feed)));
        var tampered = Signer().Issue(Feed);
        tampered = tampered[..^4] + (tampered[^4] == 'A' ? "BBBB" : "AAAA");
        await RpcAssert.Fails(StatusCode.Unauthenticated, async () =>
            await host.Client.GetPatientAsync(new GetPatientRequest { NhsNumber = "9434765919" },
                new Metadata { { InternalCredentials.Header, tampered } }));
    }

    [Fact]
    public async Task The_actor_recorded_is_the_one_the_gateway_signed_not_a_spoofed_header()
    {
        var p = DemographicsHost.NewPatient();
        var headers = Signer().For(Feed);
        headers.Add(CallerHeaders.ActorId, "someone-else");
        headers.Add(CallerHeaders.ActorKind, "professional");
        await host.Client.CreatePatientAsync(new CreatePatientRequest { Patient = p }, headers);
        var history = await host.Client.ListPatientHistoryAsync(new ListPatientHistoryRequest { NhsNumber = p.NhsNumber }, Signer().For(Feed));
        var created = Assert.Single(history.Versions);
        Assert.Equal("pas-feed", created.ChangedBy.Id);
        Assert.Equal(ActorKind.System, created.ChangedBy.Kind);
        Assert.Equal("RR8", created.ChangedBy.Organisation.OdsCode);
    }

    [Fact]
    public async Task A_verified_credential_is_refused_once_it_expires_although_it_was_remembered()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var credentials = new InternalCredentials(CredentialedDemographicsHost.Key, "gateway", ["gateway"], clock);
        var token = credentials.Issue(Feed);
        Assert.Equal("pas-feed", (await credentials.VerifyAsync(token)).Actor.Id);
        Assert.Equal("pas-feed", (await credentials.VerifyAsync(token)).Actor.Id);

        clock.Now += TimeSpan.FromMinutes(3); // lifetime 2 minutes, 30 s skew
        var e = await Assert.ThrowsAsync<UnauthenticatedException>(() => credentials.VerifyAsync(token));
        Assert.Equal("INTERNAL_CREDENTIAL_INVALID", e.Reason);
    }

    [Fact]
    public async Task A_tampered_copy_of_a_remembered_credential_is_refused()
    {
        var credentials = Signer();
        var token = credentials.Issue(Feed);
        await credentials.VerifyAsync(token);
        var parts = token.Split('.');
        var payload = System.Text.Encoding.UTF8.GetString(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(parts[1]))
            .Replace("pas-feed", "pas-fee2", StringComparison.Ordinal);
        var forged = $"{parts[0]}.{Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(payload)}.{parts[2]}";
        await Assert.ThrowsAsync<UnauthenticatedException>(() => credentials.VerifyAsync(forged));
        await Assert.ThrowsAsync<UnauthenticatedException>(() => credentials.VerifyAsync(token[..^2]));
    }

    [Fact]
    public async Task A_remembered_credential_yields_the_signed_actor_even_if_a_caller_changed_an_earlier_copy()
    {
        var credentials = Signer();
        var token = credentials.Issue(Feed);
        var first = (await credentials.VerifyAsync(token)).Actor;
        first.Id = "changed-by-a-caller";
        first.Organisation.OdsCode = "XXX";
        var (caller, second) = await credentials.VerifyAsync(token);
        Assert.Equal("gateway", caller);
        Assert.Equal("pas-feed", second.Id);
        Assert.Equal("RR8", second.Organisation.OdsCode);
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public async Task Health_stays_open_for_kubernetes_probes()
    {
        var reply = await new Health.HealthClient(host.Channel).CheckAsync(new HealthCheckRequest { Service = "readiness" });
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }
}
