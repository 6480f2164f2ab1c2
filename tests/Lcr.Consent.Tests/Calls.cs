using Lcr.Common.V1;
using Lcr.Consent.V1;

namespace Lcr.Consent.Tests;

/// <summary>Request builders shared by the integration tests.</summary>
internal static class Calls
{
    public const string Viewer = "7d1e5b8a-2c4f-4a9e-8b3d-6f0a1c2e3d4b";
    public const string OtherViewer = "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d";

    public static EvaluateAccessRequest Evaluate(string nhs, string viewer = Viewer, string org = "RR8", bool emergency = false,
        params RecordCategory[] categories) => new()
    {
        NhsNumber = nhs,
        ViewerProfessionalId = viewer,
        ViewerOrganisationOdsCode = org,
        ViewerRoleCode = "R8000",
        Emergency = emergency,
        RequestedCategories = { categories },
    };

    public static RecordOptOutRequest OptOut(string nhs, ConsentChannel channel = ConsentChannel.Telephone) => new()
    {
        NhsNumber = nhs,
        Channel = channel,
        Reason = "Telephone call, ref IG/1234",
    };

    public static WithdrawOptOutRequest OptIn(string nhs) => new()
    {
        NhsNumber = nhs,
        Channel = ConsentChannel.Letter,
        Reason = "Letter dated 3 March, ref IG/2291",
    };

    public static AddRestrictionRequest Add(string nhs, Restriction restriction, string? requestId = null)
    {
        restriction.Reason = string.IsNullOrEmpty(restriction.Reason) ? "Patient request, ref IG/77" : restriction.Reason;
        restriction.Channel = restriction.Channel == ConsentChannel.Unspecified ? ConsentChannel.InPerson : restriction.Channel;
        return new AddRestrictionRequest { NhsNumber = nhs, Restriction = restriction, RequestId = requestId ?? Guid.NewGuid().ToString() };
    }

    public static Restriction WithholdOrganisation(string ods) => new() { WithheldOrganisation = new OrganisationReference { OdsCode = ods } };

    public static Restriction BlockOrganisation(string ods) => new() { BlockedOrganisation = new OrganisationReference { OdsCode = ods } };

    public static Restriction WithholdCategory(RecordCategory c) => new() { WithheldCategory = c };

    public static Restriction BlockProfessional(string id) => new() { BlockedProfessionalId = id };

    public static Restriction ReleaseSensitive() => new() { SensitiveEntriesRelease = new SensitiveEntriesRelease() };

    public static RemoveRestrictionRequest Remove(string nhs, string id) => new()
    {
        NhsNumber = nhs,
        RestrictionId = id,
        Reason = "Patient changed their mind, ref IG/78",
        Channel = ConsentChannel.Telephone,
    };
}
