using System.Collections.Immutable;

namespace Troupe.Api.Objects;

/// <summary>
/// <c>v1</c> ConfigMap: string <c>data</c> (and base64 <c>binaryData</c>) that pods take as environment variables
/// (<c>env[].valueFrom.configMapKeyRef</c>, <c>envFrom[].configMapRef</c>) or as files (a <c>configMap</c> volume).
/// Read when a container starts; <c>immutable: true</c> refuses later changes to its data.
/// </summary>
public sealed record ConfigMap : KubeObject
{
    public override string ApiVersion { get; set; } = "v1";
    public ImmutableSortedDictionary<string, string> Data { get; set; } = ImmutableSortedDictionary<string, string>.Empty;
    /// <summary>Key → base64 of the bytes.</summary>
    public ImmutableSortedDictionary<string, string> BinaryData { get; set; } = ImmutableSortedDictionary<string, string>.Empty;
    public bool? Immutable { get; init; }
}

/// <summary>
/// <c>v1</c> Namespace: a scope for names. <c>default</c> always exists; objects may only go into a namespace that
/// exists (or is applied with them); deleting one deletes everything in it.
/// </summary>
public sealed record Namespace : KubeObject
{
    public override string ApiVersion { get; set; } = "v1";
    public NamespaceStatus? Status { get; set; }

    /// <summary>The namespace every cluster has.</summary>
    public const string Default = "default";
}

public sealed record NamespaceStatus(string Phase = "Active");

/// <summary><c>env[].valueFrom</c>: a ConfigMap key, or a field of the pod itself (the downward API).</summary>
public sealed record EnvVarSource
{
    public ConfigMapKeySelector? ConfigMapKeyRef { get; init; }
    public ObjectFieldSelector? FieldRef { get; init; }
}

public sealed record ConfigMapKeySelector(string Name, string Key, bool? Optional = null);

/// <summary>
/// A pod field: <c>metadata.name</c>, <c>metadata.namespace</c>, <c>metadata.uid</c>, <c>metadata.labels['k']</c>,
/// <c>metadata.annotations['k']</c>, <c>spec.nodeName</c>, <c>spec.serviceAccountName</c>, <c>status.podIP</c>,
/// <c>status.hostIP</c>.
/// </summary>
public sealed record ObjectFieldSelector(string FieldPath, string? ApiVersion = null);

/// <summary><c>envFrom[]</c>: every key of a ConfigMap as a variable, with an optional prefix.</summary>
public sealed record EnvFromSource(string? Prefix = null, ConfigMapEnvSource? ConfigMapRef = null);

public sealed record ConfigMapEnvSource(string Name, bool? Optional = null);

/// <summary>A <c>configMap</c> volume: its keys as files (or only <c>items</c>, at their paths).</summary>
public sealed record ConfigMapVolumeSource
{
    public string Name { get; init; } = "";
    public ImmutableArray<KeyToPath> Items { get; init; } = ImmutableArray<KeyToPath>.Empty;
    /// <summary>File mode (octal 0644 written as the decimal 420 in JSON, as Kubernetes does).</summary>
    public int? DefaultMode { get; init; }
    public bool? Optional { get; init; }
}

public sealed record KeyToPath(string Key, string Path, int? Mode = null);
