using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.ServiceDefaults;

namespace Lcr.Consent.Application;

/// <summary>
/// The consent decision every read the gateway does not hold asks for (EvaluateAccess), made for
/// an NHS number that is never issued before the process reports ready (<see cref="WarmUp"/>):
/// EF Core's model and queries, the snapshot tiers and their JIT are paid for before the first
/// real call. Reads only (an unknown patient's consent is the default, recorded nowhere).
/// </summary>
internal sealed class ConsentWarmUp : IWarmUpStep
{
    public string Name => "consent.evaluate";

    public async Task RunAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        await services.GetRequiredService<ConsentUseCases>().EvaluateAccessAsync(new EvaluateAccessRequest
        {
            NhsNumber = WarmUp.UnissuedNhsNumber,
            ViewerProfessionalId = "00000000-0000-0000-0000-000000000000",
            ViewerOrganisationOdsCode = "X00000",
            ViewerRoleCode = "R0000",
            RequestedCategories = { RecordCategory.Problems, RecordCategory.Medications, RecordCategory.Allergies },
        }, cancellationToken);
}
