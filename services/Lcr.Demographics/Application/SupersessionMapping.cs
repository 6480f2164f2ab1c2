using Google.Protobuf.WellKnownTypes;
using Lcr.Common.V1;
using Lcr.Demographics.Persistence;
using Lcr.Demographics.V1;

namespace Lcr.Demographics.Application;

/// <summary>Converts supersession rows to the contract's messages.</summary>
internal static class SupersessionMapping
{
    public static Supersession ToProto(SupersessionRow row)
    {
        var s = new Supersession
        {
            Id = row.Id.ToString("D"),
            NoticeId = row.NoticeId,
            SupersededNhsNumber = row.SupersededNhsNumber,
            NhsNumber = row.NhsNumber,
            EffectiveTime = Timestamp.FromDateTimeOffset(row.EffectiveTime),
            RecordTime = Timestamp.FromDateTimeOffset(row.RecordTime),
            ReportedBy = ToActor(row.ReportedByKind, row.ReportedById, row.ReportedByOrganisation, row.ReportedByRole),
            State = (SupersessionState)row.State,
            WithdrawalNoticeId = row.WithdrawalNoticeId ?? string.Empty,
        };
        if (row.WithdrawTime is { } withdrawn)
        {
            s.WithdrawTime = Timestamp.FromDateTimeOffset(withdrawn);
        }

        if (row.WithdrawnById is { } by)
        {
            s.WithdrawnBy = ToActor(row.WithdrawnByKind ?? 0, by, row.WithdrawnByOrganisation, row.WithdrawnByRole);
        }

        return s;
    }

    private static Actor ToActor(int kind, string id, string? organisation, string? role) => new()
    {
        Kind = (ActorKind)kind,
        Id = id,
        Organisation = new OrganisationReference { OdsCode = organisation ?? string.Empty },
        RoleCode = role ?? string.Empty,
    };

    /// <summary>A stored time: PostgreSQL keeps microseconds, so the reply to a write equals every later read.</summary>
    public static DateTimeOffset Micros(DateTimeOffset t) => new(t.Ticks - (t.Ticks % 10), t.Offset);

    public static string? Organisation(Actor actor) =>
        string.IsNullOrEmpty(actor.Organisation?.OdsCode) ? null : actor.Organisation.OdsCode;

    public static string? Role(Actor actor) => string.IsNullOrEmpty(actor.RoleCode) ? null : actor.RoleCode;
}
