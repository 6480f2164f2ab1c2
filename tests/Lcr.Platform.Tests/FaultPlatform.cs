using Grpc.Core;
using Grpc.Net.Client;
using Lcr.Audit.V1;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Identity.V1;
using Lcr.Security;
using Lcr.ServiceDefaults.DevData;
using Npgsql;
using StackExchange.Redis;

namespace Lcr.Platform.Tests;

/// <summary>
/// One platform of real processes on its own PostgreSQL cluster and redis-server (so a test may
/// kill them), shared by the fault tests of one class. Every test begins by bringing back
/// whatever an earlier test left down, issues its own access tokens (so its audit events can be
/// told apart), and ends with the audit invariant.
/// </summary>
public sealed class FaultPlatform : IAsyncLifetime
{
    /// <summary>The fault runs measure faults, not the per-caller limiter (one GP drives the load).</summary>
    private static readonly Dictionary<string, string> Environment = new()
    {
        ["Gateway__RateLimit__PermitsPerSecond"] = "100000",
        ["Gateway__RateLimit__Burst"] = "100000",
        // A loaded test machine may exceed production's 250 ms version probe; a timed-out probe
        // reuses nothing by design, which would hide the read cache the consent-down run relies on.
        ["Lcr__PatientVersions__ProbeTimeout"] = "00:00:03",
    };

    /// <summary>Patients registered at B86001 (so gp.b86001 has a care relationship), not the scenario patients, not restricted.</summary>
    public static readonly string[] Patients = SyntheticCohort.Patients
        .Select((p, i) => (p, i))
        .Where(x => x.p.PracticeOds == "B86001" && SyntheticOrganisations.Scenario.IsOrdinary(x.i) && !x.p.Restricted)
        .Select(x => x.p.NhsNumber)
        .Take(6)
        .ToArray();

    /// <summary>An ordinary B86001 patient the read load never reads (no decision of theirs is held by the gateway).</summary>
    public static readonly string UnreadPatient = SyntheticCohort.Patients
        .Select((p, i) => (p, i))
        .Where(x => x.p.PracticeOds == "B86001" && SyntheticOrganisations.Scenario.IsOrdinary(x.i) && !x.p.Restricted)
        .Select(x => x.p.NhsNumber)
        .Skip(6)
        .First();

    /// <summary>Patients of other practices: the contributions go there, so the read records do not grow.</summary>
    public static readonly string[] FeedPatients = SyntheticCohort.Patients
        .Select((p, i) => (p, i))
        .Where(x => x.p.PracticeOds != "B86001" && SyntheticOrganisations.Scenario.IsOrdinary(x.i))
        .Select(x => x.p.NhsNumber)
        .Take(6)
        .ToArray();

    public RealPlatform Platform { get; private set; } = null!;

