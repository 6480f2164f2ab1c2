using System.Globalization;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Google.Protobuf.WellKnownTypes;
using Lcr.Audit.V1;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Gateway.V1;
using Lcr.Identity.V1;
using Lcr.LoadGen;
using Lcr.LoadGen.Echo.V1;
using Lcr.Security;
using Lcr.ServiceDefaults;
using Lcr.ServiceDefaults.DevData;
using Npgsql;
using StackExchange.Redis;

// Platform load benchmark (issue 9). Usage (all optional):
//   --gateway http://127.0.0.1:7100  --connections 4  --callers 32  --warmup 10  --seconds 15
//   --max-requests 2000000  --warm-patients 4  --platform-warmup 30  --scenarios floor,token,warm,warm-json,warm-half,cold,cold-half,list,fhir-everything,upsert,audit
//   --gateway-http http://127.0.0.1:7110   (warm-json and fhir-everything: the gateway's HTTP/1.1 endpoint; default Kestrel__Endpoints__Http__Url, else the gRPC port + 10)
//   --user gp.b86001  --password-file .data/secrets/dev-password
//   --feed b86001-gp-feed  --client-secret-file .data/secrets/dev-client-secret  --batch 10   (upsert)
//   --audit http://127.0.0.1:7105  --internal-key-file .data/secrets/internal-signing-key   (audit)
//   --startup-rate 40  --startup-seconds 60   (startup: a freshly started platform, open loop, run before the platform warm-up)
//   --pseudonym-key-file .data/secrets/pseudonym-key  --redis "$LCR_REDIS"  --clinical-db "$ConnectionStrings__Clinical"   (cold)  --out bench/results/loadgen.json
var options = Options.Parse(args);
var settings = new LoadSettings(options.Int("connections", 4), options.Int("callers", 32),
    TimeSpan.FromSeconds(options.Int("warmup", 10)), TimeSpan.FromSeconds(options.Int("seconds", 15)),
    options.Long("max-requests", 2_000_000));
var wanted = options.Str("scenarios", "floor,token,warm,warm-json,warm-half,cold,cold-half,list,fhir-everything").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
var gateway = new Uri(options.Str("gateway", "http://127.0.0.1:7100"));
var gatewayHttp = new Uri(options.Str("gateway-http", FhirScenario.DefaultAddress(gateway)));
var outFile = options.Str("out", "bench/results/loadgen.json");
var deadline = TimeSpan.FromSeconds(10);
var platformWarmUp = TimeSpan.FromSeconds(options.Int("platform-warmup", 30));

// Patients registered at B86001, none with a role in a scenario (0-5, the sealed one, ...: Scenario.IsOrdinary) and not restricted ones.
var patients = SyntheticCohort.Patients
    .Select((p, i) => (p, i))
    .Where(x => x.p.PracticeOds == "B86001" && SyntheticOrganisations.Scenario.IsOrdinary(x.i) && !x.p.Restricted)
    .Select(x => x.p.NhsNumber)
    .ToArray();
var warmPatients = patients.Take(Math.Clamp(options.Int("warm-patients", 4), 1, patients.Length)).ToArray();

// --pids identity=123,gateway=456: CPU per request of each platform process (and of this one).
var pids = options.Str("pids", "").Split(',', StringSplitOptions.RemoveEmptyEntries)
    .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => int.Parse(p[1], CultureInfo.InvariantCulture));
pids["loadgen"] = Environment.ProcessId;
using var generator = new Generator(settings, new ProcessCpu(pids));
var results = new List<ScenarioResult>();
List<StartupWindow>? startupWindows = null;
await using var floor = await EchoFloor.StartAsync();

Console.Error.WriteLine($"loadgen: {settings.Connections} connections, {settings.Callers} callers, warm-up {settings.WarmUp.TotalSeconds} s, measured {settings.Measure.TotalSeconds} s per scenario; floor at {floor.Address}");

