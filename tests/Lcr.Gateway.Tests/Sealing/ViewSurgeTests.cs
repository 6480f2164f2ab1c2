using System.Diagnostics.Metrics;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Gateway.Downstream;
using Lcr.Gateway.Records;
using Lcr.Gateway.V1;
using Microsoft.Extensions.DependencyInjection;
using static Lcr.Gateway.Tests.Callers;
using static Lcr.Gateway.Tests.Sealing.SealScenario;

namespace Lcr.Gateway.Tests.Sealing;

/// <summary>
/// The automatic seal on a view surge, end to end: a gateway whose limit is
/// <see cref="Limit"/> distinct viewers, the real Redis, consent and audit. Waits poll with a
/// deadline for the monitor (it works off the response path); nothing measures time.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class ViewSurgeTests(PlatformFixture platform) : IAsyncLifetime
{
    private const int Limit = 3;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly AuditTap _tap = new();
    private readonly List<string> _viewers = [];
    private GatewayHost _gateway = null!;

    private Grpc.Net.Client.GrpcChannel Gateway => _gateway.Channel;

    public async Task InitializeAsync()
    {
        _gateway = platform.CreateGateway(
            s => s.Configure<ViewSurgeOptions>(o => o.DistinctViewers = Limit),
            (service, handler) => service == ServiceNames.Audit ? _tap.Wrap(handler) : handler);
        for (var i = 0; i <= Limit; i++)
        {
            _viewers.Add((await NewProfessionalAsync(Gateway)).UserName);
        }
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private async Task ViewAsync(string userName, string nhs)
    {
        var token = (await AccessAsync(Gateway, userName, nhs)).AccessToken;
        var record = await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(token));
        Assert.Null(record.SealedNotice);
    }

    private async Task<Seal> SealedWithinDeadlineAsync(string nhs)
    {
        var until = DateTime.UtcNow + Deadline;
        while (true)
        {
            if ((await ConsentAsync(Gateway, nhs)).Seal is { } seal)
            {
                return seal;
            }

            Assert.True(DateTime.UtcNow < until, "The record was not sealed automatically before the deadline.");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task More_distinct_professionals_than_the_limit_seal_the_record_and_the_platform_records_the_seal()
    {
        var (nhs, _) = await RegisterPatientAsync(Gateway);
        foreach (var viewer in _viewers)
        {
            await ViewAsync(viewer, nhs);
        }

        var seal = await SealedWithinDeadlineAsync(nhs);
        Assert.Equal(SealReason.ViewSurge, seal.Reason);
        Assert.True(seal.Automatic);
        Assert.Empty(seal.AllowedProfessionalIds);
        Assert.True(seal.ReviewTime.ToDateTimeOffset() > DateTimeOffset.UtcNow.AddDays(6));

        var until = DateTime.UtcNow + Deadline;
        AuditEvent? sealedEvent;
        while ((sealedEvent = _tap.For(nhs).SingleOrDefault(e => e.Action == AuditAction.RecordSealed)) is null)
        {
            Assert.True(DateTime.UtcNow < until, "No RECORD_SEALED event before the deadline.");
            await Task.Delay(100);
        }

        Assert.Equal(AuditOutcome.Permitted, sealedEvent.Outcome);
        Assert.Equal(ActorKind.Platform, sealedEvent.Actor.Kind);
        Assert.Equal(Lcr.ServiceDefaults.DevData.SyntheticOrganisations.PlatformOperator, sealedEvent.Actor.Organisation.OdsCode);
        Assert.Equal(SealReason.ViewSurge, sealedEvent.Seal.Reason);
        Assert.True(sealedEvent.Seal.Automatic);
        Assert.Equal(Limit + 1, sealedEvent.Seal.DistinctViewers);
        Assert.Equal(1L, (long)(await platform.Audit.Database.ScalarAsync(
            "select count(*) from audit_events where nhs_number = @n and action = 15", ("n", nhs)))!);

        // From now on the record answers with the notice to the very professionals who surged.
        var token = (await AccessAsync(Gateway, _viewers[0], nhs)).AccessToken;
        Assert.NotNull((await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(token))).SealedNotice);
    }

    [Fact]
    public async Task As_many_distinct_viewers_as_the_limit_or_one_viewer_reading_many_times_seal_nothing()
    {
        var (atLimit, _) = await RegisterPatientAsync(Gateway);
        var (oneViewer, _) = await RegisterPatientAsync(Gateway);
        var (barrier, _) = await RegisterPatientAsync(Gateway);
        foreach (var viewer in _viewers.Take(Limit))
        {
            await ViewAsync(viewer, atLimit);
        }

        for (var i = 0; i < 3 * Limit; i++)
        {
            await ViewAsync(_viewers[0], oneViewer);
        }

        // The monitor counts views in order: once a later surge has sealed its record, every view
        // above has been counted, and none of them sealed anything.
        foreach (var viewer in _viewers)
        {
            await ViewAsync(viewer, barrier);
        }

        await SealedWithinDeadlineAsync(barrier);
        Assert.Null((await ConsentAsync(Gateway, atLimit)).Seal);
        Assert.Null((await ConsentAsync(Gateway, oneViewer)).Seal);
        Assert.DoesNotContain(_tap.Events, e => e.Action == AuditAction.RecordSealed && (e.NhsNumber == atLimit || e.NhsNumber == oneViewer));
    }

    [Fact]
    public async Task Redis_down_skips_the_count_and_says_so_in_a_metric_while_reads_go_on()
    {
        var (nhs, _) = await RegisterPatientAsync(Gateway);
        long skipped = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "lcr.gateway.view_surge.skipped")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "cause" && (string?)tag.Value == "redis_unavailable")
                {
                    Interlocked.Add(ref skipped, value);
                }
            }
        });
        listener.Start();

        await platform.Redis.StopAsync();
        try
        {
            foreach (var viewer in _viewers)
            {
                await ViewAsync(viewer, nhs);
            }

            var until = DateTime.UtcNow + Deadline;
            while (Interlocked.Read(ref skipped) < _viewers.Count)
            {
                Assert.True(DateTime.UtcNow < until, $"Only {Interlocked.Read(ref skipped)} views were counted as skipped before the deadline.");
                await Task.Delay(100);
            }
        }
        finally
        {
            await platform.RestartRedisAsync();
        }

        Assert.Null((await ConsentAsync(Gateway, nhs)).Seal);
    }
}
