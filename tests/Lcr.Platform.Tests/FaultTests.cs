using System.Diagnostics;
using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Clinical.V1;
using Lcr.Security;
using Npgsql;
using Xunit.Abstractions;

namespace Lcr.Platform.Tests;

/// <summary>
/// Issue 10's fault runs: the six services as real processes on their own PostgreSQL and Redis,
/// under steady load from several callers, with a dependency killed by pid, stopped or restarted
/// underneath. Each run is judged on what every call got (only the documented statuses, never
/// INTERNAL, never data without an audit record), on recovery without anybody restarting the
/// survivors, and on the audit invariant (<see cref="FaultPlatform.AssertAuditInvariantAsync"/>).
/// docs/reliability.md quotes what the runs showed.
/// </summary>
public sealed class FaultTests(FaultPlatform f, ITestOutputHelper output) : IClassFixture<FaultPlatform>, IAsyncLifetime
{
    /// <summary>How long after Redis dies callers may still see a failure: the calls waiting on it when it died (Redis timeouts are 1 s).</summary>
    public static readonly TimeSpan RedisFailoverWindow = TimeSpan.FromSeconds(3);

    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(90);

    public Task InitializeAsync() => f.EnsureEverythingRunsAsync();

    public Task DisposeAsync()
    {
        SmokeTests.AssertNoPatientDataIn(f.Platform);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Redis_killed_under_load_reads_keep_succeeding_from_PostgreSQL_and_the_cache_is_used_again_once_it_is_back()
    {
        var targets = await f.TokensAsync();
        await using var load = f.Reads(targets);
        var steady = await load.RecoveredAsync(30, Recovery);
        Assert.True(await f.RedisKeysAsync("lcr:clinical:*:summary") > 0, "warm reads fill the summary cache");

        await f.Platform.KillRedisAsync();
        var killed = load.Mark("Redis killed");
        await load.CallsEndingAsync(StatusCode.OK, 100, Recovery);
        await f.Platform.StartRedisAsync();
        load.Mark("Redis started");
        Assert.Equal(0, await f.RedisKeysAsync("*")); // an empty Redis came back

        // The services keep the summaries and consent snapshots they serve in memory under their
        // version, so steady reads of unchanged records need no Redis at all. A contribution makes
        // a new record version: the next read of that record goes through Redis. The clients
        // reconnect on their own schedule (backoff), and a summary built before the clinical
        // service's connection is back is kept in memory only, so contribute again until a read
        // writes one to the restarted Redis.
        var feed = await f.SystemAsync("b86001-gp-feed", "record.contribute");
        var clinical = new ClinicalRecordService.ClinicalRecordServiceClient(f.Client.Channel);
        var until = Stopwatch.StartNew();
        var contributions = 0;
        while (await f.RedisKeysAsync("lcr:clinical:*:summary") == 0)
        {
            Assert.True(until.Elapsed < Recovery, $"the services never used Redis again after it came back ({contributions} contributions)");
            var contribution = FaultPlatform.Batch("redis-back-" + Guid.NewGuid().ToString("N")[..8], 0, 1);
            contribution.Entries[0].Entry.NhsNumber = targets.All[contributions % targets.All.Count].Nhs;
            await PlatformClient.WarmAsync(() => clinical.UpsertEntriesAsync(contribution, feed, DateTime.UtcNow + PlatformClient.Deadline).ResponseAsync);
            contributions++;
            for (var poll = 0; poll < 10 && await f.RedisKeysAsync("lcr:clinical:*:summary") == 0; poll++)
            {
                await Task.Delay(200);
            }
        }

        load.Mark($"a summary in Redis again after {contributions} contribution(s)");
        await load.MoreCallsAsync(20);
        var outcomes = await load.StopAsync();
        output.WriteLine(load.Summary());
        FaultPlatform.AssertOnly(load, steady, StatusCode.OK, StatusCode.Unavailable);
        var late = outcomes.Where(o => o.Status != StatusCode.OK && o.Start > killed + RedisFailoverWindow).ToList();
        Assert.True(late.Count == 0, $"{late.Count} reads failed later than {RedisFailoverWindow} after Redis died");
        await Invariant(targets, outcomes);
    }

    [Fact]
    public async Task Audit_service_killed_under_load_every_read_fails_closed_with_UNAVAILABLE_and_reads_resume_when_it_is_back()
    {
        var targets = await f.TokensAsync();
        await using var load = f.Reads(targets);
        var steady = await load.RecoveredAsync(30, Recovery);

        await f.Platform.KillAsync(PlatformService.Audit);
        var down = load.Mark("audit killed");
        await load.CallsEndingAsync(StatusCode.Unavailable, 30, Recovery);
        var restarting = load.Mark("audit restarting");
        await f.Platform.RestartAsync(PlatformService.Audit);
        await load.RecoveredAsync(30, Recovery);

        var outcomes = await load.StopAsync();
        output.WriteLine(load.Summary());
        FaultPlatform.AssertOnly(load, steady, StatusCode.OK, StatusCode.Unavailable);
        var whileDown = outcomes.Where(o => o.Start >= down && o.End <= restarting).ToList();
        Assert.True(whileDown.Count >= 30);
        Assert.All(whileDown, o => Assert.Equal(StatusCode.Unavailable, o.Status)); // no data without a committed audit event
        await Invariant(targets, outcomes);
    }

    [Fact]
    public async Task Audit_database_stopped_under_load_every_read_fails_closed_with_UNAVAILABLE_and_reads_resume_when_it_is_back()
    {
        var targets = await f.TokensAsync();
        await using var load = f.Reads(targets);
        var steady = await load.RecoveredAsync(30, Recovery);

        await f.Platform.StopAuditPostgresAsync();
        var down = load.Mark("audit database stopped");
        await load.CallsEndingAsync(StatusCode.Unavailable, 30, Recovery);
        var back = load.Mark("audit database starting");
        await f.Platform.StartAuditPostgresAsync();
        await load.RecoveredAsync(30, Recovery);

        var outcomes = await load.StopAsync();
        output.WriteLine(load.Summary());
        FaultPlatform.AssertOnly(load, steady, StatusCode.OK, StatusCode.Unavailable);
        Assert.True(f.Platform.IsRunning(PlatformService.Audit), "the audit service rode out its database going away");
        var whileDown = outcomes.Where(o => o.Start >= down && o.End <= back).ToList();
        Assert.True(whileDown.Count >= 30);
        Assert.All(whileDown, o => Assert.Equal(StatusCode.Unavailable, o.Status));
        await Invariant(targets, outcomes);
    }

    /// <summary>
    /// Issue 22: the gateway keeps consent decisions under the patient's version record, so with
    /// consent down the reads whose decision it holds go on (exactly: no consent change can be made
    /// while consent is down, and every change moves the record before its writer's reply), a read
    /// whose decision it does not hold fails closed, and after consent's restart a change applies
    /// to the very next read.
    /// </summary>
    [Fact]
    public async Task Consent_service_down_held_decisions_stay_exact_others_fail_closed_and_a_change_after_its_restart_applies_at_once()
    {
        var targets = await f.TokensAsync();
        var session = await f.Client.SignInAsync("gp.b86001", f.Platform.SeedPassword);
        var unread = FaultPlatform.UnreadPatient;
        var unreadToken = BearerToken.Metadata((await PlatformClient.WarmAsync(() => f.Client.Identity.IssueAccessTokenAsync(
            new Lcr.Identity.V1.IssueAccessTokenRequest { NhsNumber = unread, Purpose = Lcr.Common.V1.PurposeOfUse.DirectCare },
            BearerToken.Metadata(session), DateTime.UtcNow + PlatformClient.Deadline).ResponseAsync)).AccessToken);
        await using var load = f.Reads(targets);
        var steady = await load.RecoveredAsync(30, Recovery);

        await f.Platform.KillAsync(PlatformService.Consent);
        var down = load.Mark("consent killed");
        await load.MoreCallsAsync(30);
        var refused = await Assert.ThrowsAsync<RpcException>(() => f.Client.ReadAsync(unread, unreadToken, TimeSpan.FromSeconds(10)));
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode); // no decision held, none made: no data
        var restarting = load.Mark("consent restarting");
        await f.Platform.RestartAsync(PlatformService.Consent);
        await load.RecoveredAsync(30, Recovery);

        // The restarted consent service's first change applies to the very next read (read with a
        // token of its own: the audit invariant below counts the load's tokens' events).
        var nhs = targets.All[0].Nhs;
        var token = BearerToken.Metadata((await PlatformClient.WarmAsync(() => f.Client.Identity.IssueAccessTokenAsync(
            new Lcr.Identity.V1.IssueAccessTokenRequest { NhsNumber = nhs, Purpose = Lcr.Common.V1.PurposeOfUse.DirectCare },
            BearerToken.Metadata(session), DateTime.UtcNow + PlatformClient.Deadline).ResponseAsync)).AccessToken);
        var igSession = await f.Client.SignInAsync("ig.b86001", f.Platform.SeedPassword);
        var ig = BearerToken.Metadata((await f.Client.Identity.IssueAccessTokenAsync(new Lcr.Identity.V1.IssueAccessTokenRequest
        {
            NhsNumber = nhs, Purpose = Lcr.Common.V1.PurposeOfUse.InformationGovernance,
        }, BearerToken.Metadata(igSession))).AccessToken);
        var consent = new Lcr.Consent.V1.ConsentService.ConsentServiceClient(f.Client.Channel);
        var withheld = await PlatformClient.WarmAsync(() => consent.AddRestrictionAsync(new Lcr.Consent.V1.AddRestrictionRequest
        {
            NhsNumber = nhs,
            RequestId = Guid.NewGuid().ToString(),
            Restriction = new Lcr.Consent.V1.Restriction
            {
                WithheldCategory = Lcr.Common.V1.RecordCategory.Medications, Reason = "Patient asked", Channel = Lcr.Consent.V1.ConsentChannel.Letter,
            },
        }, ig).ResponseAsync);
        Assert.DoesNotContain(Lcr.Common.V1.RecordCategory.Medications, (await f.Client.ReadAsync(nhs, token)).ReturnedCategories);
        await consent.RemoveRestrictionAsync(new Lcr.Consent.V1.RemoveRestrictionRequest
        {
            NhsNumber = nhs, RestrictionId = withheld.Restriction.Id, Reason = "Patient changed their mind", Channel = Lcr.Consent.V1.ConsentChannel.Letter,
        }, ig);
        Assert.Contains(Lcr.Common.V1.RecordCategory.Medications, (await f.Client.ReadAsync(nhs, token)).ReturnedCategories);

        var outcomes = await load.StopAsync();
        output.WriteLine(load.Summary());
        FaultPlatform.AssertOnly(load, steady, StatusCode.OK, StatusCode.Unavailable);
        var whileDown = outcomes.Where(o => o.Start >= down && o.End <= restarting).ToList();
        Assert.True(whileDown.Count(o => o.Status == StatusCode.OK) >= 30, "the reads whose decisions the gateway holds went on");
        await Invariant(targets, outcomes);
    }

