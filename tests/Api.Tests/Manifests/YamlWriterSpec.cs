using Troupe.Api.Manifests;
using Troupe.Api.Protocol;
using Xunit;

namespace Troupe.Api.Tests.Manifests;

public class YamlWriterSpec
{
    [Fact]
    public void YamlWriter_must_write_block_style_as_kubectl_does()
    {
        var yaml = YamlWriter.FromJson("""
            {"kind":"Deployment","metadata":{"name":"web","labels":{"app":"web"},"annotations":{}},
             "spec":{"replicas":3,"paused":false,"template":{"spec":{"containers":[
               {"name":"web","image":"nginx","args":["-g","daemon off;"],"ports":[{"containerPort":80}],"env":[]}]}}},
             "status":null}
            """);
        Assert.Equal("""
            kind: Deployment
            metadata:
              name: web
              labels:
                app: web
              annotations: {}
            spec:
              replicas: 3
              paused: false
              template:
                spec:
                  containers:
                  - name: web
                    image: nginx
                    args:
                    - -g
                    - daemon off;
                    ports:
                    - containerPort: 80
                    env: []
            status: null

            """, yaml);
    }

    [Theory]
    [InlineData("true", "\"true\"")]
    [InlineData("123", "\"123\"")]
    [InlineData("1.5", "\"1.5\"")]
    [InlineData("1e3", "\"1e3\"")]
    [InlineData("0x1F", "\"0x1F\"")]
    [InlineData("yes", "\"yes\"")]
    [InlineData("null", "\"null\"")]
    [InlineData("~", "\"~\"")]
    [InlineData("", "\"\"")]
    [InlineData("a: b", "\"a: b\"")]
    [InlineData("*star", "\"*star\"")]
    [InlineData("&anchor", "\"&anchor\"")]
    [InlineData("- item", "\"- item\"")]
    [InlineData("#comment", "\"#comment\"")]
    [InlineData(" padded", "\" padded\"")]
    [InlineData("2024-01-02T03:04:05Z", "\"2024-01-02T03:04:05Z\"")]
    [InlineData("say \"hi\"\t", "\"say \\\"hi\\\"\\t\"")]
    [InlineData("nginx:1.25", "nginx:1.25")]
    [InlineData("250m", "250m")]
    [InlineData("64Mi", "64Mi")]
    [InlineData("-g", "-g")]
    [InlineData("hello world", "hello world")]
    [InlineData("app.kubernetes.io/name", "app.kubernetes.io/name")]
    public void YamlWriter_must_quote_strings_only_when_needed(string value, string written)
    {
        var json = System.Text.Json.JsonSerializer.Serialize(value, Troupe.Api.Tests.TestJson.Default.String);
        Assert.Equal($"v: {written}\n", YamlWriter.FromJson($"{{\"v\":{json}}}"));
    }

    [Fact]
    public void YamlWriter_must_write_multi_line_strings_as_literal_blocks()
    {
        Assert.Equal("script: |\n  echo one\n\n  echo two\n", YamlWriter.FromJson("{\"script\":\"echo one\\n\\necho two\\n\"}"));
        Assert.Equal("- |-\n  a\n  b\n", YamlWriter.FromJson("[\"a\\nb\"]"));
        Assert.Equal("x: \" lead\\nx\"\n", YamlWriter.FromJson("{\"x\":\" lead\\nx\"}"));
    }

    [Fact]
    public void YamlWriter_must_write_nested_lists_and_empty_items()
    {
        Assert.Equal("- - 1\n  - 2\n- {}\n- []\n", YamlWriter.FromJson("[[1,2],{},[]]"));
        Assert.Equal("{}\n", YamlWriter.FromJson("{}"));
    }

    [Fact]
    public void YamlWriter_must_produce_yaml_that_reads_back_as_the_same_object()
    {
        foreach (var yaml in new[] { Corpus.FullDeployment, Corpus.Anchors, Corpus.SeedDeployment })
        {
            var obj = ManifestReader.Read(yaml, "in.yaml").Objects[0];
            var json = ProtocolJson.Serialize(obj);
            var written = YamlWriter.FromJson(json);
            var back = ManifestReader.Read(written, "out.yaml").Objects[0];
            Assert.Equal(json, ProtocolJson.Serialize(back));
        }
    }
}
