namespace Lcr.Identity.Persistence;

/// <summary>
/// One sign-in throttle counter (table <c>sign_in_throttles</c>): scope <c>route</c> (account
/// and source), <c>source</c> (account empty) or <c>account</c> (source empty). The account is
/// a SHA-256 of the normalised user name, whether or not such a professional exists, so the
/// table never holds what an attacker typed and unknown names are throttled like real ones.
/// </summary>
public sealed class SignInThrottleRow
{
    public required string Scope { get; set; }
    public required string Account { get; set; }
    public required string Source { get; set; }
    public int Failures { get; set; }
    public DateTimeOffset? LastFailureAt { get; set; }
    public DateTimeOffset? BlockedUntil { get; set; }
    public DateTimeOffset? LastSuccessAt { get; set; }
}
