using Troupe.Actors.Catalog;
using Xunit;

namespace Troupe.Actors.Tests.Catalog;

public class LabelQuerySpec
{
    static readonly Dictionary<string, string> Labels = new() { ["app"] = "web", ["tier"] = "front" };

    [Theory]
    [InlineData("app=web", true)]
    [InlineData("app==web", true)]
    [InlineData("app=db", false)]
    [InlineData("app!=db", true)]
    [InlineData("app=web,tier=front", true)]
    [InlineData("app=web,tier=back", false)]
    [InlineData("app in (db, web)", true)]
    [InlineData("app notin (web)", false)]
    [InlineData("tier", true)]
    [InlineData("!tier", false)]
    [InlineData("!missing", true)]
    public void LabelQuery_must_match_as_kubectl(string selector, bool expected)
    {
        Assert.True(LabelQuery.TryParse(selector, out var q, out _));
        Assert.Equal(expected, q!.Matches(Labels));
    }

    [Fact]
    public void LabelQuery_must_refuse_garbage() => Assert.False(LabelQuery.TryParse("app in web", out _, out _));
}
