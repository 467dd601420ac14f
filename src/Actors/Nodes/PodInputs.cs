using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Troupe.Api.Objects;
using Troupe.Runtime.Drivers;

namespace Troupe.Actors.Nodes;

/// <summary>
/// What a pod's containers take from outside their spec when they start, as the kubelet does: the ConfigMaps of the
/// pod's namespace (read from the Catalog just before each start) and the pod's own fields (its IP, the node's).
/// </summary>
public sealed record PodInputs(IReadOnlyDictionary<string, ConfigMap> ConfigMaps, string? PodIP, string? HostIP)
{
    public static readonly PodInputs None = new(ImmutableDictionary<string, ConfigMap>.Empty, null, null);

    /// <summary>The ConfigMaps the pod refers to (env, envFrom, volumes): none means there is nothing to read.</summary>
    public static ImmutableSortedSet<string> ConfigMapsOf(Pod pod)
    {
        var b = ImmutableSortedSet.CreateBuilder<string>(StringComparer.Ordinal);
        foreach (var c in pod.Spec.InitContainers.Concat(pod.Spec.Containers))
        {
            foreach (var e in c.Env.IsDefault ? [] : c.Env)
                if (e.ValueFrom?.ConfigMapKeyRef is { } r) b.Add(r.Name);
            foreach (var e in c.EnvFrom.IsDefault ? [] : c.EnvFrom)
                if (e.ConfigMapRef is { } r) b.Add(r.Name);
        }
        foreach (var v in pod.Spec.Volumes.IsDefault ? [] : pod.Spec.Volumes)
            if (v.ConfigMap is { } cm) b.Add(cm.Name);
        return b.ToImmutable();
    }

    /// <summary>
    /// The container's variables with their values: every key of each <c>envFrom</c> ConfigMap (with its prefix;
    /// keys that are not variable names skipped, as Kubernetes does), then <c>env</c>, which wins, with
    /// <c>valueFrom</c> resolved. A ConfigMap or key that is missing fails the start
    /// (<c>CreateContainerConfigError</c>) unless marked optional.
    /// </summary>
    public ImmutableArray<EnvVar> Env(Pod pod, Container container)
    {
        var b = ImmutableArray.CreateBuilder<EnvVar>();
        foreach (var from in container.EnvFrom.IsDefault ? [] : container.EnvFrom)
        {
            if (from.ConfigMapRef is not { } r) continue;
            if (!ConfigMaps.TryGetValue(r.Name, out var cm))
            {
                if (r.Optional == true) continue;
                throw Missing($"configmap \"{r.Name}\" not found");
            }
            foreach (var (k, v) in cm.Data)
            {
                var name = (from.Prefix ?? "") + k;
                if (Troupe.Api.Manifests.NameRules.EnvName(name) is null) b.Add(new EnvVar(name, v));
            }
        }
        foreach (var e in container.Env.IsDefault ? [] : container.Env)
        {
            if (e.ValueFrom is not { } src) { b.Add(e); continue; }
            if (src.ConfigMapKeyRef is { } kr)
            {
                if (!ConfigMaps.TryGetValue(kr.Name, out var cm))
                {
                    if (kr.Optional == true) continue;
                    throw Missing($"configmap \"{kr.Name}\" not found");
                }
                if (cm.Data.TryGetValue(kr.Key, out var value)) b.Add(new EnvVar(e.Name, value));
                else if (cm.BinaryData.TryGetValue(kr.Key, out var bin)) b.Add(new EnvVar(e.Name, Encoding.UTF8.GetString(Convert.FromBase64String(bin))));
                else if (kr.Optional != true) throw Missing($"couldn't find key {kr.Key} in ConfigMap {pod.Metadata.Namespace}/{kr.Name}");
            }
            else if (src.FieldRef is { } f) b.Add(new EnvVar(e.Name, Field(pod, f.FieldPath)));
        }
        return b.ToImmutable();
    }

    string Field(Pod pod, string path)
    {
        static string Quoted(string p, string prefix) => p[prefix.Length..^2];
        return path switch
        {
            "metadata.name" => pod.Metadata.Name,
            "metadata.namespace" => pod.Metadata.Namespace,
            "metadata.uid" => pod.Metadata.Uid ?? "",
            "spec.nodeName" => pod.Spec.NodeName ?? "",
            "spec.serviceAccountName" => "default",
            "status.podIP" or "status.podIPs" => PodIP ?? "",
            "status.hostIP" or "status.hostIPs" => HostIP ?? "",
            _ when path.StartsWith("metadata.labels['", StringComparison.Ordinal) =>
                pod.Metadata.Labels.GetValueOrDefault(Quoted(path, "metadata.labels['")) ?? "",
            _ when path.StartsWith("metadata.annotations['", StringComparison.Ordinal) =>
                pod.Metadata.Annotations.GetValueOrDefault(Quoted(path, "metadata.annotations['")) ?? "",
            _ => throw Missing($"unsupported fieldRef \"{path}\""),
        };
    }

    /// <summary>
    /// Write a configMap volume's files (its keys, or only <c>items</c> at their paths) into <paramref name="dir"/>,
    /// afresh on each start, with <c>defaultMode</c> (0644) or the item's mode. A missing ConfigMap marked optional
    /// leaves the directory empty; otherwise it throws.
    /// </summary>
    public void WriteVolume(ConfigMapVolumeSource source, string dir)
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        if (!ConfigMaps.TryGetValue(source.Name, out var cm))
        {
            if (source.Optional == true) return;
            throw Missing($"configmap \"{source.Name}\" not found");
        }
        byte[]? Bytes(string key) => cm.Data.TryGetValue(key, out var s) ? Encoding.UTF8.GetBytes(s)
            : cm.BinaryData.TryGetValue(key, out var b) ? Convert.FromBase64String(b) : null;
        var files = source.Items.IsDefaultOrEmpty
            ? cm.Data.Keys.Concat(cm.BinaryData.Keys).Select(k => (Key: k, Path: k, Mode: (int?)null))
            : source.Items.Select(i => (i.Key, i.Path, i.Mode));
        foreach (var (key, rel, mode) in files)
        {
            var bytes = Bytes(key);
            if (bytes is null)
            {
                if (source.Optional == true) continue;
                throw Missing($"configmap \"{source.Name}\": no key \"{key}\"");
            }
            if (rel.StartsWith('/') || rel.Split('/').Contains("..")) throw Missing($"configmap volume path \"{rel}\" must be relative without ..");
            var path = Path.Combine(dir, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, bytes);
            File.SetUnixFileMode(path, (UnixFileMode)(mode ?? source.DefaultMode ?? Convert.ToInt32("644", 8)));
        }
    }

    static ContainerStartException Missing(string message) =>
        new(string.Create(CultureInfo.InvariantCulture, $"CreateContainerConfigError: {message}"), 125);
}
