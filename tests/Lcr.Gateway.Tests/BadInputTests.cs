using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Gateway.V1;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults;
using static Lcr.Gateway.Tests.Callers;
using static Lcr.Testing.RpcAssert;
using Status = Grpc.Core.Status;

namespace Lcr.Gateway.Tests;

/// <summary>
/// Issue 17 section 3 at the front door: out-of-range timestamps are INVALID_ARGUMENT naming the
/// field (never INTERNAL), a body that does not parse is INVALID_ARGUMENT (never UNKNOWN), an
/// update_mask is never echoed, and a caller without a token that verifies is UNAUTHENTICATED
/// before anything looks at the request.
/// </summary>
[Collection(PlatformCollection.Name)]
public class BadInputTests(PlatformFixture platform)
{
    private const int Patient = AuthorizationMatrixTests.Patient;

    /// <summary>A second past 9999-12-31T23:59:59Z, a second before 0001-01-01, and nanos out of range each way.</summary>
    private static readonly Timestamp[] OutOfRange =
    [
        new() { Seconds = TimestampRange.MaxSeconds + 1 },
        new() { Seconds = TimestampRange.MinSeconds - 1 },
        new() { Seconds = 1_700_000_000, Nanos = -1 },
        new() { Seconds = 1_700_000_000, Nanos = 1_000_000_000 },
        new() { Seconds = long.MaxValue },
        new() { Seconds = long.MinValue, Nanos = int.MinValue },
    ];

