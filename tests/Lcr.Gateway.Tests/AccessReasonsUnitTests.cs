using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Gateway.Fhir;
using Lcr.Gateway.Records;
using Lcr.Gateway.SubjectAccess;
using Lcr.Identity.V1;
using Lcr.Security;
using R4 = Hl7.Fhir.Model;

namespace Lcr.Gateway.Tests;

/// <summary>Issue 20: a reason for every access, in words a patient understands (the wording table and the log's rules, without a host).</summary>
public class AccessReasonsUnitTests
{
    private const string FreeText = "Mrs Jones next door asked me to look XYZZY";

    [Theory]
    [InlineData(CareRelationshipKind.RegisteredGp, "direct care: registered with this GP practice")]
    [InlineData(CareRelationshipKind.InpatientEpisode, "direct care: inpatient stay")]
    [InlineData(CareRelationshipKind.OutpatientEpisode, "direct care: outpatient care")]
    [InlineData(CareRelationshipKind.Referral, "direct care: referral")]
    [InlineData(CareRelationshipKind.SocialCareCase, "direct care: social care support")]
    [InlineData(CareRelationshipKind.MentalHealthCareTeam, "direct care: mental health care team")]
    [InlineData(CareRelationshipKind.CommunityCareEpisode, "direct care: community health care")]
    [InlineData(CareRelationshipKind.SelfClaimed, "direct care: care the professional recorded themselves")]
    [InlineData(CareRelationshipKind.Unspecified, "direct care")]
    public void Direct_care_says_which_relationship_it_rests_on(CareRelationshipKind kind, string expected) =>
        Assert.Equal(expected, AccessReasons.Describe(PurposeOfUse.DirectCare, kind, SelfClaimReason.Unspecified, EmergencyAccessReason.Unspecified, false));

    [Theory]
    [InlineData(SelfClaimReason.ClinicAttendanceNotYetRecorded, "clinic appointment")]
    [InlineData(SelfClaimReason.ReferralReceived, "referral received")]
    [InlineData(SelfClaimReason.PatientPresented, "you came to see them")]
    [InlineData(SelfClaimReason.Safeguarding, "safeguarding")]
    [InlineData(SelfClaimReason.Other, "other reason")]
    public void A_self_claim_says_so_with_its_coded_reason(SelfClaimReason reason, string words)
    {
        Assert.Equal("direct care: care the professional recorded themselves - " + words,
            AccessReasons.Describe(PurposeOfUse.DirectCare, CareRelationshipKind.SelfClaimed, reason, EmergencyAccessReason.Unspecified, false));
        // The self-claim reason alone marks the relationship as self-claimed.
        Assert.Equal("direct care: care the professional recorded themselves - " + words,
            AccessReasons.Describe(PurposeOfUse.DirectCare, CareRelationshipKind.Unspecified, reason, EmergencyAccessReason.Unspecified, false));
    }

    [Theory]
    [InlineData(EmergencyAccessReason.ClinicalEmergency, "clinical emergency")]
    [InlineData(EmergencyAccessReason.RelationshipNotYetRecorded, "caring for you before it was recorded")]
    [InlineData(EmergencyAccessReason.Safeguarding, "safeguarding")]
    [InlineData(EmergencyAccessReason.LegalRequirement, "legal requirement")]
    [InlineData(EmergencyAccessReason.Other, "other reason")]
    public void Emergency_access_says_so_with_its_coded_reason_and_whether_it_broke_into_a_sealed_record(EmergencyAccessReason reason, string words)
    {
        Assert.Equal("emergency access - " + words,
            AccessReasons.Describe(PurposeOfUse.EmergencyCare, CareRelationshipKind.Unspecified, SelfClaimReason.Unspecified, reason, false));
        Assert.Equal("emergency access to your sealed record - " + words,
            AccessReasons.Describe(PurposeOfUse.EmergencyCare, CareRelationshipKind.Unspecified, SelfClaimReason.Unspecified, reason, true));
    }

    [Fact]
    public void Other_purposes_have_words_of_their_own()
    {
        string Of(PurposeOfUse p) => AccessReasons.Describe(p, CareRelationshipKind.Unspecified, SelfClaimReason.Unspecified, EmergencyAccessReason.Unspecified, false);
        Assert.Equal("information governance", Of(PurposeOfUse.InformationGovernance));
        Assert.Equal("answering your request for your records", Of(PurposeOfUse.SubjectAccessRequest));
        Assert.Equal("adding information to your record", Of(PurposeOfUse.RecordContribution));
        Assert.Equal("emergency access", Of(PurposeOfUse.EmergencyCare));
        Assert.Equal("reason not recorded", Of(PurposeOfUse.Unspecified));
    }

