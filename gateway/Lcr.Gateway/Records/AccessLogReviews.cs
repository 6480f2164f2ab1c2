using Grpc.Core;
using Lcr.Consent.V1;
using Lcr.Gateway.Downstream;

namespace Lcr.Gateway.Records;

/// <summary>
/// Whether an IG officer holds the patient's access log for enhanced review
/// (ConsentService.StartAccessLogReview): the consent state read as the platform with an
/// internal GetConsent (consent caches it and versions it on every change, so a review started
/// or completed is seen by the next call). Consent unreachable is UNAVAILABLE, never a guess:
/// a log under review must not be given because the check could not be made.
/// </summary>
public static class AccessLogReviews
{
    public static async Task<bool> IsUnderReviewAsync(ConsentService.ConsentServiceClient consent, string nhsNumber, ServerCallContext context)
    {
        var state = await consent.GetConsentAsync(new GetConsentRequest { NhsNumber = nhsNumber }, DownstreamCalls.As(PlatformActor.Gateway, context));
        return state.Consent?.AccessLogReview is not null;
    }
}
