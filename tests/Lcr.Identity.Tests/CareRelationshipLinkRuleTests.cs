using Lcr.Identity.Domain;
using Lcr.Identity.Persistence;

namespace Lcr.Identity.Tests;

/// <summary>When a care relationship links an organisation to its patient (CheckOrganisationLink), without a host.</summary>
public class CareRelationshipLinkRuleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly Guid Professional = Guid.NewGuid();

    private static CareRelationshipRow Relationship(RelationshipSubject kind, string subject, string recordedBy = "RR8",
        DateTimeOffset? start = null, DateTimeOffset? end = null) => new()
    {
        NhsNumber = "9990000018",
        SubjectKind = kind,
        SubjectValue = subject,
        SourceOrganisation = recordedBy,
        SourceEntryId = "x",
        RecordedBy = "feed",
        StartTime = start ?? T0,
        EndTime = end,
    };

    [Fact]
    public void The_recording_organisation_the_named_organisation_and_the_owner_of_the_named_team_are_linked()
    {
        Assert.True(CareRelationshipLinkRule.Links(Relationship(RelationshipSubject.Organisation, "RR8", recordedBy: "B86001"), "B86001"));
        Assert.True(CareRelationshipLinkRule.Links(Relationship(RelationshipSubject.Organisation, "B86001"), "B86001"));
        Assert.True(CareRelationshipLinkRule.Links(Relationship(RelationshipSubject.Team, "B86001:EXTENDED"), "B86001"));
        Assert.False(CareRelationshipLinkRule.Links(Relationship(RelationshipSubject.Team, "RR8:WARD-12"), "B86001"));
        Assert.False(CareRelationshipLinkRule.Links(Relationship(RelationshipSubject.Organisation, "RR8"), "B86001"));
    }

    [Fact]
    public void A_named_professional_links_only_the_recording_organisation_not_their_other_employers()
    {
        var named = Relationship(RelationshipSubject.Professional, Professional.ToString(), recordedBy: "RGD", start: T0, end: T0.AddDays(10));
        Assert.True(CareRelationshipLinkRule.Links(named, "RGD"));
        Assert.False(CareRelationshipLinkRule.Links(named, "B86002"), "a second employer of the professional is not linked");
    }
}
