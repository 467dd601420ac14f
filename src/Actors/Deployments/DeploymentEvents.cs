using System.Collections.Immutable;
using Troupe.Actors.Serialization;

namespace Troupe.Actors.Deployments;

/// <summary>
/// INTERNAL API. What a DeploymentActor persists. These are their own versioned records, never the wire protocol:
/// the spec travels as canonical JSON so a change to the API objects cannot break an old journal.
/// The serializer manifest is the record name plus its version (<c>DeploymentApplied.v1</c>).
/// </summary>
public interface IDeploymentEvent : IInternalMessage;

/// <summary>A spec was applied (created or changed). <c>Deployment</c> is the canonical JSON of the whole object as applied (no status).</summary>
public sealed record DeploymentApplied(string DeploymentJson, string TemplateHash, long Generation, string Uid, DateTimeOffset At) : IDeploymentEvent;

public sealed record DeploymentScaled(int Replicas, long Generation) : IDeploymentEvent;

public sealed record DeploymentDeleted(DateTimeOffset At) : IDeploymentEvent;

/// <summary>
/// A pod's identity, persisted before the pod is sent to its node: so a Deployment that recovers (restart,
/// fail-over) adopts the pods it already has instead of starting duplicates.
/// </summary>
public sealed record PodCreated(string TemplateHash, string Name, string Uid, string NodeName, long Epoch, DateTimeOffset At) : IDeploymentEvent;

/// <summary>A pod persisted without a node (none could take it) was placed on <c>NodeName</c>.</summary>
public sealed record PodBound(string Name, string NodeName) : IDeploymentEvent;

/// <summary>The pod is no longer wanted (scaled down, lost, replaced); persisted before it is stopped.</summary>
public sealed record PodDeleted(string Name) : IDeploymentEvent;

/// <summary>Old revisions beyond <c>revisionHistoryLimit</c>, with no pod left, are forgotten (template, revision, change cause).</summary>
public sealed record RevisionsPruned(ImmutableArray<string> TemplateHashes) : IDeploymentEvent;

/// <summary>A new incarnation of the Deployment (each recovery): nodes refuse StartPod from older ones.</summary>
public sealed record EpochAdvanced(long Epoch) : IDeploymentEvent;

/// <summary>A pod the Deployment owns, as persisted.</summary>
public sealed record PodRecord(string TemplateHash, string Name, string Uid, string NodeName, long Epoch, DateTimeOffset Created);
