using Akka.Actor;
using Akka.Cluster.Sharding;
using Troupe.Actors.Hosting;

namespace Troupe.Actors.Deployments;

/// <summary>Routes <see cref="IWithDeploymentId"/> messages to their entity by <c>namespace/name</c>.</summary>
public sealed class DeploymentMessageExtractor(int shards) : HashCodeMessageExtractor(shards)
{
    public override string? EntityId(object message) => message switch
    {
        IWithDeploymentId m => m.DeploymentId,
        ShardRegion.StartEntity s => s.EntityId,
        _ => null,
    };
}

/// <summary>Starts the Deployment shard region (control role) or a proxy to it (other roles).</summary>
public static class DeploymentRegion
{
    public static IActorRef Start(ActorSystem system, ActorsSettings settings, string nodeName, IActorRef catalog)
    {
        var sharding = ClusterSharding.Get(system);
        var shardingSettings = ClusterShardingSettings.Create(system);
        var extractor = new DeploymentMessageExtractor(settings.ShardCount);
        if (Akka.Cluster.Cluster.Get(system).SelfRoles.Contains(shardingSettings.Role ?? "control"))
            return sharding.Start(ActorNames.DeploymentShard, id => DeploymentActor.Props(id, settings, nodeName, catalog),
                shardingSettings, extractor, sharding.DefaultShardAllocationStrategy(shardingSettings), StopDeploymentEntity.Instance);
        return sharding.StartProxy(ActorNames.DeploymentShard, shardingSettings.Role, extractor);
    }
}
