using Lcr.Audit.V1;
using Lcr.ServiceDefaults;

namespace Lcr.Gateway.Patients;

/// <summary>
/// The answer to a door asked about a superseded NHS number: FAILED_PRECONDITION
/// NHS_NUMBER_SUPERSEDED with the number now in use as ErrorInfo metadata
/// <c>current_nhs_number</c> (never in the message, which reaches logs), and no data.
/// </summary>
public static class SupersededNumber
{
    public const string Reason = "NHS_NUMBER_SUPERSEDED";

    /// <summary>The ErrorInfo metadata key carrying the number now in use.</summary>
    public const string CurrentKey = "current_nhs_number";

    public static FailedPreconditionException Refusal(string currentNhsNumber)
    {
        var refusal = new FailedPreconditionException(Reason,
            "This NHS number is superseded by another (the records were merged); use the NHS number in current_nhs_number instead. No data is given for this number.");
        refusal.Metadata[CurrentKey] = currentNhsNumber;
        return refusal;
    }

    /// <summary>The supersession detail of an event refused (or searched) under the superseded number.</summary>
    public static SupersessionDetail Detail(PatientResolution resolution) => new()
    {
        SupersededNhsNumber = resolution.NhsNumber,
        CurrentNhsNumber = resolution.CurrentNhsNumber,
    };
}
