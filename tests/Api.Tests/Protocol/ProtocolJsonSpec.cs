using System.Text.Json;
using Troupe.Api.Manifests;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;
using Troupe.Api.Tests.Manifests;
using Xunit;

namespace Troupe.Api.Tests.Protocol;

public class ProtocolJsonSpec
{
    public static TheoryData<string> Manifests => new() { Corpus.SeedDeployment, Corpus.FullDeployment, Corpus.Anchors, Corpus.JsonDeployment, Corpus.List };

    [Theory]
    [MemberData(nameof(Manifests))]
    public void ProtocolJson_must_round_trip_every_object_read_from_a_manifest(string yaml)
    {
        foreach (var obj in ManifestReader.Read(yaml, "m.yaml").Objects)
        {
            var json = ProtocolJson.Serialize(obj);
            var back = ProtocolJson.DeserializeObject(json);
            Assert.Equal(obj.GetType(), back.GetType());
            // Records holding immutable collections compare those by reference, so compare the canonical JSON.
            Assert.Equal(json, ProtocolJson.Serialize(back));
            Assert.Equal(TemplateHashOf(obj), TemplateHashOf(back));
        }
    }

    [Theory]
    [InlineData("  strategy: {type: Recreate}\n", "Recreate", null)]
    [InlineData("", "RollingUpdate", "25%")]
    [InlineData("  strategy: {rollingUpdate: {maxSurge: 2}}\n", "RollingUpdate", "2")]
    public void ProtocolJson_must_keep_a_strategy_as_read_so_the_node_validates_it_as_the_client_did(string strategy, string type, string? surge)
    {
        var yaml = Corpus.SeedDeployment.Replace("  replicas: 3\n", "  replicas: 3\n" + strategy);
        var d = (Deployment)ManifestReader.Read(yaml, "d.yaml").Objects[0];
        var back = (Deployment)ProtocolJson.DeserializeObject(ProtocolJson.Serialize(d));
        Assert.Equal(type, back.Spec.Strategy.Type);
        Assert.Equal(surge, back.Spec.Strategy.RollingUpdate?.MaxSurge);
        // the gateway validates what came over the wire: a Recreate strategy must not have grown a rollingUpdate
        Assert.Empty(ManifestValidator.Check(back));
    }

    static string? TemplateHashOf(KubeObject o) => o switch
    {
        Deployment d => TemplateHash.Compute(d.Spec.Template),
        ReplicaSet r => TemplateHash.Compute(r.Spec.Template),
        _ => null,
    };

    [Fact]
    public void ProtocolJson_must_write_kind_first_and_kubernetes_field_names()
    {
        var d = ManifestReader.Read(Corpus.SeedDeployment, "d.yaml").Objects[0];
        var json = ProtocolJson.Serialize(d);
        Assert.StartsWith("{\"kind\":\"Deployment\",\"apiVersion\":\"apps/v1\"", json);
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal("myapp", root.GetProperty("metadata").GetProperty("name").GetString());
        Assert.Equal(3, root.GetProperty("spec").GetProperty("replicas").GetInt32());
        Assert.Equal("myapp", root.GetProperty("spec").GetProperty("selector").GetProperty("matchLabels").GetProperty("app").GetString());
        var container = root.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers")[0];
        Assert.Equal(5000, container.GetProperty("ports")[0].GetProperty("containerPort").GetInt32());
        Assert.Equal("myapp:1.0", container.GetProperty("image").GetString());
    }

    [Fact]
    public void ProtocolJson_must_keep_defaults_for_fields_a_client_leaves_out()
    {
        // Another service may send the smallest Deployment Kubernetes accepts; fields it leaves out keep their
        // defaults (empty labels, namespace "default") instead of becoming null (dotnet/runtime#84484).
        const string json = """
            {"$type":"ApplyObjects","objects":[{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"web"},
             "spec":{"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
             "spec":{"containers":[{"name":"web","image":"busybox"}]}}}}]}
            """;
        var d = Assert.IsType<Deployment>(Assert.Single(((ApplyObjects)ProtocolJson.Deserialize(json)).Objects));
        Assert.Equal("default", d.Metadata.Namespace);
        Assert.Empty(d.Metadata.Labels);
        Assert.Empty(d.Spec.Template.Metadata.Annotations);
        Assert.Empty(d.Spec.Template.Spec.Containers[0].Command);
        Assert.Empty(ManifestValidator.Check(new KubeObject[] { d }));
        Assert.Contains("\"name\":\"web\"", ProtocolJson.Serialize(d));
    }
}
