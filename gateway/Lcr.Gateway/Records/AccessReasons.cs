using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Identity.V1;

namespace Lcr.Gateway.Records;

/// <summary>
/// Why someone accessed a patient's record, in words a patient understands: the one wording
/// table of the platform, used by the patient-facing access log (<see cref="AccessLogLine"/>)
/// and by the subject access export's AuditEvents (so the readable copy shows the same words).
/// Pure. Built only from coded values (purpose, relationship kind, self-claim reason, emergency
/// reason, sealed-record break-glass): the professional's own free text is never part of it,
/// because it is written for privacy officers and may mention other people. Events recorded
/// before relationship kinds were recorded still get a reason from their purpose.
/// </summary>
public static class AccessReasons
{
    /// <summary>The reason of one audit event.</summary>
    public static string Of(AuditEvent e)
    {
        var selfClaim = e.AccessBasisCase == AuditEvent.AccessBasisOneofCase.SelfClaim ? e.SelfClaim.ReasonCode : SelfClaimReason.Unspecified;
        var emergency = e.AccessBasisCase == AuditEvent.AccessBasisOneofCase.EmergencyAccess;
        return Describe(
            emergency ? PurposeOfUse.EmergencyCare : e.PurposeOfUse,
            e.CareRelationshipKind,
            selfClaim,
            emergency ? e.EmergencyAccess.ReasonCode : EmergencyAccessReason.Unspecified,
            sealedRecordBreakGlass: !string.IsNullOrEmpty(e.SealedRecord?.BreakGlassJustification));
    }

    /// <summary>
    /// The reason from its coded parts. A self-claim reason other than Unspecified marks the
    /// relationship as self-claimed whatever <paramref name="kind"/> says.
    /// </summary>
    public static string Describe(PurposeOfUse purpose, CareRelationshipKind kind, SelfClaimReason selfClaim, EmergencyAccessReason emergency,
        bool sealedRecordBreakGlass) => purpose switch
    {
        PurposeOfUse.DirectCare => DirectCare(kind, selfClaim),
        PurposeOfUse.EmergencyCare => sealedRecordBreakGlass
            ? "emergency access to your sealed record" + Suffix(Emergency(emergency))
            : "emergency access" + Suffix(Emergency(emergency)),
        PurposeOfUse.InformationGovernance => "information governance",
        PurposeOfUse.SubjectAccessRequest => "answering your request for your records",
        PurposeOfUse.RecordContribution => "adding information to your record",
        _ => "reason not recorded",
    };

    private static string DirectCare(CareRelationshipKind kind, SelfClaimReason selfClaim)
    {
        if (selfClaim != SelfClaimReason.Unspecified || kind == CareRelationshipKind.SelfClaimed)
        {
            return "direct care: care the professional recorded themselves" + Suffix(SelfClaim(selfClaim));
        }

        var words = kind switch
        {
            CareRelationshipKind.RegisteredGp => "registered with this GP practice",
            CareRelationshipKind.InpatientEpisode => "inpatient stay",
            CareRelationshipKind.OutpatientEpisode => "outpatient care",
            CareRelationshipKind.Referral => "referral",
            CareRelationshipKind.SocialCareCase => "social care support",
            CareRelationshipKind.MentalHealthCareTeam => "mental health care team",
            CareRelationshipKind.CommunityCareEpisode => "community health care",
            _ => null,
        };
        return words is null ? "direct care" : "direct care: " + words;
    }

    /// <summary>A self-claim's coded reason in words; null when not given.</summary>
    public static string? SelfClaim(SelfClaimReason reason) => reason switch
    {
        SelfClaimReason.ClinicAttendanceNotYetRecorded => "clinic appointment",
        SelfClaimReason.ReferralReceived => "referral received",
        SelfClaimReason.PatientPresented => "you came to see them",
        SelfClaimReason.Safeguarding => "safeguarding",
        SelfClaimReason.Other => "other reason",
        _ => null,
    };

    /// <summary>An emergency access reason in words; null when not given.</summary>
    public static string? Emergency(EmergencyAccessReason reason) => reason switch
    {
        EmergencyAccessReason.ClinicalEmergency => "clinical emergency",
        EmergencyAccessReason.RelationshipNotYetRecorded => "caring for you before it was recorded",
        EmergencyAccessReason.Safeguarding => "safeguarding",
        EmergencyAccessReason.LegalRequirement => "legal requirement",
        EmergencyAccessReason.Other => "other reason",
        _ => null,
    };

    private static string Suffix(string? words) => words is null ? string.Empty : " - " + words;
}
