using Lcr.Audit.V1;

namespace Lcr.Audit.Domain;

/// <summary>
/// The decisions a privacy officer may take on a case. OPEN, FLAGGED_FOR_INVESTIGATION and
/// ESCALATED are open (a case may be flagged, then escalated, then closed); JUSTIFIED and BREACH
/// close it for good.
/// </summary>
public static class CaseTransitions
{
    /// <summary>True for the statuses that keep a case open to a later decision.</summary>
    public static bool IsOpen(PrivacyReviewCaseStatus status) => status is PrivacyReviewCaseStatus.Open
        or PrivacyReviewCaseStatus.FlaggedForInvestigation or PrivacyReviewCaseStatus.Escalated;

    /// <summary>True for the final statuses.</summary>
    public static bool IsClosed(PrivacyReviewCaseStatus status) => status is PrivacyReviewCaseStatus.Justified or PrivacyReviewCaseStatus.Breach;

    /// <summary>Whether a case in <paramref name="from"/> may move to the different status <paramref name="to"/>.</summary>
    public static bool CanMove(PrivacyReviewCaseStatus from, PrivacyReviewCaseStatus to) => from switch
    {
        PrivacyReviewCaseStatus.Open => to is PrivacyReviewCaseStatus.FlaggedForInvestigation or PrivacyReviewCaseStatus.Escalated
            or PrivacyReviewCaseStatus.Justified or PrivacyReviewCaseStatus.Breach,
        PrivacyReviewCaseStatus.FlaggedForInvestigation => to is PrivacyReviewCaseStatus.Escalated
            or PrivacyReviewCaseStatus.Justified or PrivacyReviewCaseStatus.Breach,
        PrivacyReviewCaseStatus.Escalated => to is PrivacyReviewCaseStatus.Justified or PrivacyReviewCaseStatus.Breach,
        _ => false,
    };

    /// <summary>The stored statuses of open cases (the database guard and the raised-at-access upsert use the same list).</summary>
    public static readonly int[] OpenStatusValues =
    [
        (int)PrivacyReviewCaseStatus.Open, (int)PrivacyReviewCaseStatus.FlaggedForInvestigation, (int)PrivacyReviewCaseStatus.Escalated,
    ];
}
