using Lcr.Audit.V1;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Gateway.Access;
using Lcr.Gateway.Records;
using Lcr.Gateway.V1;
using Lcr.Security;

namespace Lcr.Gateway.Tests;

/// <summary>The gateway's pure audit and filtering rules, without a host.</summary>
public class AuditRulesUnitTests
{
    private static Entry E(RecordCategory category, string ods = "B86001") => new()
    {
        Id = Guid.NewGuid().ToString(),
        Category = category,
        Sensitivity = Sensitivity.Normal,
        Provenance = new Provenance { SourceOrganisation = new OrganisationReference { OdsCode = ods } },
    };

    private static VerifiedAccessToken Token(PurposeOfUse purpose, string role = "LCR-IG01", string nhs = "9000000009") => new(
        "jti", "prof-1", "Dr A", "B86001", role, "ra-1", nhs, purpose, new HashSet<RecordCategory>(), null, null,
        DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(5), "kid");

    private static GovernanceOptions Governance()
    {
        var o = new GovernanceOptions();
        o.InformationGovernanceRoles.Add("LCR-IG01");
        return o;
    }

    [Fact]
    public void An_event_names_the_categories_of_what_the_response_holds_and_nothing_else()
    {
        var e = new AuditEvent();
        var problem = E(RecordCategory.Problems);
        ReleasedContent.Describe(e, [problem], [
            new CategoryCount { Category = RecordCategory.Problems, Count = 1 },
            new CategoryCount { Category = RecordCategory.Documents, Count = 0 },   // every document withheld
            new CategoryCount { Category = RecordCategory.Allergies, Count = 2 },   // counted, none listed (e.g. refuted)
        ], demographics: true);
        Assert.Equal([RecordCategory.Demographics, RecordCategory.Problems, RecordCategory.Allergies], e.ReturnedCategories);
        Assert.Equal([problem.Id], e.ReturnedEntryIds);

        var empty = new AuditEvent { ReturnedCategories = { RecordCategory.Documents } };
        ReleasedContent.Describe(empty, []);
        Assert.Empty(empty.ReturnedCategories);
        Assert.Empty(empty.ReturnedEntryIds);
    }

    [Fact]
    public void A_composed_view_is_described_by_what_it_holds()
    {
        var scope = new AccessScope([RecordCategory.Problems, RecordCategory.Documents], new EvaluateAccessResponse { Decision = AccessDecision.Permit });
        var summary = new RecordSummary
        {
            ActiveProblems = { E(RecordCategory.Problems) },
            EntryCounts = { new EntryCount { Category = RecordCategory.Problems, SourceOrganisationOdsCode = "B86001", Count = 4 } },
        };
        var view = RecordFilter.Compose(summary, null, scope);
        Assert.Equal([RecordCategory.Problems, RecordCategory.Documents], view.ReturnedCategories); // what the role may see
        var e = new AuditEvent();
        ReleasedContent.Describe(e, view);
        Assert.Equal([RecordCategory.Problems], e.ReturnedCategories); // what was actually shown
    }

    [Fact]
    public void The_summary_request_carries_every_exclusion_of_the_scope()
    {
        var decision = new EvaluateAccessResponse
        {
            Decision = AccessDecision.Permit,
            WithheldEntryIds = { Enumerable.Range(0, 80).Select(_ => Guid.NewGuid().ToString()) },
            WithheldOrganisationOdsCodes = { "RGD" },
            WithheldCategories = { RecordCategory.Documents },
        };
        var scope = new AccessScope([RecordCategory.Problems, RecordCategory.Documents], decision);
        var request = RecordFilter.SummaryRequest("9000000009", scope,
            [RecordCategory.Problems, RecordCategory.Medications, RecordCategory.Allergies, RecordCategory.TestResults, RecordCategory.Documents]);
        Assert.Equal(80, request.ExcludedEntryIds.Count);
        Assert.Equal(["RGD"], request.ExcludedSourceOrganisationOdsCodes);
        Assert.Equal([RecordCategory.Medications, RecordCategory.Allergies, RecordCategory.TestResults, RecordCategory.Documents], request.ExcludedCategories);
        Assert.True(request.ExcludeSensitive);
    }

    [Fact]
    public void The_access_log_needs_this_patient_an_ig_purpose_and_an_ig_role()
    {
        var nhs = "9000000009";
        Assert.Null(AccessLogPolicy.Check(Token(PurposeOfUse.SubjectAccessRequest), nhs, Governance()));
        Assert.Null(AccessLogPolicy.Check(Token(PurposeOfUse.InformationGovernance), nhs, Governance()));
        Assert.Equal(AuditDenialReason.PatientMismatch, AccessLogPolicy.Check(Token(PurposeOfUse.SubjectAccessRequest), "9000000017", Governance())?.AuditReason);
        Assert.Equal(AuditDenialReason.PurposeNotPermitted, AccessLogPolicy.Check(Token(PurposeOfUse.DirectCare), nhs, Governance())?.AuditReason);
        Assert.Equal(AuditDenialReason.RoleNotPermitted, AccessLogPolicy.Check(Token(PurposeOfUse.SubjectAccessRequest, "R8000"), nhs, Governance())?.AuditReason);
    }

    [Fact]
    public void An_access_log_line_names_a_professional_or_a_system_but_never_the_platform()
    {
        AuditEvent Event(Actor actor) => new()
        {
            Action = AuditAction.TokenIssued, Outcome = AuditOutcome.Denied, Actor = actor,
            OccurrenceTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
        };

        var professional = AccessLogLine.From(Event(new Actor
        {
            Kind = ActorKind.Professional, Id = "p-1", DisplayName = "Dr Priya Shah", RoleCode = "R8000",
            Organisation = new OrganisationReference { OdsCode = "B86001" },
        }));
        Assert.Equal(("Dr Priya Shah", "Clinical practitioner", "B86001"), (professional.ViewerName, professional.ViewerRoleName, professional.Organisation.OdsCode));

        // Signed in but no role chosen yet (a session token): the name, no role, no organisation.
        var session = AccessLogLine.From(Event(new Actor { Kind = ActorKind.Professional, Id = "p-2", DisplayName = "Dr Omar Haddad", Organisation = new() }));
        Assert.Equal(("Dr Omar Haddad", string.Empty), (session.ViewerName, session.ViewerRoleName));
        Assert.Null(session.Organisation);

        var system = AccessLogLine.From(Event(new Actor
        {
            Kind = ActorKind.System, Id = "rr8-ppm", DisplayName = "PPM+ at Leeds Teaching Hospitals", Organisation = new OrganisationReference { OdsCode = "RR8" },
        }));
        Assert.Equal(("PPM+ at Leeds Teaching Hospitals", string.Empty, "RR8"), (system.ViewerName, system.ViewerRoleName, system.Organisation.OdsCode));

        var platform = AccessLogLine.From(Event(Lcr.Gateway.Downstream.PlatformActor.Gateway));
        Assert.Equal((string.Empty, string.Empty), (platform.ViewerName, platform.ViewerRoleName));
        Assert.Null(platform.Organisation);
        Assert.Equal(AuditOutcome.Denied, platform.Outcome);
    }
}
