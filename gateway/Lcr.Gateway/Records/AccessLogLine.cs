using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Gateway.V1;

namespace Lcr.Gateway.Records;

/// <summary>
/// One audit event as a line of the patient-facing access log, in terms a patient can read.
/// Pure. A professional is named with their role and organisation; a system by its name and
/// organisation; the platform acting for a caller it could not identify by nothing (its own
/// name and organisation would mislead the patient). An organisation the event does not know
/// (e.g. a token request refused before a role was chosen) is left unset. Why they looked is the
/// event's purpose and, in words, <see cref="AccessReasons"/> (never the professional's own text).
/// A line recorded under another number than the one asked about (a number merged into it) names it.
/// </summary>
public static class AccessLogLine
{
    public static AccessLogEntry From(AuditEvent e) => From(e, e.NhsNumber);

    /// <summary>The line of <paramref name="e"/> in the log of <paramref name="askedNhsNumber"/>.</summary>
    public static AccessLogEntry From(AuditEvent e, string askedNhsNumber)
    {
        var kind = e.Actor?.Kind ?? ActorKind.Unspecified;
        var named = kind is ActorKind.Professional or ActorKind.System;
        return new AccessLogEntry
        {
            AccessTime = e.RecordTime ?? e.OccurrenceTime,
            ViewerName = named ? e.Actor!.DisplayName : string.Empty,
            ViewerRoleName = kind == ActorKind.Professional ? RoleNames.Describe(e.Actor!.RoleCode) : string.Empty,
            Organisation = named && !string.IsNullOrEmpty(e.Actor!.Organisation?.OdsCode) ? e.Actor.Organisation : null,
            Action = e.Action,
            Categories = { e.ReturnedCategories },
            EntryCount = e.ReturnedEntryIds.Count,
            Outcome = e.Outcome,
            EmergencyAccess = e.AccessBasisCase == AuditEvent.AccessBasisOneofCase.EmergencyAccess,
            EmergencyReason = e.EmergencyAccess?.ReasonCode ?? EmergencyAccessReason.Unspecified,
            Purpose = e.PurposeOfUse,
            AccessReason = AccessReasons.Of(e),
            SelfClaimReason = e.SelfClaim?.ReasonCode ?? SelfClaimReason.Unspecified,
            SealedRecord = e.SealedRecord is not null,
            RecordedUnderNhsNumber = string.Equals(e.NhsNumber, askedNhsNumber, StringComparison.Ordinal) ? string.Empty : e.NhsNumber,
        };
    }
}
