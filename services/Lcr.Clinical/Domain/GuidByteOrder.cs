namespace Lcr.Clinical.Domain;

/// <summary>Orders GUIDs as PostgreSQL orders uuids (byte by byte, big-endian).</summary>
internal sealed class GuidByteOrder : IComparer<Guid>
{
    public static readonly GuidByteOrder Instance = new();

    public int Compare(Guid x, Guid y)
    {
        Span<byte> a = stackalloc byte[16];
        Span<byte> b = stackalloc byte[16];
        x.TryWriteBytes(a, bigEndian: true, out _);
        y.TryWriteBytes(b, bigEndian: true, out _);
        return a.SequenceCompareTo(b);
    }
}