ScenarioResult? floorResult = null;
if (wanted.Contains("floor"))
{
    var payload = ByteString.CopyFrom(new byte[64]);
    var method = new Method<EchoRequest, EchoResponse>(MethodType.Unary, "lcr.loadgen.echo.v1.EchoService", "Echo",
        Marshallers.Create(m => m.ToByteArray(), EchoRequest.Parser.ParseFrom), Marshallers.Create(m => m.ToByteArray(), EchoResponse.Parser.ParseFrom));
    floorResult = await Run("floor", "bare unary echo on AddServiceDefaults (64-byte payload), in the load generator's process",
        floor.Address, (inv, _) => inv.AsyncUnaryCall(method, null, new CallOptions(deadline: DateTime.UtcNow + deadline), new EchoRequest { Payload = payload }).ResponseAsync);
}

var platformScenarios = wanted.Where(w => w != "floor").ToArray();
if (platformScenarios.Length > 0)
{
    var password = (await File.ReadAllTextAsync(options.Str("password-file", ".data/secrets/dev-password"))).Trim();
    var user = options.Str("user", "gp.b86001");
    var setupChannel = generator.Channels(gateway)[0];
    var identity = new IdentityService.IdentityServiceClient(setupChannel);
    // Set-up calls are retried while a freshly started platform warms up (JIT, pools, first key fetch).
    var session = (await SetUpAsync(() => identity.SignInAsync(new SignInRequest { UserName = user, Password = password }, deadline: DateTime.UtcNow + deadline).ResponseAsync)).SessionToken;
    var sessionHeaders = BearerToken.Metadata(session);

    // One access token per patient, issued before any measurement (10 minutes' lifetime).
    var tokens = new Dictionary<string, Metadata>();
    var bearerTokens = new Dictionary<string, string>();
    foreach (var nhs in patients)
    {
        var t = await SetUpAsync(() => identity.IssueAccessTokenAsync(new IssueAccessTokenRequest { NhsNumber = nhs, Purpose = PurposeOfUse.DirectCare },
            sessionHeaders, DateTime.UtcNow + deadline).ResponseAsync);
        tokens[nhs] = BearerToken.Metadata(t.AccessToken);
        bearerTokens[nhs] = t.AccessToken;
    }

    // Check the path once before loading it, so a misconfigured platform fails loudly, not as a table of errors.
    // A freshly started platform's first reads pay JIT and connection set-up (and may time out inside the gateway).
    GetPatientRecordResponse? probe = null;
    for (var attempt = 1; probe is null; attempt++)
    {
        try
        {
            probe = await new GatewayService.GatewayServiceClient(setupChannel).GetPatientRecordAsync(
                new GetPatientRecordRequest { NhsNumber = warmPatients[0] }, tokens[warmPatients[0]], DateTime.UtcNow + deadline);
        }
        catch (RpcException e) when (attempt < 12 && e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
        {
            Console.Error.WriteLine($"loadgen: probe read failed ({e.StatusCode}), retrying while the platform warms up");
            await Task.Delay(TimeSpan.FromSeconds(5));
        }
    }

    Console.Error.WriteLine($"loadgen: signed in as {user}; {patients.Length} patients at B86001; probe read ok (record version {probe.RecordVersion})");

    // Cold cache: evict the patient's clinical summary from Redis (untimed) before each read.
    IConnectionMultiplexer? redis = null;
    PatientPseudonymiser? pseudonyms = null;
    NpgsqlDataSource? clinicalRecords = null;
    PatientVersionStore? versions = null;
    if (platformScenarios.Any(s => s.StartsWith("cold", StringComparison.Ordinal)))
    {
        var redisConfig = options.Str("redis", Environment.GetEnvironmentVariable("LCR_REDIS") ?? "");
        var keyFile = options.Str("pseudonym-key-file", ".data/secrets/pseudonym-key");
        if (redisConfig.Length == 0 || !File.Exists(keyFile))
        {
            throw new InvalidOperationException("cold scenarios need --redis (or $LCR_REDIS) and --pseudonym-key-file");
        }

        redis = await ConnectionMultiplexer.ConnectAsync(redisConfig);
        if (!redis.GetEndPoints().All(e => e is System.Net.IPEndPoint ip && System.Net.IPAddress.IsLoopback(ip.Address) || e.ToString()!.StartsWith("127.0.0.1", StringComparison.Ordinal)))
        {
            throw new InvalidOperationException("refusing a non-loopback Redis");
        }

        pseudonyms = PatientPseudonymiser.FromBase64OrRandom((await File.ReadAllTextAsync(keyFile)).Trim());

        // The gateway keeps summaries in memory under the patient's version record (Redis,
        // keyed by the platform's pseudonym of the number), so the bump below is announced the
        // way a contributing writer announces it: marked before, published after.
        versions = new PatientVersionStore(redis, pseudonyms, new PatientVersionOptions(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<PatientVersionStore>.Instance);

        // The clinical service also keeps summaries in its own memory under the record version
        // (a Redis eviction alone leaves that hit in place), so a cold read is made the way a
        // contribution makes one: the patient's record version moves on, and no tier holds a
        // summary at the new version. Only the version row changes (no entry, no content).
        var clinicalDb = new NpgsqlConnectionStringBuilder(options.Str("clinical-db", Environment.GetEnvironmentVariable("ConnectionStrings__Clinical") ?? ""));
        if (string.IsNullOrEmpty(clinicalDb.Host) || !(clinicalDb.Host is "localhost" || System.Net.IPAddress.TryParse(clinicalDb.Host, out var ip) && System.Net.IPAddress.IsLoopback(ip)))
        {
            throw new InvalidOperationException("cold scenarios need --clinical-db (or $ConnectionStrings__Clinical) on a loopback PostgreSQL");
        }

        // The bump is the benchmark's scaffolding, not a platform write: it need not wait for a
        // WAL flush (it would otherwise queue with the audit service's commits on the same disk).
        clinicalDb.Options = "-c synchronous_commit=off";
        clinicalRecords = NpgsqlDataSource.Create(clinicalDb);
    }

    var read = new Method<GetPatientRecordRequest, GetPatientRecordResponse>(MethodType.Unary, GatewayService.Descriptor.FullName, "GetPatientRecord",
        Marshallers.Create(m => m.ToByteArray(), GetPatientRecordRequest.Parser.ParseFrom), Marshallers.Create(m => m.ToByteArray(), GetPatientRecordResponse.Parser.ParseFrom));
    var list = new Method<ListRecordEntriesRequest, ListRecordEntriesResponse>(MethodType.Unary, GatewayService.Descriptor.FullName, "ListRecordEntries",
        Marshallers.Create(m => m.ToByteArray(), ListRecordEntriesRequest.Parser.ParseFrom), Marshallers.Create(m => m.ToByteArray(), ListRecordEntriesResponse.Parser.ParseFrom));
    var issue = new Method<IssueAccessTokenRequest, IssueAccessTokenResponse>(MethodType.Unary, IdentityService.Descriptor.FullName, "IssueAccessToken",
        Marshallers.Create(m => m.ToByteArray(), IssueAccessTokenRequest.Parser.ParseFrom), Marshallers.Create(m => m.ToByteArray(), IssueAccessTokenResponse.Parser.ParseFrom));

    Task Read(CallInvoker inv, string nhs) =>
        inv.AsyncUnaryCall(read, null, new CallOptions(tokens[nhs], DateTime.UtcNow + deadline), new GetPatientRecordRequest { NhsNumber = nhs }).ResponseAsync;

    async Task Evict(long n)
    {
        var nhs = patients[n % patients.Length];

        // As a contribution does it: mark the record (kind Record) before the commit, publish it
        // after, so no gateway reuses the summary it kept for this patient.
        var write = await versions!.BeginWriteAsync(PatientDataKind.Record, nhs);
        try
        {
            await using var bump = clinicalRecords!.CreateCommand("UPDATE patient_records SET record_version = record_version + 1, updated_at = now() WHERE nhs_number = $1");

            // Typed as the column (character(10)): a text parameter compares as text, cannot use
            // the primary key, and scans the table (it did: cold reads fell 264 -> 15/s from 10,000
            // to 900,000 patients while the platform's own queries stayed flat).
            bump.Parameters.Add(new NpgsqlParameter { Value = nhs, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Char });
            write.EnsureCovered();
            if (await bump.ExecuteNonQueryAsync() != 1)
            {
                throw new InvalidOperationException("a cold-scenario patient has no clinical record");
            }
        }
        finally
        {
            await write.CompleteAsync();
        }

        await redis!.GetDatabase().KeyDeleteAsync($"lcr:clinical:{{{pseudonyms!.Pseudonym(nhs)}}}:summary");
    }

    // Contributions go to patients of other practices, so the read scenarios' records do not grow.
    var feedPatients = SyntheticCohort.Patients
        .Select((p, i) => (p, i))
        .Where(x => x.p.PracticeOds != "B86001" && SyntheticOrganisations.Scenario.IsOrdinary(x.i))
        .Select(x => x.p.NhsNumber)
        .ToArray();
    var batch = options.Int("batch", 10);
    var runId = Guid.NewGuid().ToString("N")[..8];
    Metadata? feedHeaders = null;
    if (platformScenarios.Contains("upsert"))
    {
        var secret = (await File.ReadAllTextAsync(options.Str("client-secret-file", ".data/secrets/dev-client-secret"))).Trim();
        var system = await SetUpAsync(() => identity.IssueSystemTokenAsync(new IssueSystemTokenRequest
        {
            ClientId = options.Str("feed", "b86001-gp-feed"), ClientSecret = secret, Scopes = { "record.contribute" },
        }, deadline: DateTime.UtcNow + deadline).ResponseAsync);
        feedHeaders = BearerToken.Metadata(system.SystemToken);
    }

    var upsert = new Method<UpsertEntriesRequest, UpsertEntriesResponse>(MethodType.Unary, ClinicalRecordService.Descriptor.FullName, "UpsertEntries",
        Marshallers.Create(m => m.ToByteArray(), UpsertEntriesRequest.Parser.ParseFrom), Marshallers.Create(m => m.ToByteArray(), UpsertEntriesResponse.Parser.ParseFrom));

    UpsertEntriesRequest Batch(long n)
    {
        var nhs = feedPatients[n % feedPatients.Length];
        var request = new UpsertEntriesRequest { SourceSystem = "SystmOne" };
        for (var k = 0; k < batch; k++)
        {
            request.Entries.Add(new EntryContribution
            {
                Entry = new Entry
                {
                    NhsNumber = nhs,
                    Category = RecordCategory.TestResults,
                    Code = new CodedConcept { System = "http://snomed.info/sct", Code = "1107481000000106", Display = "Haemoglobin A1c level - IFCC standardised" },
                    Provenance = new Provenance { SourceEntryId = $"loadgen-{runId}-{n}-{k}" },
                    TestResult = new TestResult
                    {
                        Quantity = new Quantity { Value = 40 + (n % 20), Unit = "mmol/mol" },
                        ReferenceRange = new ReferenceRange { Text = "20-41 mmol/mol" },
                        AbnormalFlag = AbnormalFlag.Normal,
                        EffectiveTime = Timestamp.FromDateTime(DateTime.UtcNow.AddHours(-1)),
                        Status = ResultStatus.Final,
                    },
                },
            });
        }

        return request;
    }

    // JSON over HTTP/1.1 (no multiplexing: one connection per concurrent caller, as a pool of HTTP/1.1 clients has).
    using var json = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = settings.Callers, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
    {
        BaseAddress = gatewayHttp, DefaultRequestVersion = System.Net.HttpVersion.Version11, Timeout = deadline,
    };

    async Task ReadJson(string nhs)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/patients/{nhs}/record");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearerTokens[nhs]);
        using var response = await json.SendAsync(request, HttpCompletionOption.ResponseContentRead);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"HTTP {(int)response.StatusCode}", null, response.StatusCode);
        }
    }

    Task List(CallInvoker inv, string nhs) => inv.AsyncUnaryCall(list, null, new CallOptions(tokens[nhs], DateTime.UtcNow + deadline),
        new ListRecordEntriesRequest { NhsNumber = nhs, Category = RecordCategory.Medications, PageSize = 20 }).ResponseAsync;

    // The first seconds after a fresh start (issue 22), before anything below warms the platform
    // (only the set-up above has run: sign-in, one token per patient, one probe read).
    if (platformScenarios.Contains("startup"))
    {
        var startupRate = options.Int("startup-rate", 40);
        Console.Error.WriteLine($"loadgen: startup, open loop at {startupRate}/s on the freshly started platform ...");
        var (startup, windows) = await StartupScenario.RunAsync(generator.Channels(gateway).Select(c => c.CreateCallInvoker()).ToArray(),
            startupRate, TimeSpan.FromSeconds(options.Int("startup-seconds", 60)), TimeSpan.FromSeconds(10), (inv, n) => Read(inv, warmPatients[n % warmPatients.Length]), new ProcessCpu(pids));
        Console.Error.WriteLine($"loadgen:   p50 {startup.P50Ms:F2} ms, p99 {startup.P99Ms:F2} ms, errors {startup.Errors} {string.Join(", ", startup.ErrorsByStatus.Select(kv => kv.Key + " " + kv.Value))}");
        results.Add(startup);
        startupWindows = windows;
    }

    // A freshly started platform runs unoptimised (tier-0) code for tens of seconds under this
    // load (every process JIT-compiles while the two cores are busy serving): whichever scenario
    // came first measured that warm-up (it ran 2-3x slower than the same scenario later in the
    // run). So every read path is exercised, unmeasured, before the first scenario.
    if (platformWarmUp > TimeSpan.Zero)
    {
        Console.Error.WriteLine($"loadgen: platform warm-up, {platformWarmUp.TotalSeconds:F0} s of mixed reads, token issues and lists (not measured) ...");
        using var warming = new Generator(settings with { WarmUp = TimeSpan.Zero, Measure = platformWarmUp }, new ProcessCpu(pids));
        var w = await warming.RunAsync("platform-warmup", "unmeasured", gateway, (inv, n) => (n % 4) switch
        {
            0 => Read(inv, warmPatients[n / 4 % warmPatients.Length]),
            1 => Read(inv, patients[n / 4 % patients.Length]),
            2 => List(inv, patients[n / 4 % patients.Length]),
            _ => inv.AsyncUnaryCall(issue, null, new CallOptions(sessionHeaders, DateTime.UtcNow + deadline),
                new IssueAccessTokenRequest { NhsNumber = patients[n / 4 % patients.Length], Purpose = PurposeOfUse.DirectCare }).ResponseAsync,
        });
        Console.Error.WriteLine($"loadgen:   warm-up ran {w.RequestsPerSecond:F0} calls/s, errors {w.Errors}");
    }

    ScenarioResult? warm = null, cold = null;
    foreach (var s in platformScenarios)
    {
        switch (s)
        {
            case "token":
                await Run("token", "IssueAccessToken through the gateway (direct care, rotating over the practice's patients; audited)", gateway,
                    (inv, n) => inv.AsyncUnaryCall(issue, null, new CallOptions(sessionHeaders, DateTime.UtcNow + deadline),
                        new IssueAccessTokenRequest { NhsNumber = patients[n % patients.Length], Purpose = PurposeOfUse.DirectCare }).ResponseAsync);
                break;
            case "warm":
                warm = await Run("warm", $"GetPatientRecord, warm cache ({warmPatients.Length} patients repeatedly)", gateway,
                    (inv, n) => Read(inv, warmPatients[n % warmPatients.Length]));
                break;
            case "warm-json":
                await Run("warm-json", $"GetPatientRecord as JSON over HTTP/1.1 (GET /v1/patients/{{nhs}}/record, gRPC JSON transcoding; {settings.Callers} connections), warm cache ({warmPatients.Length} patients repeatedly)", gatewayHttp,
                    (_, n) => ReadJson(warmPatients[n % warmPatients.Length]));
                break;
            case "warm-half" when warm is not null:
                await Run("warm-half", "GetPatientRecord, warm cache, paced at half the warm rate (latency from scheduled start)", gateway,
                    (inv, n) => Read(inv, warmPatients[n % warmPatients.Length]), pacedRate: Math.Max(1, warm.RequestsPerSecond / 2));
                break;
            case "cold":
                cold = await Run("cold", $"GetPatientRecord, cold summary cache ({patients.Length} patients in rotation; before each read, untimed, the record version moves on, announced in the patient version record as a contribution would, and the Redis summary is deleted, so no tier holds it)", gateway,
                    (inv, n) => Read(inv, patients[n % patients.Length]), Evict);
                break;
            case "cold-half" when cold is not null:
                await Run("cold-half", "GetPatientRecord, cold summary cache, paced at half the cold rate", gateway,
                    (inv, n) => Read(inv, patients[n % patients.Length]), Evict, Math.Max(1, cold.RequestsPerSecond / 2));
                break;
            case "list":
                await Run("list", $"ListRecordEntries, medications, first page of 20 ({patients.Length} patients in rotation)", gateway,
                    (inv, n) => List(inv, patients[n % patients.Length]));
                break;
            case "upsert":
                await Run("upsert", $"UpsertEntries through the gateway as the feed client, {batch} new test results per batch ({feedPatients.Length} patients of other practices in rotation; committed, summary cache invalidated)", gateway,
                    (inv, n) => inv.AsyncUnaryCall(upsert, null, new CallOptions(feedHeaders, DateTime.UtcNow + deadline), Batch(n)).ResponseAsync);
                break;
            case "fhir-everything":
                var fhir = new FhirScenario(gatewayHttp, settings.Callers, deadline);
                if (await fhir.PrepareAsync(warmPatients, bearerTokens) is { } skipped)
                {
                    Console.Error.WriteLine($"loadgen: skipping fhir-everything: {skipped}");
                    break;
                }

                await Run("fhir-everything", $"FHIR GET Patient/{{id}}/$everything over HTTP/1.1 JSON (the GetPatientRecord read path), warm cache ({warmPatients.Length} patients repeatedly)", gateway,
                    (_, n) => fhir.EverythingAsync(warmPatients[n % warmPatients.Length]));
                break;
            case "audit":
                // Not a platform scenario: measured below, straight to the audit service.
                break;
            case "startup":
                // Measured above, before the platform warm-up.
                break;
            default:
                Console.Error.WriteLine($"loadgen: skipping scenario '{s}' (unknown, or needs the one before it)");
                break;
        }
    }

    redis?.Dispose();
    if (clinicalRecords is not null)
    {
        await clinicalRecords.DisposeAsync();
    }
}

