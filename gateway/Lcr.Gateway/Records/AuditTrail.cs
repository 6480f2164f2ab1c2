using System.Diagnostics;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Gateway.Downstream;
using Lcr.Gateway.Telemetry;
using Lcr.Security;
using Lcr.ServiceDefaults;

namespace Lcr.Gateway.Records;

/// <summary>
/// Commits the audit event for a look at a record before any of it is returned. If the audit
/// service cannot commit in time, the read fails with UNAVAILABLE and returns nothing: there is
/// no access without an audit record. Denials are recorded too (a failure to record a denial
/// does not turn it into an answer: the caller is refused either way).
/// </summary>
public sealed partial class AuditTrail(AuditBatcher batcher, TimeProvider clock, GatewayMetrics metrics, ViewerContextSource viewers,
    ILogger<AuditTrail> logger)
{
    /// <summary>
    /// A permitted event (the caller sets the outcome to denied through <see cref="DenyAsync"/>)
    /// about one patient: a fresh event id kept for retries, the current trace id.
    /// </summary>
    public AuditEvent For(Actor actor, string nhsNumber, AuditAction action, PurposeOfUse purpose) => new()
    {
        EventId = Guid.CreateVersion7().ToString(),
        OccurrenceTime = Timestamp.FromDateTimeOffset(clock.GetUtcNow()),
        Action = action,
        Outcome = AuditOutcome.Permitted,
        Actor = actor,
        CallingSystem = PlatformActor.Gateway,
        NhsNumber = nhsNumber,
        PurposeOfUse = purpose,
        TraceId = Activity.Current?.TraceId.ToHexString() ?? string.Empty,
    };

    /// <summary>
    /// Builds an event for a professional's access-token use, with its basis (relationship,
    /// self-claimed relationship with its reason, or break glass) and the relationship's kind.
    /// A record view's reader starts the viewer-patient comparison (<see cref="ViewerContextSource.Begin"/>),
    /// attached when the event is committed.
    /// </summary>
    public AuditEvent For(VerifiedAccessToken token, string nhsNumber, AuditAction action)
    {
        var e = For(token.ToActor(), nhsNumber, action, token.Purpose);
        e.AccessTokenId = token.TokenId;
        if (token.Emergency is { } emergency)
        {
            e.EmergencyAccess = new EmergencyAccessDetail { ReasonCode = emergency.ReasonCode, ReasonText = emergency.ReasonText };
        }
        else if (token.SelfClaim is { } claim && !string.IsNullOrEmpty(token.CareRelationshipId))
        {
            e.SelfClaim = new SelfClaimDetail { CareRelationshipId = token.CareRelationshipId, ReasonCode = claim.ReasonCode, ReasonText = claim.ReasonText };
        }
        else if (!string.IsNullOrEmpty(token.CareRelationshipId))
        {
            e.CareRelationshipId = token.CareRelationshipId;
        }

        if (token.CareRelationshipKind != Lcr.Identity.V1.CareRelationshipKind.Unspecified)
        {
            e.CareRelationshipKind = token.CareRelationshipKind;
        }

        return e;
    }

    /// <summary>Commits a permitted access. Throws UNAVAILABLE (and nothing may be returned) if it cannot.</summary>
    public Task CommitAsync(AuditEvent e, ServerCallContext context) => CommitAsync([e], context);

    /// <summary>Commits several events (one per patient) in one call, all or nothing (kept together in one batch).</summary>
    public async Task CommitAsync(IReadOnlyCollection<AuditEvent> events, ServerCallContext context)
    {
        if (events.Count == 0)
        {
            return;
        }

        await viewers.CompleteAsync(events, context.CancellationToken);
        try
        {
            // Shared with the events of concurrent calls (AuditBatcher), still waiting for these.
            await batcher.CommitAsync(events, context);
        }
        catch (Exception ex) when (ex is DependencyUnavailableException or DependencyFailedException or RpcException)
        {
            metrics.AuditFailures.Add(1);
            LogAuditFailure(logger, events.First().Action.ToString(), ex.GetType().Name);
            throw new DependencyUnavailableException("AUDIT_UNAVAILABLE",
                "The access could not be recorded in the audit log, so no record data is returned; retry shortly.", ex);
        }
    }

    /// <summary>Records a refusal, then returns it for the caller to throw. The refusal stands even if recording fails.</summary>
    public async Task<Exception> DenyAsync(AuditEvent e, AuditDenialReason reason, LcrException refusal, ServerCallContext context)
    {
        await RecordDenialAsync(e, reason, context);
        return refusal;
    }

    /// <summary>Records a refusal made elsewhere (e.g. by identity); a failure to record it is counted and logged.</summary>
    public async Task RecordDenialAsync(AuditEvent e, AuditDenialReason reason, ServerCallContext context)
    {
        e.Outcome = AuditOutcome.Denied;
        e.DenialReason = reason;
        e.ReturnedCategories.Clear();
        e.ReturnedEntryIds.Clear();
        metrics.Denials.Add(1, new KeyValuePair<string, object?>("reason", reason.ToString()));
        try
        {
            await CommitAsync(e, context);
        }
        catch (DependencyUnavailableException)
        {
            // Already counted and logged; the caller is refused regardless.
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit event for {Action} could not be committed ({Failure}); the call was refused")]
    private static partial void LogAuditFailure(ILogger logger, string action, string failure);
}
