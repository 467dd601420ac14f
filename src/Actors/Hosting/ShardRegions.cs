using Akka.Actor;
using Akka.Cluster.Sharding;

namespace Troupe.Actors.Hosting;

/// <summary>Routes messages of type <typeparamref name="T"/> to the entity their key names.</summary>
public sealed class EntityMessageExtractor<T>(int shards, Func<T, string> key) : HashCodeMessageExtractor(shards)
{
    public override string? EntityId(object message) => message switch
    {
        T m => key(m),
        ShardRegion.StartEntity s => s.EntityId,
        _ => null,
    };
}

/// <summary>Starts a shard region where this node has the sharding role (control), else a proxy to it.</summary>
public static class ShardRegions
{
    public static IActorRef StartOrProxy(ActorSystem system, string typeName, Func<string, Props> entityProps,
        IMessageExtractor extractor, object handOffStopMessage)
    {
        var sharding = ClusterSharding.Get(system);
        var settings = ClusterShardingSettings.Create(system);
        if (Akka.Cluster.Cluster.Get(system).SelfRoles.Contains(settings.Role ?? "control"))
            return sharding.Start(typeName, entityProps, settings, extractor, sharding.DefaultShardAllocationStrategy(settings), handOffStopMessage);
        return sharding.StartProxy(typeName, settings.Role, extractor);
    }
}
