namespace Lcr.Gateway.SubjectAccess;

/// <summary>
/// Annotation on a current document's DocumentReference: its content (the platform entry id
/// <paramref name="EntryId"/>) is fetched and attached only while the resource is written out
/// (<see cref="SubjectAccessBundleWriter"/>), so an export holds one document's content at a time.
/// </summary>
public sealed record PendingDocumentContent(string EntryId);
