using Troupe.Api.Manifests;
using Troupe.Api.Objects;
using Xunit;

namespace Troupe.Api.Tests.Manifests;

/// <summary>v1 ConfigMap and Namespace, and the pod fields that read ConfigMaps: env valueFrom, envFrom, configMap volumes.</summary>
public sealed class ConfigMapManifestSpec
{
    const string Settings = """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings
        data:
          GREETING: hello
          app.properties: |
            color=blue
            size=3
        binaryData:
          logo.bin: AAEC
        immutable: false
        """;

    const string Team = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: team-a
          labels: {owner: ops}
        """;

    const string PodUsingIt = """
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          containers:
            - name: c
              image: busybox
              envFrom:
                - configMapRef: {name: settings}
                  prefix: CFG_
                - configMapRef: {name: extra, optional: true}
              env:
                - name: GREETING
                  valueFrom: {configMapKeyRef: {name: settings, key: GREETING}}
                - name: POD
                  valueFrom: {fieldRef: {fieldPath: metadata.name}}
                - name: IP
                  valueFrom: {fieldRef: {fieldPath: status.podIP}}
              volumeMounts:
                - {name: config, mountPath: /etc/app}
          volumes:
            - name: config
              configMap:
                name: settings
                defaultMode: 0400
                items:
                  - {key: app.properties, path: conf/app.properties, mode: 0600}
        """;

    [Fact]
    public void A_ConfigMap_and_a_Namespace_must_be_read_with_their_data()
    {
        var set = ManifestReader.Read(Settings + "\n---\n" + Team, "objects.yaml");
        var cm = Assert.IsType<ConfigMap>(set.Objects[0]);
        Assert.Equal("default", cm.Metadata.Namespace);
        Assert.Equal("hello", cm.Data["GREETING"]);
        Assert.Equal("color=blue\nsize=3\n", cm.Data["app.properties"]);
        Assert.Equal("AAEC", cm.BinaryData["logo.bin"]);
        Assert.False(cm.Immutable);
        var ns = Assert.IsType<Namespace>(set.Objects[1]);
        Assert.Equal(("team-a", ""), (ns.Metadata.Name, ns.Metadata.Namespace));
        Assert.Equal("ops", ns.Metadata.Labels["owner"]);
        Assert.Equal(["ConfigMap", "Namespace"], set.Objects.Select(o => o.Kind));
    }

    [Fact]
    public void A_pod_must_read_env_from_configmaps_and_fields_and_mount_a_configmap_volume()
    {
        var pod = Assert.IsType<Pod>(ManifestReader.Read(PodUsingIt, "pod.yaml").Objects[0]);
        var c = pod.Spec.Containers[0];
        Assert.Equal([("CFG_", "settings", (bool?)null), (null, "extra", true)], c.EnvFrom.Select(e => (e.Prefix, e.ConfigMapRef!.Name, e.ConfigMapRef.Optional)));
        Assert.Equal(new ConfigMapKeySelector("settings", "GREETING"), c.Env[0].ValueFrom!.ConfigMapKeyRef);
        Assert.Equal("metadata.name", c.Env[1].ValueFrom!.FieldRef!.FieldPath);
        var v = pod.Spec.Volumes[0].ConfigMap!;
        Assert.Equal(("settings", 256), (v.Name, v.DefaultMode)); // 0400 octal, as YAML 1.1 reads it
        Assert.Equal(new KeyToPath("app.properties", "conf/app.properties", 384), v.Items[0]);
    }

    [Theory]
    [InlineData("data:\n  bad key: x", "data[\"bad key\"]", "a valid config key")]
    [InlineData("data:\n  '..': x", "data[\"..\"]", "must not be '..'")]
    [InlineData("data:\n  port: 8080", "data.port", "must be a string")]
    [InlineData("binaryData:\n  b: '%%%'", "binaryData.b", "must be base64")]
    [InlineData("data:\n  a: x\nbinaryData:\n  a: AAEC", "binaryData.a", "duplicate of key \"a\" in data")]
    [InlineData("spec: {}", "spec", "unknown field \"spec\"")]
    public void A_bad_ConfigMap_must_be_refused_naming_the_field(string body, string field, string message)
    {
        var e = Assert.Throws<ManifestException>(() => ManifestValidator.Validate(ManifestReader.Read($"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\n{body}\n", "cm.yaml")));
        Assert.Contains(e.Problems, p => p.Field == field && p.Message.Contains(message));
    }

    [Fact]
    public void A_bad_Namespace_or_env_reference_must_be_refused()
    {
        var ns = Assert.Throws<ManifestException>(() => ManifestValidator.Validate(ManifestReader.Read("apiVersion: v1\nkind: Namespace\nmetadata: {name: Team.A}\n", "ns.yaml")));
        Assert.Contains(ns.Problems, p => p.Field == "metadata.name");
        var env = Assert.Throws<ManifestException>(() => ManifestValidator.Validate(ManifestReader.Read(
            PodUsingIt.Replace("valueFrom: {configMapKeyRef: {name: settings, key: GREETING}}", "value: x\n          valueFrom: {configMapKeyRef: {name: '', key: GREETING}}"), "pod.yaml")));
        Assert.Contains(env.Problems, p => p.Field == "spec.containers[0].env[0].valueFrom" && p.Message.Contains("may not be specified when `value` is not empty"));
        Assert.Contains(env.Problems, p => p.Field == "spec.containers[0].env[0].valueFrom.configMapKeyRef.name" && p.Message == "is required");
    }
}
