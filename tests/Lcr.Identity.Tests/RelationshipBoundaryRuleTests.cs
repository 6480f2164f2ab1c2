using Lcr.Identity.Domain;

namespace Lcr.Identity.Tests;

/// <summary>The pure rule of <see cref="RelationshipBoundary"/>, without a host.</summary>
public sealed class RelationshipBoundaryRuleTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("RR8", "RR8", true)]
    [InlineData("00DA", "RR8", false)]
    [InlineData("RR8", "RR8X", false)]
    public void Organisation_must_be_the_callers_own(string caller, string subject, bool within) =>
        Assert.Equal(within, RelationshipBoundary.IsOwnOrganisation(caller, subject));

    [Theory]
    [InlineData("RR8", "RR8:WARD-12", true)]
    [InlineData("00DA", "RR8:WARD-12", false)]
    [InlineData("RR8", "RR8X:WARD-12", false)]
    [InlineData("RR8", "RGD:RR8", false)]
    [InlineData("RR8", "not a team", false)]
    public void Team_must_carry_the_callers_ods_code(string caller, string team, bool within) =>
        Assert.Equal(within, RelationshipBoundary.IsOwnTeam(caller, team));

    [Fact]
    public void Professional_belongs_through_a_role_active_there_at_the_time_of_recording()
    {
        (string, DateTimeOffset, DateTimeOffset?) Role(string ods, int startDays, int? endDays) =>
            (ods, Now.AddDays(startDays), endDays is { } e ? Now.AddDays(e) : null);

        Assert.True(RelationshipBoundary.IsOwnProfessional("RR8", [Role("RR8", -30, null)], Now));
        Assert.True(RelationshipBoundary.IsOwnProfessional("RR8", [Role("RGD", -30, null), Role("RR8", -1, 1)], Now));
        Assert.False(RelationshipBoundary.IsOwnProfessional("00DA", [Role("RR8", -30, null)], Now));
        Assert.False(RelationshipBoundary.IsOwnProfessional("RR8", [Role("RR8", -30, -1)], Now)); // ended
        Assert.False(RelationshipBoundary.IsOwnProfessional("RR8", [("RR8", Now.AddDays(-30), (DateTimeOffset?)Now)], Now)); // ends now: exclusive
        Assert.False(RelationshipBoundary.IsOwnProfessional("RR8", [Role("RR8", 1, null)], Now)); // not started
        Assert.False(RelationshipBoundary.IsOwnProfessional("RR8", [], Now));
    }
}
