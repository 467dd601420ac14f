using Akka.Actor;
using Akka.Configuration;

namespace Troupe.Actors.Hosting;

/// <summary>The <c>troupe.actors</c> section, read once (see reference.conf for each key).</summary>
public sealed record ActorsSettings(int ShardCount, TimeSpan AskTimeout, TimeSpan StartPodRetry, int MaxEvents, int MaxReplicas)
{
    /// <summary>How often each node's Service load balancer reads the Catalog for Services and endpoints.</summary>
    public TimeSpan ServiceSyncInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a Deployment waits for the Scheduler's placement before it keeps the pods Pending.</summary>
    public TimeSpan SchedulerTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a fresh Scheduler waits for the first node heartbeats before it calls a pod unschedulable.</summary>
    public TimeSpan SchedulerWarmup { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long a message to a node that has not announced itself is held before its pod counts as lost.</summary>
    public TimeSpan NodeUnknownGrace { get; init; } = TimeSpan.FromSeconds(30);

    public static ActorsSettings Create(ActorSystem system) => Create(system.Settings.Config);

    public static ActorsSettings Create(Config config)
    {
        var c = config.GetConfig("troupe.actors");
        return new ActorsSettings(
            c.GetInt("shard-count", 50),
            c.GetTimeSpan("ask-timeout", TimeSpan.FromSeconds(30)),
            c.GetTimeSpan("start-pod-retry", TimeSpan.FromSeconds(5)),
            c.GetInt("max-events", 2000),
            c.GetInt("max-replicas", 10000))
        {
            ServiceSyncInterval = c.GetTimeSpan("service-sync-interval", TimeSpan.FromMilliseconds(200)),
            SchedulerTimeout = c.GetTimeSpan("scheduler-timeout", TimeSpan.FromSeconds(10)),
            SchedulerWarmup = c.GetTimeSpan("scheduler-warmup", TimeSpan.FromSeconds(3)),
            NodeUnknownGrace = c.GetTimeSpan("node-unknown-grace", TimeSpan.FromSeconds(30)),
        };
    }
}