// Audit appends: RecordEvents straight to the audit service (as the gateway calls it on every
// read: one view event per call, committed before the reply), signed with the gateway's internal credential.
if (wanted.Contains("audit"))
{
    var auditAddress = new Uri(options.Str("audit", "http://127.0.0.1:7105"));
    var key = Convert.FromBase64String((await File.ReadAllTextAsync(options.Str("internal-key-file", ".data/secrets/internal-signing-key"))).Trim());
    var credentials = new InternalCredentials(key, "gateway", ["gateway"]);
    var gatewayActor = new Actor { Kind = ActorKind.Platform, Id = "gateway", Organisation = new OrganisationReference { OdsCode = "LCR" } };
    var viewer = new Actor
    {
        Kind = ActorKind.Professional, Id = "loadgen-viewer", DisplayName = "Load generator", RoleCode = "R8000",
        Organisation = new OrganisationReference { OdsCode = "B86001" },
    };
    var record = new Method<RecordEventsRequest, RecordEventsResponse>(MethodType.Unary, AuditService.Descriptor.FullName, "RecordEvents",
        Marshallers.Create(m => m.ToByteArray(), RecordEventsRequest.Parser.ParseFrom), Marshallers.Create(m => m.ToByteArray(), RecordEventsResponse.Parser.ParseFrom));
    await Run("audit", "RecordEvents straight to the audit service, one view event per call (committed: group commit, fsync on)", auditAddress,
        (inv, n) => inv.AsyncUnaryCall(record, null, new CallOptions(credentials.For(gatewayActor), DateTime.UtcNow + deadline), new RecordEventsRequest
        {
            Events =
            {
                new AuditEvent
                {
                    EventId = Guid.CreateVersion7().ToString(),
                    OccurrenceTime = Timestamp.FromDateTime(DateTime.UtcNow),
                    Action = AuditAction.ViewSummary,
                    Outcome = AuditOutcome.Permitted,
                    Actor = viewer,
                    CallingSystem = gatewayActor,
                    NhsNumber = patients[n % patients.Length],
                    PurposeOfUse = PurposeOfUse.DirectCare,
                    CareRelationshipId = "loadgen",
                    AccessTokenId = "loadgen-" + n.ToString(CultureInfo.InvariantCulture),
                    ReturnedCategories = { RecordCategory.Problems, RecordCategory.Medications },
                },
            },
        }).ResponseAsync);
}

