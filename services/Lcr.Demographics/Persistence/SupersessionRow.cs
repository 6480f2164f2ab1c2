namespace Lcr.Demographics.Persistence;

/// <summary>
/// One report that an NHS number is superseded by another, and its withdrawal if any. Rows
/// are never deleted: a withdrawal sets <see cref="State"/> and the withdrawal columns, so the
/// table is the supersession history.
/// </summary>
public sealed class SupersessionRow
{
    public Guid Id { get; set; }

    /// <summary>Insertion order (identity): the keyset of ListSupersessions, newest first.</summary>
    public long Seq { get; set; }
    public required string NoticeId { get; set; }
    public required string SupersededNhsNumber { get; set; }
    public required string NhsNumber { get; set; }
    public DateTimeOffset EffectiveTime { get; set; }
    public DateTimeOffset RecordTime { get; set; }
    public int ReportedByKind { get; set; }
    public required string ReportedById { get; set; }
    public string? ReportedByOrganisation { get; set; }
    public string? ReportedByRole { get; set; }

    /// <summary><c>SupersessionState</c>: 1 active, 2 withdrawn.</summary>
    public int State { get; set; }
    public string? WithdrawalNoticeId { get; set; }
    public DateTimeOffset? WithdrawTime { get; set; }
    public int? WithdrawnByKind { get; set; }
    public string? WithdrawnById { get; set; }
    public string? WithdrawnByOrganisation { get; set; }
    public string? WithdrawnByRole { get; set; }
}
