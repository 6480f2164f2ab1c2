using Lcr.Common.V1;
using Lcr.Security;

namespace Lcr.Gateway.Records;

/// <summary>
/// The view-surge rule (a Protenus-style rule): more distinct professionals than
/// <see cref="ViewSurgeOptions.DistinctViewers"/> viewing one record within
/// <see cref="ViewSurgeOptions.Window"/> seals it automatically until an IG officer reviews it. Pure.
/// </summary>
public static class ViewSurgeRule
{
    /// <summary>
    /// True for a view that counts: a permitted read of a record that is not sealed, made by a
    /// professional with a direct-care (feed-recorded or self-claimed relationship) or emergency
    /// access token. A sealed record is already protected, and its named viewers are expected.
    /// </summary>
    public static bool Counts(VerifiedAccessToken token, SealedRecordAccessKind seal) =>
        seal == SealedRecordAccessKind.NotSealed &&
        token.Purpose is PurposeOfUse.DirectCare or PurposeOfUse.EmergencyCare &&
        !string.IsNullOrEmpty(token.ProfessionalId);

    /// <summary>True when the distinct viewers counted within the window exceed the limit.</summary>
    public static bool Exceeded(long distinctViewers, ViewSurgeOptions options) => distinctViewers > options.DistinctViewers;

    /// <summary>Views older than this (the window back from <paramref name="now"/>) are dropped from the count.</summary>
    public static DateTimeOffset WindowStart(DateTimeOffset now, ViewSurgeOptions options) => now - options.Window;

    /// <summary>When the automatic seal is to be reviewed.</summary>
    public static DateTimeOffset ReviewTime(DateTimeOffset now, ViewSurgeOptions options) => now + options.ReviewAfter;
}