if (floorResult is not null)
{
    foreach (var r in results)
    {
        r.RatioToFloor = floorResult.RequestsPerSecond > 0 ? Math.Round(r.RequestsPerSecond / floorResult.RequestsPerSecond, 4) : null;
    }
}

var machine = new
{
    cpu = CpuModel(),
    logicalCores = Environment.ProcessorCount,
    os = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
    runtime = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
    memoryGiB = Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024), 1),
};
var report = new
{
    generatedAt = DateTimeOffset.UtcNow,
    machine,
    settings = new { settings.Connections, settings.Callers, platformWarmUpSeconds = platformWarmUp.TotalSeconds, warmUpSeconds = settings.WarmUp.TotalSeconds, measuredSeconds = settings.Measure.TotalSeconds, settings.MaxRequests, gateway = gateway.ToString() },
    scenarios = results,
    startupWindows,
};
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outFile))!);
await File.WriteAllTextAsync(outFile, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));

var md = new StringBuilder();
md.AppendLine(CultureInfo.InvariantCulture, $"Machine: {machine.cpu}, {machine.logicalCores} logical cores, {machine.memoryGiB} GiB; {machine.os}; {machine.runtime}");
md.AppendLine(CultureInfo.InvariantCulture, $"Settings: {settings.Connections} HTTP/2 connections, {settings.Callers} concurrent callers, {settings.WarmUp.TotalSeconds} s warm-up + {settings.Measure.TotalSeconds} s measured per scenario, after {platformWarmUp.TotalSeconds} s of unmeasured platform warm-up");
md.AppendLine();
md.AppendLine("| scenario | paced at /s | requests/s | × floor | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | ok | errors |");
md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
foreach (var r in results)
{
    var errs = r.Errors == 0 ? "0" : $"{r.Errors} ({string.Join(", ", r.ErrorsByStatus.Select(kv => $"{kv.Key} {kv.Value}"))})";
    md.AppendLine(CultureInfo.InvariantCulture,
        $"| {r.Name} | {(r.PacedRate is { } p ? p.ToString("F0", CultureInfo.InvariantCulture) : "—")} | {r.RequestsPerSecond:F0} | {(r.RatioToFloor is { } x ? x.ToString("F3", CultureInfo.InvariantCulture) : "—")} | {r.P50Ms:F2} | {r.P90Ms:F2} | {r.P99Ms:F2} | {r.P999Ms:F2} | {r.MaxMs:F2} | {r.Requests} | {errs} |");
}

