using System.Collections.Immutable;
using Akka.Actor;
using Troupe.Actors.Serialization;
using Troupe.Api.Objects;

namespace Troupe.Actors.Nodes;

/// <summary>
/// INTERNAL API. Marker of the messages between the control plane (PodActor, ApiGateway) and a node's
/// <see cref="NodeAgent"/>. They cross processes once there are many nodes (InternalSerializer).
/// </summary>
public interface INodeMessage : IInternalMessage;

/// <summary>
/// NodeAgent → every member (topic <see cref="NodeTopic.Name"/>), each second: the node, where its agent is, what it
/// can hold and what its pods take (requests, or limits where a container has none), how many pods it runs and
/// by owner (the Scheduler spreads replicas by it), and the UIDs of the pods it took in the last few seconds (so
/// the Scheduler knows which of its placements arrived). Only the recent UIDs: a beat stays small with thousands
/// of pods, as it crosses the cluster every second on the same connections as Akka's own heartbeats.
/// </summary>
public sealed record NodeHeartbeat(Node Node, IActorRef Agent, long CpuMillis, long MemoryBytes, int MaxPods,
    long AllocatedCpuMillis, long AllocatedMemoryBytes, ImmutableDictionary<string, int> PodsByOwner,
    int PodCount, ImmutableArray<string> RecentPodUids) : INodeMessage;

/// <summary>
/// PodActor → NodeAgent: run this pod here. Idempotent on <c>Pod.Metadata.Uid</c>: a pod that already runs (or was
/// adopted after a node restart) is not started again; the sender becomes its owner and gets its status from now
/// on. Refused (<see cref="PodRejected"/>) when <c>Epoch</c> is older than one the node has seen for
/// <c>OwnerKey</c> (a stale incarnation of the owner after fail-over). Replies <see cref="PodAccepted"/>, then
/// sends <see cref="PodStatusChanged"/> to the owner on every change.
/// </summary>
public sealed record StartPod(Pod Pod, string OwnerKey, long Epoch) : INodeMessage;

/// <summary>The pod runs (or is being created) on this node. <c>Sandbox</c> is its PodSandbox: watch it.</summary>
public sealed record PodAccepted(string Uid, IActorRef Sandbox, bool Adopted) : INodeMessage;

public sealed record PodRejected(string Uid, string Reason) : INodeMessage;

/// <summary>NodeAgent → the pod's owner: the pod (with its observed status) changed.</summary>
public sealed record PodStatusChanged(string Uid, Pod Pod) : INodeMessage;

/// <summary>
/// Owner → NodeAgent: stop the pod (SIGTERM, grace period, SIGKILL for each container) and remove it.
/// <c>GracePeriodSeconds</c> null uses the pod's <c>terminationGracePeriodSeconds</c>.
/// Replies <see cref="PodStopped"/> once every container is gone (at once for an unknown pod).
/// </summary>
public sealed record StopPod(string Uid, long? GracePeriodSeconds = null) : INodeMessage;

public sealed record PodStopped(string Uid) : INodeMessage;

/// <summary>
/// Gateway → NodeAgent: end the pod's containers but keep the pod (<c>troupe stop</c>, <c>troupe kill</c>): none
/// is restarted from now on. <c>Signal</c> null: the stop signal, then SIGKILL after the grace period, and the reply
/// (<see cref="PodHalted"/>) waits until every container has ended; a <c>Signal</c> is sent once and the reply is
/// immediate.
/// </summary>
public sealed record HaltPod(string Uid, int? Signal, long? GracePeriodSeconds) : INodeMessage;

public sealed record PodHalted(string Uid) : INodeMessage;

/// <summary>
/// Gateway → NodeAgent: a pod's log. Replies <see cref="Troupe.Api.Protocol.ContainerLog"/> or
/// <see cref="Troupe.Api.Protocol.CommandRejected"/>.
/// </summary>
public sealed record GetPodLog(string Uid, string? Container, bool Previous, int? Tail) : INodeMessage;

/// <summary>Gateway → NodeAgent: the node's own description. Replies <see cref="Node"/> wrapped in <see cref="NodeDescribed"/>.</summary>
public sealed record DescribeNode : INodeMessage
{
    public static readonly DescribeNode Instance = new();
}

public sealed record NodeDescribed(Node Node) : INodeMessage;
