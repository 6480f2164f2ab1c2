using Lcr.Identity.Application.Federation;
using Lcr.Identity.Domain.Federation;
using Lcr.Identity.Persistence;

namespace Lcr.Identity.Tests.Federation;

/// <summary>The sign-in record's hash chain and the leavers rule, without a host.</summary>
public sealed class SignInRecordRuleTests
{
    private static List<FederatedSignInEventRow> Chain(int count)
    {
        var rows = new List<FederatedSignInEventRow>();
        var previous = SignInEventChain.Genesis;
        for (var i = 1; i <= count; i++)
        {
            var row = new FederatedSignInEventRow
            {
                Sequence = i, Id = Guid.NewGuid(), OccurredAt = DateTimeOffset.UnixEpoch.AddMinutes(i), Provider = "cis2",
                Outcome = i % 2 == 0 ? FederatedSignInLog.SignedIn : "FEDERATED_TOKEN_EXPIRED", PreviousHash = previous, Hash = [],
            };
            row.Hash = SignInEventChain.HashOf(row, previous);
            previous = row.Hash;
            rows.Add(row);
        }

        return rows;
    }

    [Fact]
    public void An_intact_chain_has_no_break()
    {
        Assert.Null(SignInEventChain.FirstBreak(Chain(5)));
    }

    [Fact]
    public void A_changed_outcome_is_found_at_its_row()
    {
        var rows = Chain(5);
        rows[2].Outcome = FederatedSignInLog.SignedIn == rows[2].Outcome ? "ROLE_NOT_MAPPED" : FederatedSignInLog.SignedIn;
        Assert.Equal(3, SignInEventChain.FirstBreak(rows));
    }

    [Fact]
    public void A_removed_row_is_found()
    {
        var rows = Chain(5);
        rows.RemoveAt(1);
        Assert.Equal(2, SignInEventChain.FirstBreak(rows));
    }

    [Fact]
    public void Only_assignments_bound_to_a_role_profile_of_this_provider_that_left_the_token_end()
    {
        var now = DateTimeOffset.UnixEpoch.AddDays(1);
        RoleAssignmentRow Row(string? provider, string? profile, DateTimeOffset? end = null) =>
            new() { Id = Guid.NewGuid(), OrganisationOds = "RR8", RoleCode = "R8000", FederatedProvider = provider, FederatedRoleProfileId = profile, EndTime = end };
        var gone = Row("cis2", "111");
        var kept = Row("cis2", "222");
        var otherProvider = Row("trust-idp", "111");
        var unbound = Row(null, null);
        var alreadyEnded = Row("cis2", "333", now.AddHours(-1));
        var token = new List<NrbacRole> { new("222", "RR8", "S8000:G8000:R8000", ["B0264"]) };

        var ended = RoleProfileLeavers.Ended([gone, kept, otherProvider, unbound, alreadyEnded], "cis2", token, now);

        Assert.Equal([gone.Id], ended);
    }
}
