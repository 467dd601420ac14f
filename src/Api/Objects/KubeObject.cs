using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Troupe.Api.Objects;

/// <summary>
/// Every API object. Serialised as Kubernetes does: <c>kind</c> (the type discriminator), <c>apiVersion</c>,
/// <c>metadata</c>, <c>spec</c>, <c>status</c>. Add a kind here and in <see cref="Kinds"/>.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(Deployment), "Deployment")]
[JsonDerivedType(typeof(ReplicaSet), "ReplicaSet")]
[JsonDerivedType(typeof(Pod), "Pod")]
[JsonDerivedType(typeof(Event), "Event")]
[JsonDerivedType(typeof(Node), "Node")]
[JsonDerivedType(typeof(Service), "Service")]
[JsonDerivedType(typeof(Endpoints), "Endpoints")]
[JsonDerivedType(typeof(ConfigMap), "ConfigMap")]
[JsonDerivedType(typeof(Namespace), "Namespace")]
public abstract record KubeObject
{
    public abstract string ApiVersion { get; set; }
    public ObjectMeta Metadata { get; set; } = new();

    /// <summary>The kind's name as Kubernetes writes it (<c>Deployment</c>).</summary>
    [JsonIgnore] public string Kind => Kinds.KindOf(this);
}

/// <summary><c>v1</c> Event: what <c>describe</c> and <c>get events</c> show.</summary>
public sealed record Event : KubeObject
{
    public override string ApiVersion { get; set; } = "v1";
    public ObjectReference InvolvedObject { get; set; } = new("", "", "");
    public string Reason { get; set; } = "";
    public string Message { get; set; } = "";
    /// <summary>Normal or Warning.</summary>
    public string Type { get; set; } = "Normal";
    public int Count { get; set; } = 1;
    public DateTimeOffset? FirstTimestamp { get; init; }
    public DateTimeOffset? LastTimestamp { get; init; }
    public EventSource? Source { get; init; }
}

public sealed record ObjectReference(string Kind, [property: JsonPropertyName("namespace")] string Namespace, string Name, string? Uid = null);
public sealed record EventSource(string Component, string? Host = null);

/// <summary><c>v1</c> Node: a cluster member that runs pods (or a lighthouse, which runs none).</summary>
public sealed record Node : KubeObject
{
    public override string ApiVersion { get; set; } = "v1";
    public NodeSpec Spec { get; set; } = new();
    public NodeStatus Status { get; set; } = new();
}

public sealed record NodeSpec
{
    public ImmutableArray<Taint> Taints { get; set; } = ImmutableArray<Taint>.Empty;
    /// <summary>
    /// Optional. The node's pod network (<c>10.161.7.0/24</c>), as Kubernetes' <c>spec.podCIDR</c>: every pod of the node
    /// gets an address in it; other nodes route it to the node's <c>InternalIP</c>. Null for a node without a pod
    /// network (the process or fake driver, not root) and for nodes of versions that did not advertise it.
    /// </summary>
    [JsonPropertyName("podCIDR")] public string? PodCIDR { get; set; }
}

public sealed record NodeStatus
{
    public ImmutableArray<string> Roles { get; set; } = ImmutableArray<string>.Empty;
    /// <summary>Up, Joining, Leaving, Exiting, Down, Unreachable.</summary>
    public string Phase { get; set; } = "Up";
    public string Address { get; set; } = "";
    /// <summary>
    /// The addresses other nodes reach this node at, as Kubernetes' <c>status.addresses</c>: <c>InternalIP</c> (the host
    /// of its cluster address, an IP) or <c>Hostname</c> (that host when it is a name). Empty from older nodes.
    /// </summary>
    public ImmutableArray<NodeAddress> Addresses { get; set; } = ImmutableArray<NodeAddress>.Empty;
    /// <summary>The node's command API (<c>host:port</c>, <c>troupe node --api-port</c>), or null when it has none.</summary>
    public string? Api { get; set; }
    public string Driver { get; set; } = "";
    public ImmutableSortedDictionary<string, string> Capacity { get; set; } = ImmutableSortedDictionary<string, string>.Empty;
    public ImmutableSortedDictionary<string, string> Allocated { get; set; } = ImmutableSortedDictionary<string, string>.Empty;
    public int Pods { get; init; }
}

/// <summary>One of <see cref="NodeStatus.Addresses"/>: <c>Type</c> is <c>InternalIP</c> or <c>Hostname</c>.</summary>
public sealed record NodeAddress(string Type, string Address)
{
    /// <summary>The first <c>InternalIP</c> of <paramref name="addresses"/>, else the first <c>Hostname</c>, else null.</summary>
    public static string? Preferred(ImmutableArray<NodeAddress> addresses) =>
        addresses.IsDefaultOrEmpty ? null
        : addresses.FirstOrDefault(a => a.Type == "InternalIP")?.Address ?? addresses.FirstOrDefault(a => a.Type == "Hostname")?.Address;
}

/// <summary>Kind names, their plural/singular/short spellings, and the kinds Troupe knows but does not run yet.</summary>
public static class Kinds
{
    public static string KindOf(KubeObject o) => o switch
    {
        Deployment => "Deployment",
        ReplicaSet => "ReplicaSet",
        Pod => "Pod",
        Event => "Event",
        Node => "Node",
        Service => "Service",
        Endpoints => "Endpoints",
        ConfigMap => "ConfigMap",
        Namespace => "Namespace",
        _ => o.GetType().Name,
    };

    static readonly (string Kind, string[] Names)[] Table =
    [
        ("Deployment", ["deployments", "deployment", "deploy"]),
        ("ReplicaSet", ["replicasets", "replicaset", "rs"]),
        ("Pod", ["pods", "pod", "po"]),
        ("Service", ["services", "service", "svc"]),
        ("Endpoints", ["endpoints", "endpoint", "ep"]),
        ("ConfigMap", ["configmaps", "configmap", "cm"]),
        ("Namespace", ["namespaces", "namespace", "ns"]),
        ("Node", ["nodes", "node", "no"]),
        ("Event", ["events", "event", "ev"]),
    ];

    /// <summary>Every kind with its plural and its short name (<c>("Deployment", "deployments", "deploy")</c>), as <c>get</c> takes them.</summary>
    public static IEnumerable<(string Kind, string Plural, string Short)> Spellings =>
        Table.Select(t => (t.Kind, t.Names[0], t.Names[^1]));

    /// <summary>Canonical kind for a user's spelling (<c>deploy</c>, <c>Deployments</c>, <c>deployment.apps</c>), or null.</summary>
    public static string? Resolve(string name)
    {
        var n = name.ToLowerInvariant();
        var dot = n.IndexOf('.');
        if (dot > 0) n = n[..dot];
        foreach (var (kind, names) in Table)
            if (kind.Equals(n, StringComparison.OrdinalIgnoreCase) || names.Contains(n)) return kind;
        return null;
    }

    /// <summary>kubectl's resource word for apply/delete lines: <c>deployment.apps</c>, <c>pod</c>.</summary>
    public static string ResourceWord(string kind) => kind switch
    {
        "Deployment" => "deployment.apps",
        "ReplicaSet" => "replicaset.apps",
        _ => kind.ToLowerInvariant(),
    };

    /// <summary>True when the kind is namespaced (everything but Node and Namespace).</summary>
    public static bool IsNamespaced(string kind) => kind is not ("Node" or "Namespace");
}