    [Fact]
    public async Task PostgreSQL_restarted_under_load_services_recover_by_themselves_and_every_acknowledged_contribution_is_there_whole()
    {
        const int size = 5;
        var run = "fault-" + Guid.NewGuid().ToString("N")[..8];
        var feed = await f.SystemAsync("b86001-gp-feed", "record.contribute");
        var clinical = new ClinicalRecordService.ClinicalRecordServiceClient(f.Client.Channel);
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<long>();
        var targets = await f.TokensAsync();
        await using var reads = f.Reads(targets, workers: 2);
        await using var writes = new Load(2, async n =>
        {
            var reply = await clinical.UpsertEntriesAsync(FaultPlatform.Batch(run, n, size), feed, DateTime.UtcNow.AddSeconds(5));
            Assert.Equal(size, reply.Results.Count);
            acknowledged.Add(n);
            return null;
        });
        var readsSteady = await reads.RecoveredAsync(20, Recovery);
        var writesSteady = await writes.RecoveredAsync(10, Recovery);

        await f.Platform.StopPostgresAsync();
        reads.Mark("PostgreSQL stopped");
        writes.Mark("PostgreSQL stopped");
        // Reads whose answers the gateway holds (issue 22's read cache; the audit log has its own
        // PostgreSQL) may go on; every other read and every contribution fails closed.
        await reads.MoreCallsAsync(10);
        await writes.CallsEndingAsync(StatusCode.Unavailable, 5, Recovery);
        await f.Platform.StartPostgresAsync();
        reads.Mark("PostgreSQL started");
        writes.Mark("PostgreSQL started");
        await reads.RecoveredAsync(30, Recovery);
        await writes.RecoveredAsync(10, Recovery);

        var readOutcomes = await reads.StopAsync();
        var writeOutcomes = await writes.StopAsync();
        output.WriteLine("reads: " + reads.Summary());
        output.WriteLine("contributions: " + writes.Summary());
        FaultPlatform.AssertOnly(reads, readsSteady, StatusCode.OK, StatusCode.Unavailable);
        FaultPlatform.AssertOnly(writes, writesSteady, StatusCode.OK, StatusCode.Unavailable);

        // Every batch that got an OK is there whole; no batch is there in part.
        var stored = new Dictionary<long, int>();
        await using (var db = f.Database(PlatformService.Clinical))
        {
            await db.OpenAsync();
            await using var cmd = new NpgsqlCommand("select source_entry_id from entries where source_entry_id like @p", db);
            cmd.Parameters.AddWithValue("p", run + "-%");
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var batch = long.Parse(reader.GetString(0).Split('-')[2], System.Globalization.CultureInfo.InvariantCulture);
                stored[batch] = stored.GetValueOrDefault(batch) + 1;
            }
        }