if (startupWindows is not null)
{
    md.AppendLine();
    md.AppendLine("Startup (the platform freshly started, once every process reports readiness (after its own start-up warm-up) and before the benchmark's unmeasured warm-up), by 10 s window of scheduled start:");
    md.AppendLine();
    md.Append(StartupScenario.Markdown(startupWindows));
}

// CPU per request: what each process spent per completed call over the measured window, and the
// same as a multiple of the floor's (client and server in one process), the comparable figure.
var processes = results.SelectMany(r => r.CpuMsPerRequest.Keys).Distinct().OrderBy(k => k == "total" ? 2 : k == "loadgen" ? 1 : 0).ThenBy(k => k).ToList();
if (processes.Count > 0)
{
    var floorCpu = floorResult?.CpuMsPerRequest.GetValueOrDefault("loadgen");
    md.AppendLine();
    md.AppendLine(CultureInfo.InvariantCulture, $"CPU ms per request, by process ({(floorCpu is > 0 ? $"floor: {floorCpu:F3} ms per echo, client and server" : "no floor")}):");
    md.AppendLine();
    md.AppendLine("| scenario | load avg | " + string.Join(" | ", processes) + " | total × floor CPU |");
    md.AppendLine("|---|---:|" + string.Concat(Enumerable.Repeat("---:|", processes.Count)) + "---:|");
    foreach (var r in results)
    {
        var cells = processes.Select(k => r.CpuMsPerRequest.TryGetValue(k, out var v) ? v.ToString("F3", CultureInfo.InvariantCulture) : "—");
        var times = floorCpu is > 0 && r.CpuMsPerRequest.TryGetValue("total", out var t) ? (t / floorCpu.Value).ToString("F1", CultureInfo.InvariantCulture) : "—";
        md.AppendLine(CultureInfo.InvariantCulture, $"| {r.Name} | {r.LoadAverage:F1} | {string.Join(" | ", cells)} | {times} |");
    }
}

