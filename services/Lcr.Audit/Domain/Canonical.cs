using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Lcr.Audit.Persistence;

namespace Lcr.Audit.Domain;

/// <summary>
/// The canonical, versioned byte form of an audit event and its chain hash.
/// <para>
/// Content: a format tag, then every recorded field in a fixed order, each length-prefixed
/// (strings as UTF-8, null and empty alike; lists as a count then elements; times as
/// microseconds since the Unix epoch, PostgreSQL's precision). The chain hash is
/// SHA-256(previous hash ‖ partition ‖ sequence ‖ record time ‖ content), so it covers
/// everything the service stores about the event except the insertion order.
/// </para>
/// Changing this encoding breaks verification of every stored event: add a new format tag instead.
/// </summary>
public static class Canonical
{
    public const int HashLength = 32;

    private static readonly byte[] ContentTag = "lcr.audit.v1/event/1"u8.ToArray();

    /// <summary>
    /// The second format: the first format's fields under this tag, then the issue 20 fields
    /// (relationship kind, self-claim, sealed-record access, seal). Used only for events that
    /// carry one of them, so every event stored before keeps its hash.
    /// </summary>
    private static readonly byte[] ContentTagWithAccessDetail = "lcr.audit.v1/event/2"u8.ToArray();

    /// <summary>
    /// The third format: the second format's fields (issue 20's always written) under this tag,
    /// then the issue 21 fields (merged NHS numbers, supersession, alert details withheld, date of
    /// death). Used only for events that carry one of them, so every event stored before keeps its hash.
    /// </summary>
    private static readonly byte[] ContentTagWithPatientIdentity = "lcr.audit.v1/event/3"u8.ToArray();

    /// <summary>32 zero bytes: the previous hash of a chain's first event.</summary>
    public static byte[] GenesisHash() => new byte[HashLength];

    /// <summary>Truncates to microseconds, the precision PostgreSQL stores, so hashes computed before and after storage agree.</summary>
    public static DateTimeOffset ToStoredPrecision(DateTimeOffset t) =>
        new(t.UtcTicks - (t.UtcTicks % 10), TimeSpan.Zero);

    /// <summary>The event's content: what the caller asserted plus the viewer-patient match.</summary>
    public static byte[] Content(AuditEventRow e)
    {
        var w = new Writer();
        var identity = e.HasPatientIdentityDetail;
        var detail = identity || e.HasAccessDetail;
        w.Bytes(identity ? ContentTagWithPatientIdentity : detail ? ContentTagWithAccessDetail : ContentTag);
        w.Text(e.EventId.ToString("D"));
        w.Time(e.OccurrenceTime);
        w.Int(e.Action);
        w.Int(e.Outcome);
        w.Int(e.DenialReason);
        w.Int(e.ActorKind);
        w.Text(e.ActorId);
        w.Text(e.ActorDisplayName);
        w.Text(e.ActorOds);
        w.Text(e.ActorRoleCode);
        w.Int(e.CallingSystemKind ?? -1);
        w.Text(e.CallingSystemId);
        w.Text(e.CallingSystemDisplayName);
        w.Text(e.CallingSystemOds);
        w.Text(e.CallingSystemRoleCode);
        w.Text(e.NhsNumber);
        w.Int(e.PurposeOfUse);
        w.Text(e.CareRelationshipId);
        w.Int(e.EmergencyReasonCode ?? -1);
        w.Text(e.EmergencyReasonText);
        w.Int(e.ReturnedCategories.Length);
        foreach (var c in e.ReturnedCategories)
        {
            w.Int(c);
        }

        w.Int(e.ReturnedEntryIds.Length);
        foreach (var id in e.ReturnedEntryIds)
        {
            w.Text(id);
        }

        w.Text(e.AccessTokenId);
        w.Long(e.ConsentVersion);
        w.Text(e.TraceId);
        w.Flag(e.MatchSamePerson);
        w.Flag(e.MatchSameFamilyName);
        w.Flag(e.MatchSameAddress);
        if (detail)
        {
            w.Int(e.CareRelationshipKind ?? -1);
            w.Text(e.SelfClaimRelationshipId);
            w.Int(e.SelfClaimReasonCode ?? -1);
            w.Text(e.SelfClaimReasonText);
            w.Flag(e.SealedViewerNamed);
            w.Text(e.SealedBreakGlassJustification);
            w.Int(e.SealReason ?? -1);
            w.Flag(e.SealAutomatic);
            w.Int(e.SealDistinctViewers ?? -1);
        }

        if (identity)
        {
            w.Int(e.MergedNhsNumbers.Length);
            foreach (var n in e.MergedNhsNumbers)
            {
                w.Text(n);
            }

            w.Text(e.SupersededNhsNumber);
            w.Text(e.CurrentNhsNumber);
            w.Text(e.SupersessionNoticeId);
            w.Flag(e.AlertDetailsWithheld);
            w.Int(e.PatientDeathDate?.DayNumber ?? -1);
        }

        return w.ToArray();
    }

