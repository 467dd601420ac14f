using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Troupe.Api.Objects;

/// <summary>
/// Kubernetes <c>metadata</c>: what every object carries. Serialised with Kubernetes field names
/// (<c>name</c>, <c>namespace</c>, <c>labels</c>, ...). Name is required; the rest is optional and filled by
/// the control plane (<c>uid</c>, <c>resourceVersion</c>, <c>generation</c>, <c>creationTimestamp</c>).
/// </summary>
public sealed record ObjectMeta
{
    public string Name { get; set; } = "";
    [JsonPropertyName("namespace")] public string Namespace { get; set; } = "default";
    public string? Uid { get; init; }
    public string? ResourceVersion { get; init; }
    public long Generation { get; init; }
    public DateTimeOffset? CreationTimestamp { get; init; }
    public DateTimeOffset? DeletionTimestamp { get; init; }
    public ImmutableSortedDictionary<string, string> Labels { get; set; } = ImmutableSortedDictionary<string, string>.Empty;
    public ImmutableSortedDictionary<string, string> Annotations { get; set; } = ImmutableSortedDictionary<string, string>.Empty;
    public ImmutableArray<OwnerReference> OwnerReferences { get; set; } = ImmutableArray<OwnerReference>.Empty;
}

/// <summary>Who owns an object (a Pod is owned by its ReplicaSet, a ReplicaSet by its Deployment).</summary>
public sealed record OwnerReference(string ApiVersion, string Kind, string Name, string Uid, bool Controller = true);

/// <summary><c>spec.selector</c>: <c>matchLabels</c> and <c>matchExpressions</c> (In, NotIn, Exists, DoesNotExist).</summary>
public sealed record LabelSelector
{
    public ImmutableSortedDictionary<string, string> MatchLabels { get; set; } = ImmutableSortedDictionary<string, string>.Empty;
    public ImmutableArray<LabelSelectorRequirement> MatchExpressions { get; set; } = ImmutableArray<LabelSelectorRequirement>.Empty;

    /// <summary>True when every requirement holds for <paramref name="labels"/>. An empty selector matches everything.</summary>
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        foreach (var (k, v) in MatchLabels)
            if (!labels.TryGetValue(k, out var have) || have != v) return false;
        foreach (var r in MatchExpressions)
        {
            var has = labels.TryGetValue(r.Key, out var val);
            var ok = r.Operator switch
            {
                "In" => has && r.Values.Contains(val!),
                "NotIn" => !has || !r.Values.Contains(val!),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!ok) return false;
        }
        return true;
    }
}

public sealed record LabelSelectorRequirement(string Key, string Operator, ImmutableArray<string> Values);