    [Fact]
    public void Every_combination_has_plain_words_and_none_of_the_professionals_own_text()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var purpose in Enum.GetValues<PurposeOfUse>())
        foreach (var kind in Enum.GetValues<CareRelationshipKind>())
        foreach (var claim in Enum.GetValues<SelfClaimReason>())
        foreach (var emergency in Enum.GetValues<EmergencyAccessReason>())
        foreach (var sealedGlass in new[] { false, true })
        {
            var words = AccessReasons.Describe(purpose, kind, claim, emergency, sealedGlass);
            Assert.False(string.IsNullOrWhiteSpace(words));
            Assert.DoesNotContain('_', words);                     // never an enum name
            Assert.True(char.IsLower(words[0]));                  // one style: starts lower case, as part of a sentence
            seen.Add(words);

            // From an event carrying the professional's free text everywhere it can: none of it shows.
            var e = Event(purpose, kind, claim, emergency, sealedGlass);
            var fromEvent = AccessReasons.Of(e);
            Assert.DoesNotContain("XYZZY", fromEvent, StringComparison.Ordinal);
            Assert.DoesNotContain("XYZZY", AccessLogLine.From(e).ToString(), StringComparison.Ordinal);
        }

        Assert.True(seen.Count > 20);
    }

    [Fact]
    public void An_event_is_described_from_its_purpose_basis_kind_and_seal()
    {
        var direct = new AuditEvent { PurposeOfUse = PurposeOfUse.DirectCare, CareRelationshipId = "r-1", CareRelationshipKind = CareRelationshipKind.InpatientEpisode };
        Assert.Equal("direct care: inpatient stay", AccessReasons.Of(direct));

        // An event recorded before kinds were recorded still has a reason from its purpose.
        Assert.Equal("direct care", AccessReasons.Of(new AuditEvent { PurposeOfUse = PurposeOfUse.DirectCare, CareRelationshipId = "r-1" }));
        Assert.Equal("emergency access - safeguarding", AccessReasons.Of(new AuditEvent
        {
            EmergencyAccess = new EmergencyAccessDetail { ReasonCode = EmergencyAccessReason.Safeguarding, ReasonText = FreeText },
        }));

        var sealedGlass = Event(PurposeOfUse.EmergencyCare, CareRelationshipKind.Unspecified, SelfClaimReason.Unspecified, EmergencyAccessReason.ClinicalEmergency, true);
        Assert.Equal("emergency access to your sealed record - clinical emergency", AccessReasons.Of(sealedGlass));

        var claimed = Event(PurposeOfUse.DirectCare, CareRelationshipKind.SelfClaimed, SelfClaimReason.ReferralReceived, EmergencyAccessReason.Unspecified, false);
        Assert.Equal("direct care: care the professional recorded themselves - referral received", AccessReasons.Of(claimed));
    }

    [Fact]
    public void An_access_log_line_carries_purpose_reason_self_claim_and_seal()
    {
        var e = Event(PurposeOfUse.DirectCare, CareRelationshipKind.SelfClaimed, SelfClaimReason.PatientPresented, EmergencyAccessReason.Unspecified, false);
        e.SealedRecord = new SealedRecordAccess { ViewerNamed = true };
        e.Action = AuditAction.ViewSummary;
        var line = AccessLogLine.From(e);
        Assert.Equal(PurposeOfUse.DirectCare, line.Purpose);
        Assert.Equal("direct care: care the professional recorded themselves - you came to see them", line.AccessReason);
        Assert.Equal(SelfClaimReason.PatientPresented, line.SelfClaimReason);
        Assert.True(line.SealedRecord);
        Assert.False(line.EmergencyAccess);

        var plain = AccessLogLine.From(new AuditEvent { Action = AuditAction.ViewSummary, PurposeOfUse = PurposeOfUse.InformationGovernance });
        Assert.Equal("information governance", plain.AccessReason);
        Assert.Equal(SelfClaimReason.Unspecified, plain.SelfClaimReason);
        Assert.False(plain.SealedRecord);
    }

    [Theory]
    [InlineData(AuditAction.SelfClaimedRelationship)]
    [InlineData(AuditAction.RecordSealed)]
    [InlineData(AuditAction.RecordUnsealed)]
    [InlineData(AuditAction.PrivacyReviewDecision)]
    [InlineData(AuditAction.CareRelationshipChange)]
    [InlineData(AuditAction.ConsentChange)]
    [InlineData(AuditAction.Contribution)]
    public void What_is_not_a_look_at_the_record_stays_out_of_the_patients_log(AuditAction action)
    {
        Assert.False(AccessLogPolicy.Lists(action, AuditOutcome.Permitted));
        Assert.False(AccessLogPolicy.Lists(action, AuditOutcome.Denied));
    }

    [Fact]
    public void Looks_are_listed_and_a_token_request_only_when_refused()
    {
        Assert.True(AccessLogPolicy.Lists(AuditAction.ViewSummary, AuditOutcome.Permitted));
        Assert.True(AccessLogPolicy.Lists(AuditAction.EmergencyAccess, AuditOutcome.Permitted));
        Assert.True(AccessLogPolicy.Lists(AuditAction.TokenIssued, AuditOutcome.Denied));
        Assert.False(AccessLogPolicy.Lists(AuditAction.TokenIssued, AuditOutcome.Permitted));
    }

    [Theory]
    [InlineData(PurposeOfUse.SubjectAccessRequest, true, "ACCESS_LOG_UNDER_REVIEW")]
    [InlineData(PurposeOfUse.InformationGovernance, true, null)]
    [InlineData(PurposeOfUse.SubjectAccessRequest, false, null)]
    [InlineData(PurposeOfUse.InformationGovernance, false, null)]
    public void Under_enhanced_review_only_information_governance_reads_the_log(PurposeOfUse purpose, bool underReview, string? refusal)
    {
        var token = new VerifiedAccessToken("jti", "prof-1", "Ms IG", "B86001", "LCR-IG01", "ra-1", "9000000009", purpose,
            new HashSet<RecordCategory>(), null, null, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(5), "kid");
        var result = AccessLogPolicy.CheckReview(token, underReview);
        Assert.Equal(refusal, result?.Reason);
        if (result is { } r)
        {
            Assert.Equal(AuditDenialReason.AccessLogUnderReview, r.AuditReason);
        }
    }

    [Fact]
    public void The_exports_audit_events_give_the_same_words_and_no_free_text()
    {
        var context = FhirMappingContext.ForBundle("9000000009", DateTimeOffset.UtcNow);
        var e = Event(PurposeOfUse.EmergencyCare, CareRelationshipKind.Unspecified, SelfClaimReason.Unspecified, EmergencyAccessReason.ClinicalEmergency, false);
        e.EventId = Guid.NewGuid().ToString();
        var mapped = AuditEventMapper.Map(e, context);
        var purpose = Assert.Single(mapped.PurposeOfEvent);
        Assert.Equal("ETREAT", purpose.Coding[0].Code);
        Assert.Equal(AccessLogLine.From(e).AccessReason, purpose.Text);
        Assert.DoesNotContain("XYZZY", mapped.Text!.Div, StringComparison.Ordinal);
        Assert.DoesNotContain("XYZZY", purpose.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_withheld_access_log_is_one_statement_in_place_of_the_audit_events()
    {
        var data = new SubjectAccessData("bundle-1", DateTimeOffset.UtcNow, "9000000009", null, null, [],
            [new AuditEvent { EventId = Guid.NewGuid().ToString(), PurposeOfUse = PurposeOfUse.DirectCare }]) { AccessLogWithheld = true };
        var bundle = FhirBundleBuilder.Build(data);
        Assert.Empty(bundle.Entry.Select(x => x.Resource).OfType<R4.AuditEvent>());
        var outcome = Assert.Single(bundle.Entry.Select(x => x.Resource).OfType<R4.OperationOutcome>());
        var issue = Assert.Single(outcome.Issue);
        Assert.Equal(FhirBundleBuilder.AccessLogUnderReview, issue.Details!.Coding[0].Code);
        Assert.Contains("withheld while it is reviewed", issue.Details.Text, StringComparison.Ordinal);

        var open = FhirBundleBuilder.Build(data with { AccessLogWithheld = false });
        Assert.Single(open.Entry.Select(x => x.Resource).OfType<R4.AuditEvent>());
        Assert.Empty(open.Entry.Select(x => x.Resource).OfType<R4.OperationOutcome>());
    }

    private static AuditEvent Event(PurposeOfUse purpose, CareRelationshipKind kind, SelfClaimReason claim, EmergencyAccessReason emergency, bool sealedGlass)
    {
        var e = new AuditEvent { PurposeOfUse = purpose, CareRelationshipKind = kind };
        if (emergency != EmergencyAccessReason.Unspecified)
        {
            e.EmergencyAccess = new EmergencyAccessDetail { ReasonCode = emergency, ReasonText = FreeText };
        }
        else if (claim != SelfClaimReason.Unspecified)
        {
            e.SelfClaim = new SelfClaimDetail { CareRelationshipId = "r-1", ReasonCode = claim, ReasonText = FreeText };
        }
        else
        {
            e.CareRelationshipId = "r-1";
        }

        if (sealedGlass)
        {
            e.SealedRecord = new SealedRecordAccess { BreakGlassJustification = FreeText };
        }

        return e;
    }
}