        Assert.All(acknowledged, n => Assert.Equal(size, stored.GetValueOrDefault(n)));
        Assert.All(stored, b => Assert.Equal(size, b.Value));
        Assert.Equal(writeOutcomes.Count(o => o.Status == StatusCode.OK), acknowledged.Count);
        await Invariant(targets, readOutcomes);
    }

    [Fact]
    public async Task Gateway_sent_SIGTERM_under_load_completes_the_calls_in_flight_refuses_new_ones_cleanly_and_exits_0()
    {
        var targets = await f.TokensAsync();
        await using var load = f.Reads(targets, workers: 4);
        var steady = await load.RecoveredAsync(30, Recovery);

        var signalled = load.Mark("SIGTERM sent");
        f.Platform.SignalTerminate(PlatformService.Gateway);
        var exitCode = await f.Platform.WaitForExitAsync(PlatformService.Gateway);
        var exited = load.Mark("gateway exited");
        await load.CallsEndingAsync(StatusCode.Unavailable, 20, Recovery);
        var outcomes = await load.StopAsync();
        output.WriteLine(load.Summary());
        await f.Platform.RestartAsync(PlatformService.Gateway);

        Assert.Equal(0, exitCode);
        FaultPlatform.AssertOnly(load, steady, StatusCode.OK, StatusCode.Unavailable); // zero INTERNAL, zero UNKNOWN
        var inFlight = outcomes.Where(o => o.Start < signalled && o.End > signalled).ToList();
        Assert.Contains(inFlight, o => o.Status == StatusCode.OK);
        Assert.All(outcomes.Where(o => o.Start > exited), o => Assert.Equal(StatusCode.Unavailable, o.Status));
        await Invariant(targets, outcomes);
    }

    private async Task Invariant(ReadTargets targets, IReadOnlyList<CallOutcome> outcomes)
    {
        var committed = await f.AssertAuditInvariantAsync(targets, outcomes);
        output.WriteLine($"invariant: {outcomes.Count(o => o.Status == StatusCode.OK)} OK reads, {committed} committed view events, {outcomes.Count} reads attempted; chains intact");
    }

    [Fact]
    public async Task A_callers_W3C_trace_context_crosses_the_gateway_into_the_audit_service_process()
    {
        // ListEventsByActor is recorded by the audit service itself with its own Activity's
        // trace id: the event carries the caller's trace id only if the traceparent travelled
        // caller -> gateway process -> audit service process.
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        var headers = await f.SystemAsync("platform-admin", "audit.read");
        headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        await new AuditService.AuditServiceClient(f.Client.Channel).ListEventsByActorAsync(
            new ListEventsByActorRequest { ActorId = "gp.b86001" }, headers, DateTime.UtcNow.AddSeconds(10));

        await using var audit = f.Database(PlatformService.Audit);
        await audit.OpenAsync();
        await using var cmd = new NpgsqlCommand("select count(*) from audit_events where trace_id = @t and action = @a", audit);
        cmd.Parameters.AddWithValue("t", traceId);
        cmd.Parameters.AddWithValue("a", (int)AuditAction.AuditQuery);
        Assert.Equal(1L, (long)(await cmd.ExecuteScalarAsync())!);
    }
}
