using System.Collections.Concurrent;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Lcr.Client;
using Lcr.Gateway.V1;
using Lcr.Identity.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lcr.Clients.Tests;

/// <summary>
/// An in-memory gRPC server standing in for the gateway, to prove what the client does on
/// its side of the wire: how often it calls, with which deadline and token. It counts
/// every call, fails the first <see cref="FailuresBeforeSuccess"/> attempts of each method
/// with UNAVAILABLE, and issues access tokens "access-1", "access-2"... that expire
/// <see cref="AccessTokenLifetime"/> after <see cref="Clock"/>'s now.
/// </summary>
public sealed class FakeGateway : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeGateway(WebApplication app) => _app = app;

    public ConcurrentDictionary<string, int> Calls { get; } = new();

    public int FailuresBeforeSuccess { get; set; }

    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>The deadline and authorization header of the latest call of each method.</summary>
    public ConcurrentDictionary<string, (DateTime Deadline, string? Authorization)> Last { get; } = new();

    public int CallsOf(string method) => Calls.GetValueOrDefault(method);

    public static async Task<FakeGateway> StartAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc();
        FakeGateway? fake = null;
        builder.Services.AddSingleton(_ => fake!);
        var app = builder.Build();
        fake = new FakeGateway(app);
        app.MapGrpcService<Gateway>();
        app.MapGrpcService<Identity>();
        await app.StartAsync();
        return fake;
    }

    /// <summary>A client of the fake with the given options (the address is only a name here).</summary>
    public LcrClient Client(TimeProvider? clock = null, int maxAttempts = 3, TimeSpan? defaultDeadline = null) =>
        LcrClient.Create(new LcrClientOptions
        {
            Address = new Uri("http://fake-gateway"),
            HttpHandler = _app.GetTestServer().CreateHandler(),
            TimeProvider = clock ?? TimeProvider.System,
            MaxAttempts = maxAttempts,
            DefaultDeadline = defaultDeadline ?? TimeSpan.FromSeconds(10),
        });

    private void Enter(string method, ServerCallContext context)
    {
        var n = Calls.AddOrUpdate(method, 1, (_, c) => c + 1);
        Last[method] = (context.Deadline, context.RequestHeaders.GetValue("authorization"));
        if (n <= FailuresBeforeSuccess)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "dependency unavailable"));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed class Gateway(FakeGateway fake) : GatewayService.GatewayServiceBase
    {
        public override Task<GetPatientRecordResponse> GetPatientRecord(GetPatientRecordRequest request, ServerCallContext context)
        {
            fake.Enter(nameof(GetPatientRecord), context);
            return Task.FromResult(new GetPatientRecordResponse { RecordVersion = 7 });
        }

        public override Task<GetRecordEntryResponse> GetRecordEntry(GetRecordEntryRequest request, ServerCallContext context)
        {
            fake.Enter(nameof(GetRecordEntry), context);
            var bad = new BadRequest
            {
                FieldViolations = { new BadRequest.Types.FieldViolation { Field = "entry_id", Description = "must be a UUID" } },
            };
            throw new Google.Rpc.Status
            {
                Code = (int)StatusCode.InvalidArgument,
                Message = "Invalid entry_id: must be a UUID",
                Details =
                {
                    Any.Pack(new ErrorInfo { Reason = "INVALID_ARGUMENT", Domain = PlatformError.PlatformDomain }),
                    Any.Pack(bad),
                },
            }.ToRpcException();
        }

        public override Task<ListRecordEntriesResponse> ListRecordEntries(ListRecordEntriesRequest request, ServerCallContext context)
        {
            fake.Enter(nameof(ListRecordEntries), context);
            throw new Google.Rpc.Status
            {
                Code = (int)StatusCode.ResourceExhausted,
                Message = "Too many requests",
                Details =
                {
                    Any.Pack(new ErrorInfo { Reason = "RATE_LIMITED", Domain = PlatformError.PlatformDomain }),
                    Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)) }),
                },
            }.ToRpcException();
        }

        public override Task<GetAccessLogResponse> GetAccessLog(GetAccessLogRequest request, ServerCallContext context)
        {
            fake.Enter(nameof(GetAccessLog), context);
            throw new RpcException(new Grpc.Core.Status(StatusCode.PermissionDenied, "refused"));
        }
    }

    private sealed class Identity(FakeGateway fake) : IdentityService.IdentityServiceBase
    {
        public override Task<SignInResponse> SignIn(SignInRequest request, ServerCallContext context)
        {
            fake.Enter(nameof(SignIn), context);
            return Task.FromResult(new SignInResponse
            {
                SessionToken = "session-1",
                ExpireTime = Timestamp.FromDateTimeOffset(fake.Clock.GetUtcNow().AddHours(8)),
                Professional = new Professional { DisplayName = "Dr Test" },
            });
        }

        public override Task<IssueAccessTokenResponse> IssueAccessToken(IssueAccessTokenRequest request, ServerCallContext context)
        {
            fake.Enter(nameof(IssueAccessToken), context);
            var n = fake.CallsOf(nameof(IssueAccessToken)) - fake.FailuresBeforeSuccess;
            return Task.FromResult(new IssueAccessTokenResponse
            {
                AccessToken = $"access-{n}",
                TokenId = $"jti-{n}",
                ExpireTime = Timestamp.FromDateTimeOffset(fake.Clock.GetUtcNow() + fake.AccessTokenLifetime),
            });
        }

        public override Task<IssueEmergencyAccessTokenResponse> IssueEmergencyAccessToken(IssueEmergencyAccessTokenRequest request, ServerCallContext context)
        {
            fake.Enter(nameof(IssueEmergencyAccessToken), context);
            return Task.FromResult(new IssueEmergencyAccessTokenResponse { AccessToken = "glass" });
        }

        public override Task<IssueSystemTokenResponse> IssueSystemToken(IssueSystemTokenRequest request, ServerCallContext context)
        {
            fake.Enter(nameof(IssueSystemToken), context);
            return Task.FromResult(new IssueSystemTokenResponse
            {
                SystemToken = $"system-{fake.CallsOf(nameof(IssueSystemToken))}",
                ExpireTime = Timestamp.FromDateTimeOffset(fake.Clock.GetUtcNow().AddMinutes(15)),
                Scopes = { request.Scopes },
            });
        }

        public override Task<UpdateProfessionalResponse> UpdateProfessional(UpdateProfessionalRequest request, ServerCallContext context)
        {
            fake.Enter(nameof(UpdateProfessional), context);
            return Task.FromResult(new UpdateProfessionalResponse());
        }
    }
}