    private static Timestamp Recent => Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-2));

    private Grpc.Net.Client.GrpcChannel Gateway => platform.Gateway.Channel;

    [Fact]
    public async Task Out_of_range_timestamps_in_record_and_access_log_reads_are_invalid_argument_naming_the_field()
    {
        var tokens = await MatrixTokens.GetAsync(platform);
        var nhs = Nhs(Patient);
        var records = RecordsClient(Gateway);
        foreach (var bad in OutOfRange)
        {
            await Named(() => records.ListRecordEntriesAsync(new ListRecordEntriesRequest
            {
                NhsNumber = nhs, Category = RecordCategory.Problems, ClinicalPeriod = new Period { StartTime = bad },
            }, tokens.Headers(CallerKind.GpDirectCare)).ResponseAsync, "clinical_period.start_time");
            await Named(() => records.ListRecordEntriesAsync(new ListRecordEntriesRequest
            {
                NhsNumber = nhs, Category = RecordCategory.Problems, ClinicalPeriod = new Period { StartTime = Recent, EndTime = bad },
            }, tokens.Headers(CallerKind.GpDirectCare)).ResponseAsync, "clinical_period.end_time");
            await Named(() => records.GetAccessLogAsync(new GetAccessLogRequest
            {
                NhsNumber = nhs, Period = new Period { StartTime = bad },
            }, tokens.Headers(CallerKind.IgOfficer)).ResponseAsync, "period.start_time");
        }
    }

    [Fact]
    public async Task Out_of_range_timestamps_in_audit_queries_and_review_are_invalid_argument_naming_the_field()
    {
        var tokens = await MatrixTokens.GetAsync(platform);
        var reviewer = tokens.Headers(CallerKind.SystemAuditWithScopes);
        var audit = new AuditService.AuditServiceClient(Gateway);
        foreach (var bad in OutOfRange)
        {
            await Named(() => audit.ListEventsByPatientAsync(new ListEventsByPatientRequest
            {
                NhsNumber = Nhs(Patient), Period = new Period { StartTime = Recent, EndTime = bad },
            }, reviewer).ResponseAsync, "period.end_time");
            await Named(() => audit.ListEventsByActorAsync(new ListEventsByActorRequest
            {
                ActorId = "b86001-gp-feed", Period = new Period { StartTime = bad },
            }, reviewer).ResponseAsync, "period.start_time");
            await Named(() => audit.ListPrivacyReviewCasesAsync(new ListPrivacyReviewCasesRequest
            {
                CreatePeriod = new Period { StartTime = bad },
            }, reviewer).ResponseAsync, "create_period.start_time");
            await Named(() => audit.RunPrivacyReviewAsync(new RunPrivacyReviewRequest
            {
                Period = new Period { StartTime = Recent, EndTime = bad },
            }, reviewer).ResponseAsync, "period.end_time");
        }
    }

    [Fact]
    public async Task Out_of_range_timestamps_in_care_relationships_are_invalid_argument_naming_the_field()
    {
        var feed = Bearer(await SystemAsync(Gateway, "rr8-ppm-feed", "relationships.write"));
        var identity = IdentityClient(Gateway);
        foreach (var bad in OutOfRange)
        {
            CareRelationship Episode() => new()
            {
                NhsNumber = Nhs(Patient),
                Kind = CareRelationshipKind.OutpatientEpisode,
                TeamId = "RR8:CARDIOLOGY-OP",
                StartTime = Recent,
                Source = new Provenance { SourceEntryId = "bad-time-" + Guid.NewGuid().ToString("N"), SourceSystem = "PPM+" },
            };
            var startBad = Episode();
            startBad.StartTime = bad;
            await Named(() => identity.RecordCareRelationshipAsync(new RecordCareRelationshipRequest { CareRelationship = startBad }, feed).ResponseAsync,
                "care_relationship.start_time");
            var endBad = Episode();
            endBad.EndTime = bad;
            await Named(() => identity.RecordCareRelationshipAsync(new RecordCareRelationshipRequest { CareRelationship = endBad }, feed).ResponseAsync,
                "care_relationship.end_time");
            await Named(() => identity.EndCareRelationshipAsync(new EndCareRelationshipRequest
            {
                SourceEntryId = "bad-time-" + Guid.NewGuid().ToString("N"), EndTime = bad,
            }, feed).ResponseAsync, "end_time");
        }
    }

    [Fact]
    public async Task Update_masks_are_named_by_position_with_the_allowed_paths_and_never_echoed()
    {
        var tokens = await MatrixTokens.GetAsync(platform);
        var admin = Bearer(await SystemAsync(Gateway, "platform-admin", "identity.admin", "audit.review"));
        var feed = tokens.Headers(CallerKind.SystemFeedWithScopes);
        const string Hostile = "zqx\r\n{\"level\":\"Error\"} 9434765919";
        var mask = new FieldMask { Paths = { Hostile } };

        var calls = new (string Name, Func<Task> Call)[]
        {
            ("UpdatePatient", () => new Lcr.Demographics.V1.DemographicsService.DemographicsServiceClient(Gateway).UpdatePatientAsync(
                new Lcr.Demographics.V1.UpdatePatientRequest { Patient = new Lcr.Demographics.V1.Patient { NhsNumber = Nhs(Patient) }, Etag = "1", UpdateMask = mask },
                feed).ResponseAsync),
            ("UpdateProfessional", () => IdentityClient(Gateway).UpdateProfessionalAsync(new UpdateProfessionalRequest
            {
                Professional = new Professional { Id = Guid.NewGuid().ToString(), Etag = "1" }, UpdateMask = mask,
            }, admin).ResponseAsync),
            ("UpdateSystemClient", () => IdentityClient(Gateway).UpdateSystemClientAsync(new UpdateSystemClientRequest
            {
                SystemClient = new SystemClient { ClientId = "b86001-gp-feed", Etag = "1" }, UpdateMask = mask,
            }, admin).ResponseAsync),
            ("UpdatePrivacyReviewCase", () => new AuditService.AuditServiceClient(Gateway).UpdatePrivacyReviewCaseAsync(new UpdatePrivacyReviewCaseRequest
            {
                ReviewCase = new PrivacyReviewCase { Id = Guid.NewGuid().ToString() }, UpdateMask = mask,
            }, admin).ResponseAsync),
        };
        foreach (var (name, call) in calls)
        {
            var e = await Fails(StatusCode.InvalidArgument, call);
            var violations = e.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations;
            var masked = violations.Where(v => v.Field.StartsWith("update_mask", StringComparison.Ordinal)).ToList();
            Assert.True(masked.Count == 1 && masked[0].Field == "update_mask.paths[0]", $"{name}: {string.Join("; ", violations.Select(v => v.Field))}");
            Assert.Contains("allowed:", masked[0].Description, StringComparison.Ordinal);
            var everything = e.Status.Detail + string.Concat(violations.Select(v => v.Field + v.Description)) +
                string.Concat(e.GetRpcStatus()!.GetDetail<ErrorInfo>()?.Metadata.Values ?? []);
            foreach (var piece in new[] { "zqx", "\"level\"", "9434765919", "\r", "\n" })
            {
                Assert.False(everything.Contains(piece, StringComparison.Ordinal), $"{name} echoed '{piece.Trim()}' of the mask");
            }
        }
    }

    /// <summary>The calls that exist to obtain a token, and the public keys; every other method needs one.</summary>
    private static readonly HashSet<string> Open = new(StringComparer.Ordinal)
    {
        "/lcr.identity.v1.IdentityService/SignIn", "/lcr.identity.v1.IdentityService/IssueSystemToken",
        "/lcr.identity.v1.IdentityService/ListSigningKeys",
        "/lcr.identity.v1.IdentityService/ExchangeFederatedToken",
    };

    private static readonly ServiceDescriptor[] FrontDoor =
    [
        GatewayService.Descriptor, SubjectAccessService.Descriptor, IdentityService.Descriptor,
        Lcr.Clinical.V1.ClinicalRecordService.Descriptor, Lcr.Demographics.V1.DemographicsService.Descriptor,
        Lcr.Consent.V1.ConsentService.Descriptor, AuditService.Descriptor,
    ];

    [Fact]
    public async Task Every_method_without_a_token_that_verifies_is_unauthenticated_before_its_fields_are_looked_at()
    {
        var invoker = Gateway.CreateCallInvoker();
        var checkedMethods = 0;
        foreach (var method in FrontDoor.SelectMany(s => s.Methods))
        {
            var path = $"/{method.Service.FullName}/{method.Name}";
            if (Open.Contains(path))
            {
                continue;
            }

            // Every text field holds a control character and an NHS number, every number is -1:
            // validated first, this would be INVALID_ARGUMENT naming fields.
            var body = Hostile(method.InputType).ToByteArray();
            foreach (var headers in new Metadata?[] { null, Bearer("not-a-token"), Bearer("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.") })
            {
                var status = await CallRawAsync(invoker, method, body, headers ?? []);
                Assert.True(status.StatusCode == StatusCode.Unauthenticated, $"{path}: {status.StatusCode} {status.Detail}");
                Assert.DoesNotContain("9434765919", status.Detail, StringComparison.Ordinal);
            }

            checkedMethods++;
        }

        Assert.True(checkedMethods > 40, $"only {checkedMethods} methods found");
    }

    [Fact]
    public async Task A_token_of_the_wrong_kind_is_unauthenticated_before_the_fields_of_a_record_read_are_looked_at()
    {
        // gateway.proto step 1: "a session/system token instead of an access token: UNAUTHENTICATED", before any field check.
        var tokens = await MatrixTokens.GetAsync(platform);
        var records = RecordsClient(Gateway);
        foreach (var kind in new[] { CallerKind.SessionToken, CallerKind.SystemFeedWithScopes })
        {
            var headers = tokens.Headers(kind);
            await Fails(StatusCode.Unauthenticated, async () => await records.GetPatientRecordAsync(
                new GetPatientRecordRequest { NhsNumber = "12", Categories = { (RecordCategory)77 } }, headers));
            await Fails(StatusCode.Unauthenticated, async () => await records.ListRecordEntriesAsync(new ListRecordEntriesRequest
            {
                NhsNumber = "12", ClinicalPeriod = new Period { StartTime = OutOfRange[0] }, PageSize = -1,
            }, headers));
            await Fails(StatusCode.Unauthenticated, async () => await records.GetRecordEntryAsync(new GetRecordEntryRequest { NhsNumber = "12" }, headers));
            await Fails(StatusCode.Unauthenticated, async () => await records.GetAccessLogAsync(
                new GetAccessLogRequest { NhsNumber = "12", Period = new Period { EndTime = OutOfRange[1] } }, headers));
            var export = new SubjectAccessService.SubjectAccessServiceClient(Gateway).ExportSubjectAccess(
                new ExportSubjectAccessRequest { NhsNumber = "12" }, headers);
            await Fails(StatusCode.Unauthenticated, async () => await export.ResponseStream.MoveNext(CancellationToken.None));
        }
    }

    [Fact]
    public async Task A_body_that_does_not_parse_is_invalid_argument_not_unknown_and_the_caller_is_then_served()
    {
        var tokens = await MatrixTokens.GetAsync(platform);
        var invoker = Gateway.CreateCallInvoker();
        var method = GatewayService.Descriptor.FindMethodByName("GetPatientRecord");
        var bodies = new (string What, byte[] Bytes)[]
        {
            ("invalid UTF-8 in nhs_number", [0x0A, 0x02, 0xC3, 0x28]),
            ("groups nested past the recursion limit", [.. Enumerable.Repeat((byte)0x0B, 200), .. Enumerable.Repeat((byte)0x0C, 200)]),
            ("garbage", [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
            ("a length beyond the body", [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
            ("wire type 7", [0x0F]),
        };
        foreach (var (what, bytes) in bodies)
        {
            Assert.ThrowsAny<InvalidProtocolBufferException>(() => GetPatientRecordRequest.Parser.ParseFrom(bytes));
            var status = await CallRawAsync(invoker, method, bytes, tokens.Headers(CallerKind.GpDirectCare));
            Assert.True(status.StatusCode == StatusCode.InvalidArgument, $"{what}: {status.StatusCode} {status.Detail}");
            Assert.Contains("/lcr.gateway.v1.GatewayService/GetPatientRecord", status.Detail, StringComparison.Ordinal);
        }

        var record = await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = Nhs(Patient) },
            tokens.Headers(CallerKind.GpDirectCare));
        Assert.Equal(Nhs(Patient), record.Patient.NhsNumber);
    }

    /// <summary>A request of <paramref name="type"/> whose every text field would fail validation and the text guard.</summary>
    private static IMessage Hostile(MessageDescriptor type, int depth = 0)
    {
        var message = (IMessage)Activator.CreateInstance(type.ClrType)!;
        foreach (var field in type.Fields.InDeclarationOrder())
        {
            if (field.IsMap)
            {
                continue;
            }

            object? value = field.FieldType switch
            {
                FieldType.String => "\u0000 9434765919 \r\n",
                FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => -1,
                FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => -1L,
                FieldType.Enum => 77,
                FieldType.Message when depth < 3 && field.MessageType.FullName == Timestamp.Descriptor.FullName =>
                    new Timestamp { Seconds = long.MaxValue, Nanos = -1 },
                FieldType.Message when depth < 3 => Hostile(field.MessageType, depth + 1),
                _ => null,
            };
            if (value is null)
            {
                continue;
            }

            if (field.IsRepeated)
            {
                ((System.Collections.IList)field.Accessor.GetValue(message)).Add(value);
            }
            else
            {
                field.Accessor.SetValue(message, value);
            }
        }

        return message;
    }

    private static async Task<Status> CallRawAsync(CallInvoker invoker, MethodDescriptor descriptor, byte[] body, Metadata headers)
    {
        var raw = Marshallers.Create<byte[]>(b => b, b => b);
        var type = descriptor.IsServerStreaming ? MethodType.ServerStreaming : MethodType.Unary;
        var method = new Method<byte[], byte[]>(type, descriptor.Service.FullName, descriptor.Name, raw, raw);
        var options = new CallOptions(headers, DateTime.UtcNow.AddSeconds(15));
        try
        {
            if (type == MethodType.Unary)
            {
                await invoker.AsyncUnaryCall(method, null, options, body);
            }
            else
            {
                using var call = invoker.AsyncServerStreamingCall(method, null, options, body);
                while (await call.ResponseStream.MoveNext(CancellationToken.None))
                {
                }
            }

            return Status.DefaultSuccess;
        }
        catch (RpcException e)
        {
            return e.Status;
        }
    }

    /// <summary>INVALID_ARGUMENT naming <paramref name="field"/> (other violations may be named too), the value not echoed.</summary>
    private static async Task Named(Func<Task> call, string field)
    {
        var e = await Fails(StatusCode.InvalidArgument, call);
        var fields = e.GetRpcStatus()?.GetDetail<BadRequest>()?.FieldViolations.Select(f => f.Field).ToList() ?? [];
        Assert.True(fields.Contains(field), $"expected {field} among [{string.Join(", ", fields)}] ({e.Status.Detail})");
    }
}
