using System.Collections.Immutable;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;

namespace Troupe.Actors.Deployments;

/// <summary>
/// A Deployment's persisted state, rebuilt from its events by the pure <see cref="Apply"/>.
/// <c>Templates</c> keeps the pod template of every revision (by pod-template hash), so a ReplicaSet of an older
/// revision can still describe its pods.
/// </summary>
public sealed record DeploymentState
{
    public static readonly DeploymentState Empty = new();

    public Deployment? Object { get; init; }
    public string? TemplateHash { get; init; }
    public long Generation { get; init; }
    public long Epoch { get; init; }
    public bool Deleted { get; init; }
    public ImmutableSortedDictionary<string, PodRecord> Pods { get; init; } = ImmutableSortedDictionary<string, PodRecord>.Empty;
    public ImmutableSortedDictionary<string, PodTemplateSpec> Templates { get; init; } = ImmutableSortedDictionary<string, PodTemplateSpec>.Empty;
    /// <summary>Revision number of each template hash (1, 2, ...), as <c>deployment.kubernetes.io/revision</c>.</summary>
    public ImmutableSortedDictionary<string, long> Revisions { get; init; } = ImmutableSortedDictionary<string, long>.Empty;

    /// <summary>
    /// The <c>kubernetes.io/change-cause</c> annotation of each revision, as the Deployment had it while that revision
    /// was current (Kubernetes copies it onto the ReplicaSet; <c>rollout history</c> lists it).
    /// </summary>
    public ImmutableSortedDictionary<string, string> ChangeCauses { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    public const string ChangeCauseAnnotation = "kubernetes.io/change-cause";

    /// <summary>True when a live (not deleted) Deployment exists.</summary>
    public bool Exists => Object is not null && !Deleted;

    public DeploymentState Apply(IDeploymentEvent e) => e switch
    {
        DeploymentApplied a => ApplySpec(a),
        DeploymentScaled s when Object is not null => this with
        {
            Generation = s.Generation,
            Object = Object with
            {
                Spec = Object.Spec with { Replicas = s.Replicas },
                Metadata = Object.Metadata with { Generation = s.Generation },
            },
        },
        DeploymentDeleted => this with
        {
            Deleted = true,
            Pods = ImmutableSortedDictionary<string, PodRecord>.Empty,
            Templates = ImmutableSortedDictionary<string, PodTemplateSpec>.Empty,
            Revisions = ImmutableSortedDictionary<string, long>.Empty,
            ChangeCauses = ImmutableSortedDictionary<string, string>.Empty,
        },
        RevisionsPruned r => this with
        {
            Templates = Templates.RemoveRange(r.TemplateHashes),
            Revisions = Revisions.RemoveRange(r.TemplateHashes),
            ChangeCauses = ChangeCauses.RemoveRange(r.TemplateHashes),
        },
        PodCreated p => this with { Pods = Pods.SetItem(p.Name, new PodRecord(p.TemplateHash, p.Name, p.Uid, p.NodeName, p.Epoch, p.At)) },
        PodDeleted p => this with { Pods = Pods.Remove(p.Name) },
        PodBound b when Pods.TryGetValue(b.Name, out var r) => this with { Pods = Pods.SetItem(b.Name, r with { NodeName = b.NodeName }) },
        EpochAdvanced x => this with { Epoch = x.Epoch },
        _ => this,
    };

    DeploymentState ApplySpec(DeploymentApplied a)
    {
        var d = (Deployment)ProtocolJson.DeserializeObject(a.DeploymentJson);
        var revisions = Revisions;
        if (!revisions.ContainsKey(a.TemplateHash) || TemplateHash != a.TemplateHash)
            revisions = revisions.SetItem(a.TemplateHash, (revisions.Values.DefaultIfEmpty(0).Max()) + 1);
        var created = Deleted || Object is null ? a.At : Object.Metadata.CreationTimestamp ?? a.At;
        return this with
        {
            Object = d with { Metadata = d.Metadata with { Uid = a.Uid, Generation = a.Generation, CreationTimestamp = created } },
            TemplateHash = a.TemplateHash,
            Generation = a.Generation,
            Deleted = false,
            Templates = Templates.SetItem(a.TemplateHash, d.Spec.Template),
            Revisions = revisions,
            ChangeCauses = d.Metadata.Annotations.TryGetValue(ChangeCauseAnnotation, out var cause)
                ? ChangeCauses.SetItem(a.TemplateHash, cause)
                : ChangeCauses.Remove(a.TemplateHash),
        };
    }
}
