using System.Diagnostics;
using Grpc.Core;
using Lcr.Gateway.Downstream;
using Lcr.Gateway.V1;
using Lcr.ServiceDefaults.DevData;
using Microsoft.Extensions.DependencyInjection;
using static Lcr.Gateway.Tests.Callers;
using static Lcr.Testing.RpcAssert;
using Scenario = Lcr.ServiceDefaults.DevData.SyntheticOrganisations.Scenario;

namespace Lcr.Gateway.Tests;

[Collection(PlatformCollection.Name)]
public class ResilienceTests(PlatformFixture platform)
{
    private Grpc.Net.Client.GrpcChannel Gateway => platform.Gateway.Channel;

    [Fact]
    public async Task Audit_down_means_unavailable_and_no_data()
    {
        var nhs = Nhs(Scenario.ExamplePatient);
        var token = await AccessAsync(Gateway, "gp.b86001", nhs);
        await using var blind = platform.CreateGateway(wrap: (service, handler) =>
            service == ServiceNames.Audit ? new UnreachableHandler() : handler);
        var e = await Fails(StatusCode.Unavailable, async () => await RecordsClient(blind.Channel).GetPatientRecordAsync(
            new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(token.AccessToken)));
        Assert.Equal("AUDIT_UNAVAILABLE", Reason(e));
    }

