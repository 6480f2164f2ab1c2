using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Gateway.Access;
using Lcr.Gateway.Downstream;
using Lcr.Gateway.Telemetry;
using Lcr.ServiceDefaults;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Lcr.Gateway.Records;

/// <summary>
/// Drains <see cref="ViewSurgeMonitor"/>'s queue: counts each view in Redis
/// (<see cref="ViewSurgeCounter"/>) and, when the distinct viewers exceed the limit
/// (<see cref="ViewSurgeRule.Exceeded"/>), asks consent to seal the record
/// (SealRecordAutomatically, reason VIEW_SURGE, review in <see cref="ViewSurgeOptions.ReviewAfter"/>)
/// and, when that call sealed it, records AUDIT_ACTION_RECORD_SEALED with
/// <c>seal { VIEW_SURGE, automatic, distinct_viewers }</c> as the platform (organisation: the first
/// of <c>Gateway:PlatformGovernanceOrganisations</c>), from which audit raises the VIEW_SURGE alert
/// to the platform's IG team. A professional counted for a record within
/// <see cref="ViewSurgeOptions.RecountAfter"/> is not counted again (<see cref="RecentViewers"/>), so
/// repeat reads cost no Redis call. After a seal the count starts again, so the views that caused it do
/// not seal the record again after an IG officer lifts it. Redis down or not configured: the view is
/// skipped and counted, never retried or waited for; a failed seal keeps the count so the next view
/// tries again. Nothing here identifies a patient in logs or metrics.
/// </summary>
public sealed partial class ViewSurgeService(
    ViewSurgeMonitor monitor,
    IServiceProvider services,
    Lcr.Consent.V1.ConsentService.ConsentServiceClient consent,
    AuditTrail audit,
    IOptions<ViewSurgeOptions> options,
    IOptions<GovernanceOptions> governance,
    IOptions<DownstreamOptions> downstreamOptions,
    GatewayMetrics metrics,
    PatientPseudonymiser pseudonyms,
    TimeProvider clock,
    ILogger<ViewSurgeService> logger) : BackgroundService
{
    private const int AuditAttempts = 3;

    private readonly RecentViewers _recent = new(
        options.Value.RecountAfter < options.Value.Window ? options.Value.RecountAfter : options.Value.Window / 10,
        Math.Max(1, options.Value.RecentViewersCapacity));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Resolved here, not injected: a gateway without ConnectionStrings:Redis starts, with the rule off.
        var counter = services.GetService<ViewSurgeCounter>();
        if (counter is null)
        {
            LogNoRedis(logger);
        }

        try
        {
            await foreach (var view in monitor.Views.ReadAllAsync(stoppingToken))
            {
                if (counter is null)
                {
                    Skipped("redis_unavailable");
                    continue;
                }

                try
                {
                    await HandleAsync(counter, view, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Skipped("seal_failed");
                    LogFailed(logger, ex.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: views still queued are not counted.
        }
    }

    private async Task HandleAsync(ViewSurgeCounter counter, ViewSurgeMonitor.View view, CancellationToken stoppingToken)
    {
        if (!counter.Connected)
        {
            Skipped("redis_unavailable");
            return;
        }

        var o = options.Value;
        if (_recent.WasJustCounted(view.NhsNumber, view.ProfessionalId, view.At))
        {
            return;
        }

        long viewers;
        try
        {
            viewers = await counter.RecordAsync(view.NhsNumber, view.ProfessionalId, view.At, ViewSurgeRule.WindowStart(view.At, o), o.Window);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Skipped("redis_unavailable");
            return;
        }

        if (!ViewSurgeRule.Exceeded(viewers, o))
        {
            // Only below the limit: over it, every view (a repeat one too) tries the seal until it is made.
            _recent.Counted(view.NhsNumber, view.ProfessionalId, view.At);
            return;
        }

        var now = clock.GetUtcNow();
        var context = new PlatformCallContext(now.UtcDateTime + downstreamOptions.Value.DefaultCallTimeout, stoppingToken);
        var actor = Actor();
        var request = new SealRecordAutomaticallyRequest
        {
            NhsNumber = view.NhsNumber,
            DistinctViewers = (int)Math.Min(viewers, int.MaxValue),
            ReviewTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(ViewSurgeRule.ReviewTime(now, o)),
        };
        var response = await consent.SealRecordAutomaticallyAsync(request, DownstreamCalls.As(actor, context));
        if (response.Sealed)
        {
            var e = audit.For(actor, view.NhsNumber, AuditAction.RecordSealed, PurposeOfUse.InformationGovernance);
            e.Seal = new SealDetail { Reason = SealReason.ViewSurge, Automatic = true, DistinctViewers = request.DistinctViewers };
            await CommitWithRetriesAsync(e, stoppingToken);
            metrics.ViewSurgeSeals.Add(1);
            LogSealed(logger, pseudonyms.Pseudonym(view.NhsNumber), request.DistinctViewers);
        }

        _recent.Forget(view.NhsNumber);
        try
        {
            await counter.ResetAsync(view.NhsNumber);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The record is sealed: its views no longer count; the key expires with the window.
        }
    }

    /// <summary>The seal is already in consent: its audit event is retried (same event id, recorded once) before giving up.</summary>
    private async Task CommitWithRetriesAsync(AuditEvent e, CancellationToken stoppingToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var context = new PlatformCallContext(clock.GetUtcNow().UtcDateTime + downstreamOptions.Value.DefaultCallTimeout, stoppingToken);
            try
            {
                await audit.CommitAsync(e, context);
                return;
            }
            catch (DependencyUnavailableException) when (attempt < AuditAttempts)
            {
                await Task.Delay(TimeSpan.FromSeconds(attempt), clock, stoppingToken);
            }
        }
    }

    /// <summary>The platform itself, acting for the platform's IG team's organisation (whose privacy officers the alert goes to).</summary>
    private Actor Actor() => new()
    {
        Kind = ActorKind.Platform,
        Id = PlatformActor.Gateway.Id,
        DisplayName = "Leeds Care Record platform (automatic seal on a view surge)",
        Organisation = new OrganisationReference
        {
            OdsCode = governance.Value.PlatformGovernanceOrganisations.FirstOrDefault()
                ?? Lcr.ServiceDefaults.DevData.SyntheticOrganisations.PlatformOperator,
        },
    };

    private void Skipped(string cause) => metrics.ViewSurgeSkipped.Add(1, new KeyValuePair<string, object?>("cause", cause));

    [LoggerMessage(Level = LogLevel.Warning, Message = "ConnectionStrings:Redis is not configured: the view-surge rule is off (views are counted as skipped)")]
    private static partial void LogNoRedis(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A view surge could not be acted on ({Failure}); the next view of the record tries again")]
    private static partial void LogFailed(ILogger logger, string failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Record {PatientRef} sealed automatically: {DistinctViewers} distinct viewers within the window")]
    private static partial void LogSealed(ILogger logger, string patientRef, int distinctViewers);
}
