using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Gateway.V1;
using Lcr.Security;

namespace Lcr.Gateway.Records;

/// <summary>How a viewer meets a sealed record on one read (<see cref="SealedRecordRule.Decide"/>).</summary>
public enum SealedRecordAccessKind
{
    /// <summary>The record is not sealed: read as usual.</summary>
    NotSealed,

    /// <summary>The viewer (professional, or the team their token rests on) is named on the seal: read as usual, flagged.</summary>
    ViewerNamed,

    /// <summary>Emergency access with a sealed-record justification: read as usual, flagged with the justification.</summary>
    BrokeGlass,

    /// <summary>Anyone else: the sealed notice (GetPatientRecord) or PERMISSION_DENIED RECORD_SEALED, audited as denied.</summary>
    Notice,
}

/// <summary>
/// The gateway's one rule for sealed records, applied after consent has PERMITTED the read
/// (an opt-out or a block is refused before a seal is looked at). Pure.
/// </summary>
public static class SealedRecordRule
{
    /// <summary>The ErrorInfo reason of a read refused because the record is sealed.</summary>
    public const string Reason = "RECORD_SEALED";

    /// <summary>What a viewer not named on the seal is told, in every door (gRPC, JSON, FHIR): nothing about the patient.</summary>
    public const string Message =
        "This record is sealed. Only the professionals named by the patient's organisation may see it; emergency access needs a " +
        "sealed-record justification and is alerted to your privacy officer at once.";

    /// <summary>The viewer's standing on this read, from consent's PERMIT and the access token.</summary>
    public static SealedRecordAccessKind Decide(EvaluateAccessResponse decision, VerifiedAccessToken token)
    {
        if (!decision.Sealed)
        {
            return SealedRecordAccessKind.NotSealed;
        }

        if (decision.ViewerNamedOnSeal)
        {
            return SealedRecordAccessKind.ViewerNamed;
        }

        return token.IsEmergency && !string.IsNullOrWhiteSpace(token.SealedRecordJustification)
            ? SealedRecordAccessKind.BrokeGlass
            : SealedRecordAccessKind.Notice;
    }

    /// <summary>What the audit event records of the seal; null when the record is not sealed.</summary>
    public static SealedRecordAccess? AuditDetail(SealedRecordAccessKind kind, VerifiedAccessToken token) => kind switch
    {
        SealedRecordAccessKind.ViewerNamed => new SealedRecordAccess { ViewerNamed = true },
        SealedRecordAccessKind.BrokeGlass => new SealedRecordAccess { BreakGlassJustification = token.SealedRecordJustification ?? string.Empty },
        SealedRecordAccessKind.Notice => new SealedRecordAccess { ViewerNamed = false },
        _ => null,
    };

    /// <summary>
    /// The notice: the plain words, and whether emergency access is worth trying. The access token
    /// does not say whether the role may break glass, so it is true for every direct-care or
    /// emergency token (identity refuses a role that may not) and false for information-governance
    /// and subject-access tokens, which never read a record.
    /// </summary>
    public static SealedRecordNotice Notice(VerifiedAccessToken token) => new()
    {
        Message = Message,
        EmergencyAccessPossible = token.Purpose is PurposeOfUse.DirectCare or PurposeOfUse.EmergencyCare,
    };

    /// <summary>True when the seal names the professional (case-insensitive platform id), as consent compares them.</summary>
    public static bool NamesProfessional(Seal seal, string professionalId) =>
        seal.AllowedProfessionalIds.Any(id => string.Equals(id, professionalId, StringComparison.OrdinalIgnoreCase));
}
