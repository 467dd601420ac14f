using Troupe.Api.Manifests;
using Troupe.Api.Objects;
using Xunit;

namespace Troupe.Api.Tests.Manifests;

/// <summary>
/// <c>volumes</c> and <c>volumeMounts</c> in a pod spec: hostPath and emptyDir read, every other Kubernetes source an
/// error naming it (never dropped), and the validator's checks on names, paths and subPaths.
/// </summary>
public sealed class VolumesSpec
{
    static string Pod(string volumes, string mounts) => $"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: vols
        spec:
          containers:
          - name: app
            image: busybox
            volumeMounts:
        {mounts}
          volumes:
        {volumes}
        """;

    const string GoodVolumes = """
          - name: data
            hostPath:
              path: /srv/data
              type: DirectoryOrCreate
          - name: scratch
            emptyDir: {}
          - name: cache
            emptyDir:
              medium: Memory
              sizeLimit: 64Mi
        """;

    const string GoodMounts = """
            - name: data
              mountPath: /data
              readOnly: true
            - name: scratch
              mountPath: /scratch
              subPath: app/tmp
            - name: cache
              mountPath: /cache
        """;

    static Pod Read(string yaml) => (Pod)Assert.Single(ManifestReader.Read(yaml, "pod.yaml").Entries).Object;

    [Fact]
    public void Volumes_must_be_read_with_their_sources_and_mounts()
    {
        var set = ManifestReader.Read(Pod(GoodVolumes, GoodMounts), "pod.yaml");
        Assert.Empty(ManifestValidator.Check(set));
        var pod = (Pod)Assert.Single(set.Entries).Object;
        Assert.Equal(["data", "scratch", "cache"], pod.Spec.Volumes.Select(v => v.Name));
        Assert.Equal(new HostPathVolumeSource("/srv/data", "DirectoryOrCreate"), pod.Spec.Volumes[0].HostPath);
        Assert.Equal(new EmptyDirVolumeSource(), pod.Spec.Volumes[1].EmptyDir);
        Assert.Equal(new EmptyDirVolumeSource("Memory", "64Mi"), pod.Spec.Volumes[2].EmptyDir);
        var m = pod.Spec.Containers[0].VolumeMounts;
        Assert.Equal(("data", "/data", true, (string?)null), (m[0].Name, m[0].MountPath, m[0].ReadOnly, m[0].SubPath));
        Assert.Equal(("scratch", "/scratch", false, "app/tmp"), (m[1].Name, m[1].MountPath, m[1].ReadOnly, m[1].SubPath));
    }

    [Theory]
    [InlineData("persistentVolumeClaim:\n      claimName: db")]
    [InlineData("secret:\n      secretName: token")]
    [InlineData("nfs:\n      server: nas\n      path: /x")]
    public void Volumes_must_refuse_a_source_troupe_does_not_mount(string source)
    {
        var key = source[..source.IndexOf(':')];
        var yaml = Pod($"  - name: data\n    {source}", "    - name: data\n      mountPath: /data");
        var e = Assert.Throws<ManifestException>(() => ManifestReader.Read(yaml, "pod.yaml"));
        var p = Assert.Single(e.Problems);
        Assert.Equal($"spec.volumes[0].{key}", p.Field);
        Assert.Contains($"volume source \"{key}\" is not supported by Troupe yet", p.Message);
        Assert.True(p.Line > 0);
    }

    [Theory]
    [InlineData("  - name: data\n    hostPath:\n      path: relative", "    - name: data\n      mountPath: /data", "spec.volumes[0].hostPath.path", "must be an absolute path")]
    [InlineData("  - name: data\n    hostPath:\n      path: /x\n      type: Folder", "    - name: data\n      mountPath: /data", "spec.volumes[0].hostPath.type", "unsupported value \"Folder\"")]
    [InlineData("  - name: data\n    emptyDir: {}", "    - name: other\n      mountPath: /data", "spec.containers[0].volumeMounts[0].name", "no volume \"other\"")]
    [InlineData("  - name: data\n    configMap: {}", "    - name: data\n      mountPath: /data", "spec.volumes[0].configMap.name", "is required")]
    [InlineData("  - name: data\n    configMap:\n      name: cfg\n      items: [{key: a, path: ../x}]", "    - name: data\n      mountPath: /data", "spec.volumes[0].configMap.items[0].path", "without '..'")]
    [InlineData("  - name: data\n    configMap:\n      name: cfg\n      defaultMode: 4096", "    - name: data\n      mountPath: /data", "spec.volumes[0].configMap.defaultMode", "between 0 and 0777")]
    [InlineData("  - name: data\n    emptyDir: {}", "    - name: data\n      mountPath: data", "spec.containers[0].volumeMounts[0].mountPath", "must be an absolute path")]
    [InlineData("  - name: data\n    emptyDir: {}", "    - name: data\n      mountPath: /data\n      subPath: ../../etc", "spec.containers[0].volumeMounts[0].subPath", "without '..'")]
    [InlineData("  - name: data\n    emptyDir: {}", "    - name: data\n      mountPath: /data\n    - name: data\n      mountPath: /data/", "spec.containers[0].volumeMounts[1].mountPath", "must be unique")]
    [InlineData("  - name: data\n    emptyDir: {}\n  - name: data\n    emptyDir: {}", "    - name: data\n      mountPath: /data", "spec.volumes[1].name", "duplicate volume name")]
    [InlineData("  - name: data", "    - name: data\n      mountPath: /data", "spec.volumes[0]", "must have a volume source")]
    [InlineData("  - name: data\n    emptyDir: {}\n    hostPath:\n      path: /x", "    - name: data\n      mountPath: /data", "spec.volumes[0]", "more than one volume source")]
    public void Volumes_must_be_validated_with_the_field_named(string volumes, string mounts, string field, string message)
    {
        var p = Assert.Single(ManifestValidator.Check(ManifestReader.Read(Pod(volumes, mounts), "pod.yaml")));
        Assert.Equal(field, p.Field);
        Assert.Contains(message, p.Message);
    }
}