    public PlatformClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Platform = await RealPlatform.StartAsync(new RealPlatformOptions { PrivateInfrastructure = true, ExtraEnvironment = Environment });
        Client = new PlatformClient(Platform.GatewayAddress);
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Platform.DisposeAsync();
    }

    /// <summary>Whatever an earlier test stopped, started again; then a read succeeds.</summary>
    public async Task EnsureEverythingRunsAsync()
    {
        await Platform.StartPostgresIfStoppedAsync();
        await Platform.StartRedisIfStoppedAsync();
        foreach (var s in Enum.GetValues<PlatformService>().Where(s => !Platform.IsRunning(s)))
        {
            await Platform.RestartAsync(s);
        }
    }

    /// <summary>Fresh direct-care access tokens of gp.b86001, one per read patient.</summary>
    public async Task<ReadTargets> TokensAsync()
    {
        var session = await Client.SignInAsync("gp.b86001", Platform.SeedPassword);
        var targets = new List<(string Nhs, Metadata Token, string TokenId)>();
        foreach (var nhs in Patients)
        {
            var issued = await PlatformClient.WarmAsync(() => Client.Identity.IssueAccessTokenAsync(
                new IssueAccessTokenRequest { NhsNumber = nhs, Purpose = PurposeOfUse.DirectCare },
                BearerToken.Metadata(session), DateTime.UtcNow + PlatformClient.Deadline).ResponseAsync);
            targets.Add((nhs, BearerToken.Metadata(issued.AccessToken), issued.TokenId));
        }

        return new ReadTargets(targets);
    }

    /// <summary>Steady reads of the targets' records (GetPatientRecord through the gateway), round robin.</summary>
    public Load Reads(ReadTargets targets, int workers = 3) => new(workers, async n =>
    {
        var (nhs, token, _) = targets.All[(int)(n % targets.All.Count)];
        var record = await Client.ReadAsync(nhs, token, TimeSpan.FromSeconds(5));
        Assert.Equal(nhs, record.Patient.NhsNumber);
        return record.AuditEventId;
    });

    /// <summary>A system token of a seeded client with the given scopes.</summary>
    public async Task<Metadata> SystemAsync(string clientId, params string[] scopes) =>
        BearerToken.Metadata((await PlatformClient.WarmAsync(() => Client.Identity.IssueSystemTokenAsync(new IssueSystemTokenRequest
        {
            ClientId = clientId, ClientSecret = Platform.SeedClientSecret, Scopes = { scopes },
        }, deadline: DateTime.UtcNow + PlatformClient.Deadline).ResponseAsync)).SystemToken);

    /// <summary>A connection to a service's database that never comes from a pool (pools hold dead connections after a restart).</summary>
    public NpgsqlConnection Database(PlatformService service) =>
        new(new NpgsqlConnectionStringBuilder(Platform.DatabaseOf(service)) { Pooling = false, Timeout = 15 }.ConnectionString);

    /// <summary>How many keys the platform's Redis holds that match <paramref name="pattern"/>; 0 when Redis is down.</summary>
    public async Task<int> RedisKeysAsync(string pattern)
    {
        try
        {
            await using var redis = await ConnectionMultiplexer.ConnectAsync(Platform.RedisConfiguration);
            var server = redis.GetServers().Single();
            var n = 0;
            await foreach (var _ in server.KeysAsync(pattern: pattern))
            {
                n++;
            }

            return n;
        }
        catch (RedisConnectionException)
        {
            return 0;
        }
    }

    /// <summary>
    /// The invariant checked after every fault run:
    /// <list type="bullet">
    /// <item>every read that answered OK carried the id of a committed, permitted view event (no
    /// data without an audit record) and no two reads share one;</item>
    /// <item>the committed view events made with the run's tokens number at least the OK reads and
    /// at most the reads attempted: an event may be committed for a read whose reply was then lost
    /// to the fault (the audit record errs on the side of the patient), never the other way;</item>
    /// <item>every audit chain verifies (VerifyChain through the gateway, as the platform team's tool does).</item>
    /// </list>
    /// Returns the number of committed view events.
    /// </summary>
    public async Task<long> AssertAuditInvariantAsync(ReadTargets targets, IReadOnlyList<CallOutcome> outcomes)
    {
        var ok = outcomes.Where(o => o.Status == StatusCode.OK).ToList();
        Assert.All(ok, o => Assert.False(string.IsNullOrEmpty(o.AuditEventId)));
        Assert.Equal(ok.Count, ok.Select(o => o.AuditEventId).Distinct().Count());

        await using var audit = Database(PlatformService.Audit);
        await audit.OpenAsync();
        var committed = new HashSet<Guid>();
        await using (var cmd = new NpgsqlCommand(
            "select event_id from audit_events where access_token_id = any(@t) and action = @a and outcome = @o", audit))
        {
            cmd.Parameters.AddWithValue("t", targets.All.Select(t => t.TokenId).ToArray());
            cmd.Parameters.AddWithValue("a", (int)AuditAction.ViewSummary);
            cmd.Parameters.AddWithValue("o", (int)AuditOutcome.Permitted);
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                committed.Add(reader.GetGuid(0));
            }
        }

        var missing = ok.Where(o => !committed.Contains(Guid.Parse(o.AuditEventId!))).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {ok.Count} successful reads have no committed audit event");
        Assert.InRange(committed.Count, ok.Count, outcomes.Count);

        var admin = await SystemAsync("platform-admin", "audit.read");
        var verified = await PlatformClient.WarmAsync(() => new AuditService.AuditServiceClient(Client.Channel)
            .VerifyChainAsync(new VerifyChainRequest(), admin, DateTime.UtcNow.AddSeconds(60)).ResponseAsync);
        Assert.True(verified.Intact, $"audit chain broken at partition {verified.FirstBreak?.ChainPartition} sequence {verified.FirstBreak?.ChainSequence}");
        Assert.True(verified.EventsVerified >= committed.Count);
        return committed.Count;
    }

    /// <summary>
    /// The calls of <paramref name="load"/> that started at or after <paramref name="since"/> (the
    /// platform first steady: a freshly started process's first calls pay JIT and connection
    /// set-up) ended only with these statuses, and at least one OK. The message places every
    /// other outcome on the run's timeline.
    /// </summary>
    public static void AssertOnly(Load load, DateTime since, params StatusCode[] allowed)
    {
        var judged = load.Outcomes.Where(o => o.Start >= since).ToList();
        var others = judged.Where(o => !allowed.Contains(o.Status)).Select(load.Describe).ToList();
        Assert.True(others.Count == 0, $"{others.Count} unexpected outcomes of {judged.Count}: {string.Join("; ", others.Take(10))}");
        Assert.Contains(judged, o => o.Status == StatusCode.OK);
    }

    /// <summary>A batch of new test results contributed by the B86001 GP feed through the gateway.</summary>
    public static UpsertEntriesRequest Batch(string run, long n, int size)
    {
        var request = new UpsertEntriesRequest { SourceSystem = "SystmOne" };
        for (var k = 0; k < size; k++)
        {
            request.Entries.Add(new EntryContribution
            {
                Entry = new Entry
                {
                    NhsNumber = FeedPatients[n % FeedPatients.Length],
                    Category = RecordCategory.TestResults,
                    Code = new CodedConcept { System = "http://snomed.info/sct", Code = "1107481000000106", Display = "Haemoglobin A1c level - IFCC standardised" },
                    Provenance = new Provenance { SourceEntryId = $"{run}-{n}-{k}" },
                    TestResult = new TestResult
                    {
                        Quantity = new Quantity { Value = 40 + (n % 20), Unit = "mmol/mol" },
                        AbnormalFlag = AbnormalFlag.Normal,
                        EffectiveTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow.AddHours(-1)),
                        Status = ResultStatus.Final,
                    },
                },
            });
        }

        return request;
    }
}

/// <summary>The access tokens of one run: patient, bearer metadata, token id (what its audit events carry).</summary>
public sealed record ReadTargets(IReadOnlyList<(string Nhs, Metadata Token, string TokenId)> All);
