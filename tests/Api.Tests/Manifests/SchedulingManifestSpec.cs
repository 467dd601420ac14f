using Troupe.Api.Manifests;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;
using Xunit;

namespace Troupe.Api.Tests.Manifests;

/// <summary>The pod fields the Scheduler reads: nodeSelector and tolerations.</summary>
public sealed class SchedulingManifestSpec
{
    static string PodWith(string specExtra) => $"""
        apiVersion: v1
        kind: Pod
        metadata: {"{"}name: p{"}"}
        spec:
          containers:
            - name: c
              image: busybox
        {specExtra}
        """;

    [Fact]
    public void Tolerations_are_read_with_kubernetes_defaults()
    {
        var pod = Assert.IsType<Pod>(ManifestReader.Read(PodWith("""
              nodeSelector: {disk: ssd}
              tolerations:
                - {key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}
                - {key: spot, operator: Exists}
                - {key: x, value: "1", tolerationSeconds: 30}
            """), "pod.yaml").Objects[0]);
        ManifestValidator.Validate(ManifestReader.Read(PodWith("  tolerations: [{operator: Exists}]"), "pod.yaml"));
        Assert.Equal("ssd", pod.Spec.NodeSelector["disk"]);
        Assert.Equal(
            [new Toleration("dedicated", "Equal", "gpu", "NoSchedule"), new Toleration("spot", "Exists", null, null), new Toleration("x", "Equal", "1", null)],
            pod.Spec.Tolerations.ToArray());
    }

    [Theory]
    [InlineData("  tolerations: [{key: a, operator: Maybe}]", "spec.tolerations[0].operator", "supported values are \"Equal\", \"Exists\"")]
    [InlineData("  tolerations: [{key: a, operator: Exists, value: b}]", "spec.tolerations[0].operator", "value must be empty")]
    [InlineData("  tolerations: [{value: b}]", "spec.tolerations[0].key", "operator must be Exists")]
    [InlineData("  tolerations: [{key: a, effect: Never}]", "spec.tolerations[0].effect", "NoSchedule")]
    public void Bad_tolerations_are_refused_naming_the_field(string extra, string field, string message)
    {
        var e = Assert.Throws<ManifestException>(() => ManifestValidator.Validate(ManifestReader.Read(PodWith(extra), "pod.yaml")));
        Assert.Contains(e.Problems, p => p.Field == field && p.Message.Contains(message));
    }

    [Fact]
    public void A_template_without_tolerations_serialises_as_before_so_its_hash_is_unchanged()
    {
        var pod = Assert.IsType<Pod>(ManifestReader.Read(PodWith(""), "pod.yaml").Objects[0]);
        Assert.DoesNotContain("tolerations", ProtocolJson.Serialize(pod));
        var tolerant = Assert.IsType<Pod>(ManifestReader.Read(PodWith("  tolerations: [{operator: Exists}]"), "pod.yaml").Objects[0]);
        Assert.Contains("\"tolerations\":[{\"operator\":\"Exists\"}]", ProtocolJson.Serialize(tolerant));
    }
}
