namespace Lcr.Cli.SubjectAccess;

/// <summary>
/// One piece of a Bundle file read by <see cref="BundleStreamReader"/>: a top-level string
/// element (<see cref="Name"/>, <see cref="Value"/>: id, timestamp...) or one <c>Bundle.entry</c>
/// (<see cref="Json"/>, valid until the next read, and its byte <see cref="Offset"/> in the file).
/// </summary>
internal readonly record struct BundleItem(string? Name, string? Value, long Offset, ReadOnlyMemory<byte> Json)
{
    public bool IsEntry => Name is null;
}
