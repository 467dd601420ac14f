using Akka.Actor;
using Troupe.Actors.Hosting;
using Troupe.Actors.Serialization;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;

namespace Troupe.Actors.Services;

/// <summary>INTERNAL API. Messages to one Service entity; <c>ServiceId</c> (<c>namespace/name</c>) feeds the shard extractor.</summary>
public interface IWithServiceId : IInternalMessage
{
    string ServiceId { get; }
}

/// <summary>
/// Gateway → Service: create or update it. The gateway has filled in a free ClusterIP and node ports; an existing
/// Service keeps its own (a changed <c>clusterIP</c> is refused: it is immutable, as in Kubernetes). Replies
/// CommandAccepted(<c>created</c> | <c>configured</c> | <c>unchanged</c>) or CommandRejected.
/// </summary>
public sealed record ApplyService(string ServiceId, Service Service) : IWithServiceId;

/// <summary>Gateway → Service: forget it. Replies CommandAccepted("deleted") or NotFound.</summary>
public sealed record DeleteService(string ServiceId) : IWithServiceId;

/// <summary>Sharding's hand-off stop message.</summary>
public sealed class StopServiceEntity
{
    public static readonly StopServiceEntity Instance = new();
    StopServiceEntity() { }
}

/// <summary>INTERNAL API. What a Service persists: its own versioned records, the Service as canonical JSON.</summary>
public interface IServiceEvent : IInternalMessage;

/// <summary>The Service as applied (uid, clusterIP, node ports and creationTimestamp filled in).</summary>
public sealed record ServiceApplied(string ServiceJson, DateTimeOffset At) : IServiceEvent;

public sealed record ServiceDeleted(DateTimeOffset At) : IServiceEvent;

public static class ServiceIds
{
    public static string Of(string ns, string name) => $"{ns}/{name}";
}

/// <summary>Starts the Service shard region (control role) or a proxy to it, by <c>namespace/name</c>.</summary>
public static class ServiceRegion
{
    public static IActorRef Start(ActorSystem system, ActorsSettings settings, IActorRef catalog) =>
        ShardRegions.StartOrProxy(system, ActorNames.ServiceShard, id => ServiceActor.Props(id, catalog),
            new EntityMessageExtractor<IWithServiceId>(settings.ShardCount, m => m.ServiceId), StopServiceEntity.Instance);
}