Console.WriteLine(md.ToString());
Console.Error.WriteLine($"loadgen: results written to {outFile}");
return results.Any(r => r.Requests == 0) ? 1 : 0;

async Task<ScenarioResult> Run(string name, string description, Uri address, Func<CallInvoker, long, Task> call,
    Func<long, Task>? prepare = null, double? pacedRate = null)
{
    Console.Error.WriteLine($"loadgen: {name}{(pacedRate is { } p ? $" paced at {p:F0}/s" : "")} ...");
    var r = await generator.RunAsync(name, description, address, call, prepare, pacedRate);
    Console.Error.WriteLine($"loadgen:   {r.RequestsPerSecond:F0}/s, p50 {r.P50Ms:F2} ms, p99 {r.P99Ms:F2} ms, errors {r.Errors} {string.Join(", ", r.ErrorsByStatus.Select(kv => kv.Key + " " + kv.Value))}");
    results.Add(r);
    return r;
}

static async Task<T> SetUpAsync<T>(Func<Task<T>> call)
{
    for (var attempt = 1; ; attempt++)
    {
        try
        {
            return await call();
        }
        catch (RpcException e) when (attempt < 12 && e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
        {
            Console.Error.WriteLine($"loadgen: set-up call failed ({e.StatusCode}), retrying while the platform warms up");
            await Task.Delay(TimeSpan.FromSeconds(5));
        }
    }
}

static string CpuModel()
{
    try
    {
        var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
        return line?.Split(':', 2)[1].Trim() ?? "unknown";
    }
    catch (IOException)
    {
        return "unknown";
    }
}

/// <summary>--name value pairs.</summary>
internal sealed class Options(Dictionary<string, string> values)
{
    public static Options Parse(string[] args)
    {
        var d = new Dictionary<string, string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"expected --name value, got '{args[i]}'");
            }

            d[args[i][2..]] = args[++i];
        }

        return new Options(d);
    }

    public string Str(string name, string fallback) => values.GetValueOrDefault(name) ?? fallback;

    public int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public long Long(string name, long fallback) => values.TryGetValue(name, out var v) ? long.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
