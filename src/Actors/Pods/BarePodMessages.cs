using Akka.Actor;
using Troupe.Actors.Hosting;
using Troupe.Actors.Serialization;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;

namespace Troupe.Actors.Pods;

/// <summary>INTERNAL API. Messages to one bare-pod entity; <c>PodId</c> (<c>namespace/name</c>) feeds the shard extractor.</summary>
public interface IWithPodId : IInternalMessage
{
    string PodId { get; }
}

/// <summary>
/// Gateway → bare pod: create it (<c>apply</c> of a v1 Pod, <c>troupe run</c>). Replies <see cref="BarePodAccepted"/>
/// (<c>created</c> or <c>unchanged</c>) or <see cref="CommandRejected"/>: <c>Conflict</c> when it exists and
/// <c>FailIfExists</c>, <c>Invalid</c> when it exists with another spec (pods are immutable, as in Kubernetes).
/// </summary>
public sealed record CreateBarePod(string PodId, Pod Pod, bool FailIfExists) : IWithPodId;

public sealed record BarePodAccepted(string Action, string Uid) : IInternalMessage;

/// <summary>Gateway → bare pod: stop its containers and forget it. Replies CommandAccepted("deleted") once it is gone, or NotFound.</summary>
public sealed record DeleteBarePod(string PodId, long? GracePeriodSeconds) : IWithPodId;

/// <summary>Sharding's hand-off stop message: stop without touching the pod.</summary>
public sealed class StopBarePodEntity
{
    public static readonly StopBarePodEntity Instance = new();
    StopBarePodEntity() { }
}

/// <summary>INTERNAL API. What a bare pod persists: its own versioned records, the pod as canonical JSON.</summary>
public interface IBarePodEvent : IInternalMessage;

/// <summary>The pod as created (uid, nodeName and creationTimestamp filled in), persisted before it is sent to its node.</summary>
public sealed record BarePodCreated(string PodJson, string Uid, string NodeName, long Epoch, DateTimeOffset At) : IBarePodEvent;

public sealed record BarePodDeleted(DateTimeOffset At) : IBarePodEvent;

/// <summary>A new incarnation (each recovery): the node refuses StartPod from older ones.</summary>
public sealed record BarePodEpochAdvanced(long Epoch) : IBarePodEvent;

/// <summary>A bare pod's persisted state, rebuilt from its events.</summary>
public sealed record BarePodState
{
    public static readonly BarePodState Empty = new();
    public Pod? Pod { get; init; }
    public long Epoch { get; init; }
    public bool Exists => Pod is not null;

    public BarePodState Apply(IBarePodEvent e) => e switch
    {
        BarePodCreated c => this with { Pod = (Pod)ProtocolJson.DeserializeObject(c.PodJson), Epoch = Math.Max(Epoch, c.Epoch) },
        BarePodDeleted => this with { Pod = null },
        BarePodEpochAdvanced x => this with { Epoch = x.Epoch },
        _ => this,
    };
}

public static class PodIds
{
    public static string Of(string ns, string name) => $"{ns}/{name}";
}

/// <summary>Starts the bare-pod shard region (control role) or a proxy to it (other roles), by <c>namespace/name</c>.</summary>
public static class BarePodRegion
{
    public static IActorRef Start(ActorSystem system, ActorsSettings settings, string nodeName, IActorRef catalog) =>
        ShardRegions.StartOrProxy(system, ActorNames.PodShard, id => BarePodActor.Props(id, settings, nodeName, catalog),
            new EntityMessageExtractor<IWithPodId>(settings.ShardCount, m => m.PodId), StopBarePodEntity.Instance);
}
