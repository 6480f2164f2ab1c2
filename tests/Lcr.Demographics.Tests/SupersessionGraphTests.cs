using Lcr.Demographics.Domain;

namespace Lcr.Demographics.Tests;

public class SupersessionGraphTests
{
    private static SupersessionGraph Graph(params (string, string)[] links) => new(links);

    [Fact]
    public void A_number_without_links_is_its_own_current_number()
    {
        var g = Graph();
        Assert.Equal("A", g.Current("A"));
        Assert.Empty(g.MergedInto("A"));
        Assert.Equal(0, g.Height("A"));
        Assert.Equal(SupersessionCheck.Allowed, g.Check("A", "B"));
    }

    [Fact]
    public void A_chain_resolves_to_its_end_and_merges_every_earlier_number()
    {
        var g = Graph(("A", "B"), ("B", "C"), ("D", "C"));
        Assert.Equal(["A", "B", "C"], g.Path("A"));
        Assert.Equal("C", g.Current("B"));
        Assert.Equal(["A", "B", "D"], g.MergedInto("C"));
        Assert.Equal(["A"], g.MergedInto("B"));
        Assert.Equal(2, g.Height("C"));
    }

    [Fact]
    public void Superseding_an_already_superseded_number_is_a_conflict_unless_it_is_the_same_link()
    {
        var g = Graph(("A", "B"));
        Assert.Equal(SupersessionCheck.AlreadyStands, g.Check("A", "B"));
        Assert.Equal(SupersessionCheck.Conflict, g.Check("A", "C"));
    }

    [Fact]
    public void A_link_back_into_the_chain_is_a_cycle()
    {
        var g = Graph(("A", "B"), ("B", "C"));
        Assert.Equal(SupersessionCheck.Cycle, g.Check("C", "A"));
        Assert.Equal(SupersessionCheck.Cycle, g.Check("C", "B"));
        Assert.Equal(SupersessionCheck.Cycle, g.Check("C", "C"));
        Assert.Equal(SupersessionCheck.Allowed, g.Check("C", "D"));
        Assert.Equal(SupersessionCheck.Allowed, g.Check("D", "A")); // D then resolves through A to C
    }

    [Fact]
    public void Chains_longer_than_the_cap_are_refused()
    {
        var links = Enumerable.Range(0, SupersessionGraph.MaxDepth - 1).Select(i => ($"N{i}", $"N{i + 1}")).ToArray();
        var g = Graph(links); // N0 .. N19: 19 links
        var last = $"N{SupersessionGraph.MaxDepth - 1}";
        Assert.Equal(SupersessionCheck.Allowed, g.Check(last, "X")); // the 20th link
        Assert.Equal(SupersessionCheck.Allowed, g.Check("X", "N0"));  // or at the start
        var longer = Graph([.. links, (last, "X")]);
        Assert.Equal(SupersessionCheck.LimitReached, longer.Check("X", "Y"));
        Assert.Equal(SupersessionCheck.LimitReached, longer.Check("Y", "N0"));
        Assert.Equal(SupersessionCheck.Allowed, longer.Check("Y", "N1")); // a side branch stays within the cap
    }

    [Fact]
    public void At_most_fifty_numbers_are_merged_into_one()
    {
        var links = Enumerable.Range(0, SupersessionGraph.MaxMerged - 1).Select(i => ($"M{i}", "K")).ToArray();
        var g = Graph(links);
        Assert.Equal(SupersessionCheck.Allowed, g.Check("Z", "K"));
        var full = Graph([.. links, ("Z", "K")]);
        Assert.Equal(SupersessionCheck.LimitReached, full.Check("Y", "K"));

        // A number bringing its own merged numbers counts them too.
        var fewer = Graph([.. links.Skip(1), ("Y0", "Y")]); // 48 into K, 1 into Y
        Assert.Equal(SupersessionCheck.Allowed, fewer.Check("Y", "K"));
        var more = Graph([.. links, ("Y0", "Y")]); // 49 into K, 1 into Y
        Assert.Equal(SupersessionCheck.LimitReached, more.Check("Y", "K"));
    }

    [Fact]
    public void Merging_a_number_brings_what_was_merged_into_it()
    {
        var g = Graph(("A", "B"), ("C", "D"));
        Assert.Equal(SupersessionCheck.Allowed, g.Check("B", "D"));
        var merged = Graph(("A", "B"), ("C", "D"), ("B", "D"));
        Assert.Equal(["A", "B", "C"], merged.MergedInto("D"));
    }

    [Fact]
    public void A_damaged_graph_with_a_loop_never_hangs()
    {
        var g = Graph(("A", "B"), ("B", "A"));
        Assert.Equal(2, g.Path("A").Count);
        Assert.Equal(["B"], g.MergedInto("A"));
    }

    [Fact]
    public void Two_standing_links_from_one_number_are_refused()
    {
        Assert.Throws<ArgumentException>(() => Graph(("A", "B"), ("A", "C")));
    }

    [Theory]
    [InlineData("seed-merge-0001", true)]
    [InlineData("PDS:2026.12.07_a-1", true)]
    [InlineData("", false)]
    [InlineData("a b", false)]
    [InlineData("a\n", false)]
    [InlineData("é", false)]
    public void Notice_ids_are_checked(string value, bool valid) => Assert.Equal(valid, NoticeId.IsValid(value));

    [Fact]
    public void Notice_ids_are_at_most_one_hundred_characters()
    {
        Assert.True(NoticeId.IsValid(new string('a', 100)));
        Assert.False(NoticeId.IsValid(new string('a', 101)));
    }
}
