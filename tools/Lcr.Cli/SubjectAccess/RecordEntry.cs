namespace Lcr.Cli.SubjectAccess;

/// <summary>One entry of the record (one platform entry id) with every version, oldest first.</summary>
internal sealed record RecordEntry(string EntryId, EntryCategory Category, string OrganisationKey, List<EntryVersion> Versions)
{
    /// <summary>The latest version: the entry as it stands now.</summary>
    public EntryVersion Current => Versions[^1];
}
