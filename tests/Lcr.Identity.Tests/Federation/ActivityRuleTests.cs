using Lcr.Identity.Domain.Federation;

namespace Lcr.Identity.Tests.Federation;

/// <summary>What national RBAC activities B1611 and B0082 do for a federated session (the pure table, no host).</summary>
public sealed class ActivityRuleTests
{
    [Fact]
    public void A_federated_session_sees_sensitive_records_only_with_B1611()
    {
        Assert.True(NationalRoleMap.MaySeeSensitiveRecords(["B0264", "B1611"]));
        Assert.False(NationalRoleMap.MaySeeSensitiveRecords(["B0264", "B0082"]));
        Assert.False(NationalRoleMap.MaySeeSensitiveRecords([]));
    }

    [Fact]
    public void A_federated_session_breaks_glass_only_with_B0082()
    {
        Assert.True(NationalRoleMap.MayBreakGlass(["B0264", "B0082"]));
        Assert.False(NationalRoleMap.MayBreakGlass(["B0264", "B1611"]));
    }

    [Fact]
    public void A_session_without_recorded_activities_keeps_what_its_platform_role_allows()
    {
        Assert.True(NationalRoleMap.MaySeeSensitiveRecords(null));
        Assert.True(NationalRoleMap.MayBreakGlass(null));
    }

    [Fact]
    public void A_session_records_its_role_profiles_activities_once_each_and_at_most_fifty()
    {
        var many = Enumerable.Range(0, 80).Select(i => "B" + i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(["B0264", "B1611"], NationalRoleMap.SessionActivities(new NrbacRole("1", "RR8", "R8000", ["B0264", "B1611", "B0264"])));
        Assert.Equal(NationalRoleMap.MaxSessionActivities, NationalRoleMap.SessionActivities(new NrbacRole("1", "RR8", "R8000", many)).Count);
    }
}
