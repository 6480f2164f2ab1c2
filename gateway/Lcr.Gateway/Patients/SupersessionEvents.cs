using System.Security.Cryptography;
using System.Text;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Demographics.V1;
using Lcr.Gateway.Records;

namespace Lcr.Gateway.Patients;

/// <summary>
/// The audit events of a supersession reported or withdrawn: one under each number, each with
/// <c>supersession</c>. Built only from the supersession as demographics stored it (its id, the
/// system that reported or withdrew it, the time), with ids derived from the supersession's, so a
/// re-sent notice sends the same two events and the audit log records them once (and a notice
/// re-sent after the audit log could not commit fills the gap).
/// </summary>
public static class SupersessionEvents
{
    /// <summary>The AUDIT_ACTION_NHS_NUMBER_SUPERSEDED events of a standing supersession.</summary>
    public static IReadOnlyList<AuditEvent> Reported(AuditTrail audit, Supersession s) =>
        Build(audit, s, AuditAction.NhsNumberSuperseded, s.ReportedBy, s.RecordTime, s.NoticeId);

    /// <summary>The AUDIT_ACTION_NHS_NUMBER_SUPERSESSION_WITHDRAWN events of a withdrawn supersession.</summary>
    public static IReadOnlyList<AuditEvent> Withdrawn(AuditTrail audit, Supersession s) =>
        Build(audit, s, AuditAction.NhsNumberSupersessionWithdrawn, s.WithdrawnBy ?? s.ReportedBy, s.WithdrawTime ?? s.RecordTime,
            string.IsNullOrEmpty(s.WithdrawalNoticeId) ? s.NoticeId : s.WithdrawalNoticeId);

    private static List<AuditEvent> Build(AuditTrail audit, Supersession s, AuditAction action, Actor? actor,
        Google.Protobuf.WellKnownTypes.Timestamp? time, string noticeId)
    {
        var detail = new SupersessionDetail { SupersededNhsNumber = s.SupersededNhsNumber, CurrentNhsNumber = s.NhsNumber, NoticeId = noticeId };
        return [Event(s.SupersededNhsNumber), Event(s.NhsNumber)];

        AuditEvent Event(string nhsNumber)
        {
            var e = audit.For(actor?.Clone() ?? new Actor(), nhsNumber, action, PurposeOfUse.RecordContribution);
            e.EventId = EventIdOf(s.Id, action, nhsNumber).ToString("D");
            e.OccurrenceTime = time?.Clone() ?? e.OccurrenceTime;
            e.TraceId = string.Empty;
            e.Supersession = detail.Clone();
            return e;
        }
    }

    /// <summary>A stable UUID (version 8, name-based on SHA-256) for one event of one supersession.</summary>
    public static Guid EventIdOf(string supersessionId, AuditAction action, string nhsNumber)
    {
        var name = $"lcr-gateway/supersession/{supersessionId}/{(int)action}/{nhsNumber}";
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(name)).AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(bytes, bigEndian: true);
    }
}
