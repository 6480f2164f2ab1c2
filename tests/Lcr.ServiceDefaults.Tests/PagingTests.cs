using Lcr.ServiceDefaults;

namespace Lcr.ServiceDefaults.Tests;

public class PagingTests
{
    [Theory]
    [InlineData(0, 50)]
    [InlineData(10, 10)]
    [InlineData(10_000, 200)]
    public void Page_size_defaults_and_caps(int requested, int expected)
    {
        var v = new FieldViolations();
        Assert.Equal(expected, Paging.ResolvePageSize(requested, v));
        Assert.False(v.Any);
    }

    [Fact]
    public void Negative_page_size_is_a_violation_of_page_size()
    {
        var v = new FieldViolations();
        Paging.ResolvePageSize(-1, v);
        Assert.Equal("page_size", Assert.Single(v.Items).Field);
    }

    [Fact]
    public void Token_round_trips_for_the_same_query()
    {
        var token = Paging.EncodeToken(new Position("abc", 7), "q1");
        var v = new FieldViolations();
        Assert.Equal(new Position("abc", 7), Paging.DecodeToken<Position>(token, "q1", v));
        Assert.False(v.Any);
    }

    [Fact]
    public void Token_from_another_query_is_refused()
    {
        var token = Paging.EncodeToken(new Position("abc", 7), "q1");
        var v = new FieldViolations();
        Assert.Null(Paging.DecodeToken<Position>(token, "q2", v));
        Assert.Equal("page_token", Assert.Single(v.Items).Field);
    }

    [Theory]
    [InlineData("not-a-token")]
    [InlineData("!!!")]
    [InlineData("e30")] // "{}"
    public void Garbage_tokens_are_refused(string token)
    {
        var v = new FieldViolations();
        Paging.DecodeToken<Position>(token, "q1", v);
        Assert.Equal("page_token", Assert.Single(v.Items).Field);
    }

    private sealed record Position(string Key, int Id);
}
