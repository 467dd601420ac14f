using Akka.Actor;
using Troupe.Actors.Hosting;

namespace Troupe.Actors.Deployments;

/// <summary>Starts the Deployment shard region (control role) or a proxy to it (other roles), by <c>namespace/name</c>.</summary>
public static class DeploymentRegion
{
    public static IActorRef Start(ActorSystem system, ActorsSettings settings, string nodeName, IActorRef catalog, IActorRef? scheduler = null) =>
        ShardRegions.StartOrProxy(system, ActorNames.DeploymentShard, id => DeploymentActor.Props(id, settings, nodeName, catalog, scheduler),
            new EntityMessageExtractor<IWithDeploymentId>(settings.ShardCount, m => m.DeploymentId), StopDeploymentEntity.Instance);
}
