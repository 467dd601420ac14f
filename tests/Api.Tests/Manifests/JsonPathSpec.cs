using Troupe.Api.Manifests;
using Xunit;

namespace Troupe.Api.Tests.Manifests;

public class JsonPathSpec
{
    const string Pods = """
        {"apiVersion":"v1","kind":"List","items":[
          {"kind":"Pod","metadata":{"name":"web-1","labels":{"app":"web","app.kubernetes.io/name":"w"}},
           "spec":{"containers":[{"name":"a","image":"nginx"},{"name":"b","image":"busybox"}]},
           "status":{"phase":"Running","restarts":0}},
          {"kind":"Pod","metadata":{"name":"web-2","labels":{"app":"web"}},
           "spec":{"containers":[{"name":"a","image":"nginx"}]},
           "status":{"phase":"Pending","restarts":3}}
        ]}
        """;

    [Theory]
    [InlineData("{.items[*].metadata.name}", "web-1 web-2")]
    [InlineData("{.items[0].metadata.name}", "web-1")]
    [InlineData("{.items[-1].metadata.name}", "web-2")]
    [InlineData("{.items[0:1].metadata.name}", "web-1")]
    [InlineData("{.kind}", "List")]
    [InlineData("kind={.kind}!", "kind=List!")]
    [InlineData("{.items[*].spec.containers[*].image}", "nginx busybox nginx")]
    [InlineData("{..image}", "nginx busybox nginx")]
    [InlineData("{.items[0].metadata.labels['app.kubernetes.io/name']}", "w")]
    [InlineData("{.items[0].metadata.labels}", "{\"app\":\"web\",\"app.kubernetes.io/name\":\"w\"}")]
    [InlineData("{.items[1].status.restarts}", "3")]
    [InlineData("{.items[?(@.status.phase==\"Running\")].metadata.name}", "web-1")]
    [InlineData("{.items[?(@.status.restarts>0)].metadata.name}", "web-2")]
    [InlineData("{.items[*].metadata.missing}", "")]
    [InlineData("{.items[7].metadata.name}", "")]
    [InlineData("{$.kind}", "List")]
    [InlineData("{.items[0].spec.containers[*].name}", "a b")]
    public void JsonPath_must_evaluate_kubectl_expressions(string template, string expected) =>
        Assert.Equal(expected, JsonPath.Evaluate(Pods, template));

    [Fact]
    public void JsonPath_must_range_with_literals()
    {
        Assert.Equal("web-1\tRunning\nweb-2\tPending\n",
            JsonPath.Evaluate(Pods, "{range .items[*]}{.metadata.name}{\"\\t\"}{.status.phase}{\"\\n\"}{end}"));
        Assert.Equal("[web-1: a,b,] [web-2: a,] ",
            JsonPath.Evaluate(Pods, "{range .items[*]}[{.metadata.name}: {range .spec.containers[*]}{.name},{end}] {end}"));
    }

    [Theory]
    [InlineData("{.items")]
    [InlineData("{range .items[*]}{.metadata.name}")]
    [InlineData("{end}")]
    [InlineData("{.items[x]}")]
    public void JsonPath_must_refuse_malformed_templates(string template) =>
        Assert.Throws<FormatException>(() => JsonPath.Evaluate(Pods, template));
}
