using Grpc.Core;
using Lcr.Common.V1;

namespace Lcr.Gateway.Downstream;

/// <summary>
/// Transitional adapter over the typed clients for call sites not yet rewritten to
/// <c>client.MethodAsync(request, DownstreamCalls.As(actor, context))</c>: everything
/// (deadline, credential, breaker, translation) is done by <see cref="DownstreamInterceptor"/>.
/// </summary>
public sealed class Downstream(
    Lcr.Identity.V1.IdentityService.IdentityServiceClient identity,
    Lcr.Demographics.V1.DemographicsService.DemographicsServiceClient demographics,
    Lcr.Consent.V1.ConsentService.ConsentServiceClient consent,
    Lcr.Clinical.V1.ClinicalRecordService.ClinicalRecordServiceClient clinical,
    Lcr.Audit.V1.AuditService.AuditServiceClient audit)
{
    public Lcr.Identity.V1.IdentityService.IdentityServiceClient Identity => identity;
    public Lcr.Demographics.V1.DemographicsService.DemographicsServiceClient Demographics => demographics;
    public Lcr.Consent.V1.ConsentService.ConsentServiceClient Consent => consent;
    public Lcr.Clinical.V1.ClinicalRecordService.ClinicalRecordServiceClient Clinical => clinical;
    public Lcr.Audit.V1.AuditService.AuditServiceClient Audit => audit;

    /// <summary>See <see cref="DownstreamCalls.As(Actor, ServerCallContext, Metadata?)"/>.</summary>
    public CallOptions Options(ServerCallContext context, Actor actor, Metadata? extraHeaders = null) =>
        DownstreamCalls.As(actor, context, extraHeaders);

    /// <summary>Awaits the call (the interceptor does the rest).</summary>
    public async Task<TResponse> CallAsync<TResponse>(string service, Func<AsyncUnaryCall<TResponse>> call, CancellationToken cancellationToken) =>
        await call();
}