    [Fact]
    public async Task A_service_down_gives_unavailable_well_within_the_deadline()
    {
        var nhs = Nhs(Scenario.ExamplePatient);
        var token = await AccessAsync(Gateway, "gp.b86001", nhs);
        await using var broken = platform.CreateGateway(wrap: (service, handler) =>
            service == ServiceNames.Clinical ? new UnreachableHandler() : handler);
        var started = Stopwatch.StartNew();
        var e = await Fails(StatusCode.Unavailable, async () => await RecordsClient(broken.Channel).GetPatientRecordAsync(
            new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(token.AccessToken), deadline: DateTime.UtcNow.AddSeconds(30)));
        Assert.Equal("CLINICAL_UNAVAILABLE", Reason(e));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), "answered before the caller's deadline");

        // After repeated failures the circuit opens and calls fail fast without trying the service.
        for (var i = 0; i < 12; i++)
        {
            await Assert.ThrowsAsync<RpcException>(async () => await RecordsClient(broken.Channel).GetPatientRecordAsync(
                new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(token.AccessToken)));
        }

        e = await Fails(StatusCode.Unavailable, async () => await RecordsClient(broken.Channel).GetPatientRecordAsync(
            new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(token.AccessToken)));
        Assert.Contains("circuit open", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_service_that_never_answers_gives_unavailable_naming_it_before_the_callers_deadline()
    {
        // Found by the real-process consent fault run: a consent process still starting accepted
        // the call and did not answer; the gateway waited out the caller's whole deadline, so the
        // caller saw only DEADLINE_EXCEEDED. The gateway now cuts downstream calls off first.
        var nhs = Nhs(Scenario.ExamplePatient);
        var token = await AccessAsync(Gateway, "gp.b86001", nhs);
        await using var stuck = platform.CreateGateway(wrap: (service, handler) =>
            service == ServiceNames.Consent ? new HangingHandler() : handler);
        var e = await Fails(StatusCode.Unavailable, async () => await RecordsClient(stuck.Channel).GetPatientRecordAsync(
            new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(token.AccessToken), deadline: DateTime.UtcNow.AddSeconds(2)));
        Assert.Equal("CONSENT_UNAVAILABLE", Reason(e));
    }

    [Fact]
    public async Task Redis_down_means_reads_still_succeed_from_postgresql()
    {
        var nhs = Nhs(Scenario.ExamplePatient);
        var token = await AccessAsync(Gateway, "gp.b86001", nhs);
        var before = await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(token.AccessToken));
        await platform.Redis.StopAsync();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var during = await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(token.AccessToken),
                    deadline: DateTime.UtcNow.AddSeconds(30));
                Assert.Equal(before.ActiveProblems.Select(p => p.Id).Order(), during.ActiveProblems.Select(p => p.Id).Order());
            }
        }
        finally
        {
            await platform.RestartRedisAsync();
        }
    }

    [Fact]
    public async Task One_trace_covers_the_gateway_call_every_downstream_call_and_the_audit_event()
    {
        var nhs = Nhs(Scenario.ExamplePatient);
        var token = await AccessAsync(Gateway, "gp.b86001", nhs);
        // A replica whose read cache is off, so the read makes every downstream call (a warm replica
        // makes only the audit call: ReadCacheInvariantTests).
        await using var uncached = platform.CreateGateway(settings: new Dictionary<string, string> { ["Gateway:ReadCache:Enabled"] = "false" });
        var record = await RecordsClient(uncached.Channel).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(token.AccessToken));
        var auditTrace = (string)(await platform.Audit.Database.ScalarAsync("select trace_id from audit_events where event_id = @id",
            ("id", Guid.Parse(record.AuditEventId))))!;

        // Every host in this process shares the ActivitySource listeners, so the gateway's capture
        // holds every span; select by kind and name. (Whether a service's own server span joins the
        // trace over a real socket is SocketsHttpHandler's W3C propagation, not proven in memory.)
        // A span is exported when it stops, and the gateway's server span stops after the reply
        // has reached the client: wait for the capture instead of reading it once.
        var expected = new List<(ActivityKind Kind, string Name)> { (ActivityKind.Server, "/GetPatientRecord") };
        expected.AddRange(new[]
        {
            "ConsentService/EvaluateAccess", "ClinicalRecordService/GetRecordSummary",
            "DemographicsService/GetPatient", "AuditService/RecordEvents",
        }.Select(call => (ActivityKind.Client, call)));
        var missing = expected;
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var spans = PlatformFixture.SnapshotOf(uncached.Spans).Where(s => s.TraceId.ToHexString() == auditTrace).ToList();
            missing = expected.Where(x => !spans.Exists(s => s.Kind == x.Kind && s.DisplayName.EndsWith(x.Name, StringComparison.Ordinal))).ToList();
            if (missing.Count == 0 || DateTime.UtcNow > until)
            {
                break;
            }

            await Task.Delay(50);
        }

        Assert.Empty(missing);
    }

    [Fact]
    public async Task No_patient_data_reaches_any_log_span_or_metric()
    {
        var patient = SyntheticCohort.Patients[Scenario.ExamplePatient];
        var token = await AccessAsync(Gateway, "gp.b86001", patient.NhsNumber);
        await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = patient.NhsNumber }, Bearer(token.AccessToken));
        await Assert.ThrowsAsync<RpcException>(async () => await RecordsClient(Gateway).GetPatientRecordAsync(
            new GetPatientRecordRequest { NhsNumber = Nhs(Scenario.OptedOut) }, Bearer(token.AccessToken)));

        // Everything the six hosts emitted so far in this run (every test before this one too):
        // log lines, spans, and every metric instrument, tag set and NHS-number-shaped value.
        // (The fixture scans the whole run again when the last test has finished.)
        var telemetry = platform.Telemetry().Select(t => (t.Source, Lines: t.Lines.ToList())).ToList();
        var all = telemetry.SelectMany(t => t.Lines).ToList();
        Assert.Contains(all, l => l.Contains("GetPatientRecord", StringComparison.Ordinal)); // logs and spans are captured
        var metrics = telemetry.Single(t => t.Source == "metrics").Lines;
        Assert.Contains(metrics, l => l.StartsWith("lcr.gateway.record_reads kind=", StringComparison.Ordinal)); // the gateway's own tagged metrics
        Assert.Contains(metrics, l => l.StartsWith("lcr.consent.decisions decision=", StringComparison.Ordinal)); // and a service's
        Assert.Contains(metrics, l => l.StartsWith("http.server.request.duration ", StringComparison.Ordinal)); // and ASP.NET Core's

        foreach (var (source, lines) in telemetry)
        {
            PatientDataScan.AssertNone(source, lines);
            foreach (var secret in new[] { patient.Family, patient.Postcode })
            {
                Assert.DoesNotContain(lines, l => l.Contains(secret, StringComparison.Ordinal));
            }
        }
    }

    [Fact]
    public async Task A_caller_over_its_rate_is_told_to_slow_down()
    {
        await using var strict = platform.CreateGateway(s => s.Configure<Lcr.Gateway.RateLimiting.RateLimitOptions>(o =>
        {
            o.PermitsPerSecond = 1;
            o.Burst = 2;
        }));
        var token = await AccessAsync(Gateway, "gp.b86001", Nhs(Scenario.ExamplePatient));
        var codes = new List<StatusCode>();
        for (var i = 0; i < 5; i++)
        {
            try
            {
                await RecordsClient(strict.Channel).GetPatientRecordAsync(
                    new GetPatientRecordRequest { NhsNumber = Nhs(Scenario.ExamplePatient) }, Bearer(token.AccessToken));
                codes.Add(StatusCode.OK);
            }
            catch (RpcException e)
            {
                codes.Add(e.StatusCode);
            }
        }

        Assert.Contains(StatusCode.ResourceExhausted, codes);
        Assert.Equal(StatusCode.OK, codes[0]);
    }

    [Fact]
    public async Task A_flooding_caller_is_held_to_its_limit_while_another_caller_is_served()
    {
        const int rate = 5, burst = 5, flood = 80;
        await using var strict = platform.CreateGateway(s => s.Configure<Lcr.Gateway.RateLimiting.RateLimitOptions>(o =>
        {
            o.PermitsPerSecond = rate;
            o.Burst = burst;
        }));
        var nhs = Nhs(Scenario.ExamplePatient);
        var flooder = Bearer((await AccessAsync(Gateway, "gp.b86001", nhs)).AccessToken);
        var other = Bearer((await AccessAsync(Gateway, "ig.b86001", nhs, Lcr.Common.V1.PurposeOfUse.InformationGovernance)).AccessToken);

        var codes = new System.Collections.Concurrent.ConcurrentBag<StatusCode>();
        var next = 0;
        var clock = Stopwatch.StartNew();
        var floodTask = Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= flood)
            {
                try
                {
                    await RecordsClient(strict.Channel).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, flooder);
                    codes.Add(StatusCode.OK);
                }
                catch (RpcException e)
                {
                    codes.Add(e.StatusCode);
                }
            }
        })));

        // Meanwhile the other caller (another subject, its own bucket) is served every time.
        var consent = new Lcr.Consent.V1.ConsentService.ConsentServiceClient(strict.Channel);
        for (var i = 0; i < burst - 1; i++)
        {
            await consent.GetConsentAsync(new Lcr.Consent.V1.GetConsentRequest { NhsNumber = nhs }, other);
        }

        await floodTask;
        var elapsed = clock.Elapsed;

        // A token bucket of `burst`, refilled by `rate` each second: the flooder got at most what
        // the bucket held plus what it was refilled with while the flood lasted; the rest were
        // told to slow down, and nothing else went wrong.
        var served = codes.Count(c => c == StatusCode.OK);
        Assert.Equal(flood, codes.Count);
        Assert.All(codes, c => Assert.Contains(c, new[] { StatusCode.OK, StatusCode.ResourceExhausted }));
        Assert.InRange(served, 1, burst + (rate * ((int)Math.Ceiling(elapsed.TotalSeconds) + 1)));
        Assert.Contains(StatusCode.ResourceExhausted, codes);
    }

    [Fact]
    public async Task A_flood_of_forged_subjects_from_one_peer_shares_one_bucket_while_the_genuine_caller_is_served()
    {
        // Before the fix the limiter keyed its buckets on the token's unverified subject: every
        // forged subject bought a fresh bucket, and a forgery naming a real professional drained
        // that professional's bucket. Now only a token that verifies names a caller; every other
        // call is charged to its peer's one bucket (all calls of this test come from one peer).
        const int rate = 1, burst = 5, flood = 60;
        await using var strict = platform.CreateGateway(s => s.Configure<Lcr.Gateway.RateLimiting.RateLimitOptions>(o =>
        {
            o.PermitsPerSecond = rate;
            o.Burst = burst;
        }));
        var nhs = Nhs(Scenario.ExamplePatient);
        var genuine = (await AccessAsync(Gateway, "gp.b86001", nhs)).AccessToken;
        var subject = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(genuine).Subject;
        string Forged(int i) => (i % 4) switch
        {
            // A fresh subject each time, the real key id, a signature that does not verify.
            0 => MatrixTokens.Tamper(genuine, p => p.Replace($"\"sub\":\"{subject}\"", $"\"sub\":\"forged-{i}\"", StringComparison.Ordinal)),
            // The genuine professional's own subject on a forgery (another jti): aimed at draining their bucket.
            1 => MatrixTokens.Tamper(genuine, p => System.Text.RegularExpressions.Regex.Replace(p, "\"jti\":\"[^\"]+\"", $"\"jti\":\"forged-{i}\"")),
            // Unsigned ("alg": "none") with a fresh subject.
            2 => Unsigned(genuine, $"forged-{i}"),
            // Not a JWT at all.
            _ => $"garbage-{i}",
        };

        var codes = new System.Collections.Concurrent.ConcurrentBag<StatusCode>();
        var next = 0;
        var clock = Stopwatch.StartNew();
        var floodTask = Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) <= flood)
            {
                try
                {
                    await RecordsClient(strict.Channel).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(Forged(i)));
                    codes.Add(StatusCode.OK);
                }
                catch (RpcException e)
                {
                    codes.Add(e.StatusCode);
                }
            }
        })));

        // The genuine professional, calling from the same peer during the flood, is served.
        var served = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            served.Add((await RecordsClient(strict.Channel).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(genuine))).AuditEventId);
        }

        await floodTask;
        var elapsed = clock.Elapsed;

        // And after it: the forgeries naming them drew nothing from their bucket.
        for (var i = 0; i < burst - 2; i++)
        {
            served.Add((await RecordsClient(strict.Channel).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(genuine))).AuditEventId);
        }

        Assert.Equal(burst, served.Distinct().Count());

        // The forgeries together got no more than one bucket: `burst` plus the refill while the
        // flood lasted reached verification (and were refused UNAUTHENTICATED); the rest were told
        // to slow down. Nothing was served and nothing else went wrong.
        Assert.Equal(flood, codes.Count);
        Assert.All(codes, c => Assert.Contains(c, new[] { StatusCode.Unauthenticated, StatusCode.ResourceExhausted }));
        Assert.InRange(codes.Count(c => c == StatusCode.Unauthenticated), 1, burst + (rate * ((int)Math.Ceiling(elapsed.TotalSeconds) + 1)));
        Assert.Contains(StatusCode.ResourceExhausted, codes);
    }

    /// <summary>The token's header with "alg": "none", its payload with another subject, no signature.</summary>
    private static string Unsigned(string jwt, string subject)
    {
        var parts = jwt.Split('.');
        var header = System.Text.Encoding.UTF8.GetString(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(parts[0]))
            .Replace("\"ES256\"", "\"none\"", StringComparison.Ordinal);
        var payload = System.Text.RegularExpressions.Regex.Replace(
            System.Text.Encoding.UTF8.GetString(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(parts[1])),
            "\"sub\":\"[^\"]+\"", $"\"sub\":\"{subject}\"");
        return $"{Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(header)}.{Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(payload)}.";
    }
}

public class RateLimitPartitionTests
{
    [Theory]
    [InlineData("prof-123", "ipv4:10.0.0.5:51234", "sub:prof-123")]
    [InlineData(null, "ipv4:10.0.0.5:51234", "peer:10.0.0.5")]
    [InlineData(null, "ipv4:10.0.0.5:51300", "peer:10.0.0.5")]
    [InlineData("", "ipv6:[2001:db8::7]:443", "peer:2001:db8::/64")]
    [InlineData("", "ipv6:[2001:db8::8:9]:443", "peer:2001:db8::/64")]
    [InlineData(null, "unknown", "peer:unknown")]
    [InlineData(null, null, "peer:unknown")]
    public void Only_a_verified_subject_names_a_bucket_otherwise_the_peer_without_its_port(string? subject, string? peer, string expected) =>
        Assert.Equal(expected, Lcr.Gateway.RateLimiting.CallerRateLimitMiddleware.PartitionKey(subject, peer));
}