    /// <summary>Fingerprint of the content alone: a retried event must match it to count as the same event.</summary>
    public static byte[] ContentFingerprint(AuditEventRow e) => SHA256.HashData(Content(e));

    /// <summary>The chain hash of an event given its previous hash and chain position.</summary>
    public static byte[] ChainHash(AuditEventRow e, ReadOnlySpan<byte> previousHash)
    {
        var content = Content(e);
        var buffer = new byte[HashLength + 4 + 8 + 8 + content.Length];
        var span = buffer.AsSpan();
        previousHash.CopyTo(span);
        BinaryPrimitives.WriteInt32BigEndian(span[HashLength..], e.ChainPartition);
        BinaryPrimitives.WriteInt64BigEndian(span[(HashLength + 4)..], e.ChainSequence);
        BinaryPrimitives.WriteInt64BigEndian(span[(HashLength + 12)..], Micros(e.RecordTime));
        content.CopyTo(span[(HashLength + 20)..]);
        return SHA256.HashData(buffer);
    }

    private static long Micros(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    private sealed class Writer
    {
        private readonly MemoryStream _stream = new(512);
        private readonly byte[] _scratch = new byte[8];

        public void Bytes(ReadOnlySpan<byte> value)
        {
            Int(value.Length);
            _stream.Write(value);
        }

        public void Text(string? value) => Bytes(Encoding.UTF8.GetBytes(value ?? string.Empty));

        public void Int(int value)
        {
            BinaryPrimitives.WriteInt32BigEndian(_scratch, value);
            _stream.Write(_scratch, 0, 4);
        }

        public void Long(long value)
        {
            BinaryPrimitives.WriteInt64BigEndian(_scratch, value);
            _stream.Write(_scratch, 0, 8);
        }

        public void Time(DateTimeOffset value) => Long(Micros(value));

        public void Flag(bool? value) => _stream.WriteByte(value switch { null => 0, false => 1, true => 2 });

        public byte[] ToArray() => _stream.ToArray();
    }
}

/// <summary>Chooses an event's chain partition: stable across processes and deployments.</summary>
public static class ChainPartitioner
{
    /// <summary>
    /// A patient's events always go to the same chain: SHA-256 of the NHS number (or of the
    /// event id for events about no patient), first four bytes, modulo the partition count.
    /// Unkeyed on purpose: the partition reveals a few bits only, and must not change when
    /// a key is rotated.
    /// </summary>
    public static int PartitionOf(string? nhsNumber, Guid eventId, int partitions)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.ASCII.GetBytes(string.IsNullOrEmpty(nhsNumber) ? eventId.ToString("N") : nhsNumber), hash);
        return (int)(BinaryPrimitives.ReadUInt32BigEndian(hash) % (uint)partitions);
    }
}
