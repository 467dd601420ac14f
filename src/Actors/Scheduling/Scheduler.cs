using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Cluster.Tools.Singleton;
using Akka.Event;
using Troupe.Actors.Nodes;
using Troupe.Actors.Serialization;
using Troupe.Api.Objects;

namespace Troupe.Actors.Scheduling;

/// <summary>
/// Deployment → Scheduler: where should these pods (one UID each, same template) run? Replies <see cref="PodsScheduled"/>.
/// <c>OwnerKey</c> is the Deployment's id: replicas of one owner are spread over the nodes.
/// </summary>
public sealed record SchedulePods(string OwnerKey, long CpuMillis, long MemoryBytes,
    ImmutableSortedDictionary<string, string> NodeSelector, ImmutableArray<Toleration> Tolerations,
    ImmutableArray<string> Uids) : IInternalMessage;

/// <summary>The node of each of the first <c>Nodes.Length</c> UIDs asked for; <c>Reason</c> says why the rest fit nowhere.</summary>
public sealed record PodsScheduled(ImmutableArray<string> Nodes, string? Reason) : IInternalMessage;

/// <summary>
/// The Scheduler: a cluster singleton on the control role (<c>/user/scheduler/singleton</c>, reached through the
/// proxy at <c>/user/scheduler-proxy</c>). It learns the worker nodes from their <see cref="NodeHeartbeat"/>s and
/// decides with the pure <see cref="Placement"/>. Between two heartbeats it counts its own recent placements on top
/// of what a node reported (by pod UID, until the node reports that pod or 30 s pass), so a burst of requests does
/// not pile onto one node. A fresh singleton (start, fail-over) waits until every worker member has sent a heartbeat,
/// or <c>warmup</c> at most, before it places anything.
/// </summary>
public sealed class Scheduler : ReceiveActor, IWithStash, IWithTimers
{
    public const string Name = "scheduler";
    public const string ProxyName = "scheduler-proxy";

    sealed class WarmedUp : INoSerializationVerificationNeeded
    {
        public static readonly WarmedUp Instance = new();
    }

    sealed record Known(NodeHeartbeat Beat, DateTime At);

    sealed record Placed(string Node, string Owner, long Cpu, long Memory, DateTime At);

    readonly TimeSpan _warmup;
    readonly ILoggingAdapter _log = Context.GetLogger();
    readonly Dictionary<string, Known> _nodes = new(StringComparer.Ordinal);
    readonly Dictionary<string, Placed> _recent = new(StringComparer.Ordinal);
    readonly HashSet<Address> _unreachable = new();
    /// <summary>Worker members that are Up: a warming scheduler waits for a heartbeat from each (or the warmup).</summary>
    readonly HashSet<Address> _workers = new();

    public IStash Stash { get; set; } = null!;
    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(TimeSpan warmup) => Akka.Actor.Props.Create(() => new Scheduler(warmup));

    public Scheduler(TimeSpan warmup)
    {
        _warmup = warmup;
        Receive<NodeHeartbeat>(m =>
        {
            OnHeartbeat(m);
            // ready once every worker member has been heard from (a fresh singleton after fail-over would otherwise
            // place a burst on whichever node beat first)
            if (_workers.Count > 0 && _workers.All(a => _unreachable.Contains(a) || _nodes.Values.Any(k => k.Beat.Agent.Path.Address.Equals(a))))
            {
                Become(Ready);
                Stash.UnstashAll();
            }
        });
        Receive<WarmedUp>(_ =>
        {
            Become(Ready);
            Stash.UnstashAll();
        });
        Common();
        Receive<SchedulePods>(_ => Stash.Stash());
    }

    void Ready()
    {
        Receive<NodeHeartbeat>(OnHeartbeat);
        Receive<WarmedUp>(_ => { });
        Common();
        Receive<SchedulePods>(OnSchedule);
    }

    void Common()
    {
        Receive<ClusterEvent.UnreachableMember>(m => _unreachable.Add(m.Member.Address));
        Receive<ClusterEvent.ReachableMember>(m => _unreachable.Remove(m.Member.Address));
        Receive<ClusterEvent.MemberUp>(m =>
        {
            if (m.Member.HasRole("worker")) _workers.Add(m.Member.Address);
        });
        Receive<ClusterEvent.MemberRemoved>(m =>
        {
            _unreachable.Remove(m.Member.Address);
            _workers.Remove(m.Member.Address);
            foreach (var name in _nodes.Where(kv => kv.Value.Beat.Agent.Path.Address.Equals(m.Member.Address)).Select(kv => kv.Key).ToList())
            {
                _nodes.Remove(name);
                _log.Info("scheduler: node {0} left; nothing more is placed there", name);
            }
        });
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
        Receive<SubscribeAck>(_ => { });
    }

    protected override void PreStart()
    {
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(NodeTopic.Name, Self));
        Timers.StartSingleTimer("warmup", WarmedUp.Instance, _warmup);
        _log.Info("scheduler started on {0}", Cluster.Get(Context.System).SelfAddress);
    }

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);

    void OnHeartbeat(NodeHeartbeat b)
    {
        var name = b.Node.Metadata.Name;
        if (!b.Node.Status.Roles.Contains("worker")) return;
        if (!_nodes.ContainsKey(name)) _log.Info("scheduler: node {0} can take pods", name);
        _nodes[name] = new Known(b, DateTime.UtcNow);
        foreach (var uid in b.RecentPodUids)
            if (_recent.TryGetValue(uid, out var p) && p.Node == name) _recent.Remove(uid);
    }

    void OnSchedule(SchedulePods m)
    {
        var now = DateTime.UtcNow;
        foreach (var (uid, p) in _recent.Where(kv => now - kv.Value.At > TimeSpan.FromSeconds(30)).ToList()) _recent.Remove(uid);
        var candidates = _nodes.Values.Select(k => Candidate(k, now)).ToList();
        var request = new Placement.Request(m.OwnerKey, m.CpuMillis, m.MemoryBytes, m.NodeSelector,
            m.Tolerations.IsDefault ? ImmutableArray<Toleration>.Empty : m.Tolerations);
        var (nodes, reason) = Placement.Place(candidates, request, m.Uids.Length);
        for (var i = 0; i < nodes.Length; i++)
            _recent[m.Uids[i]] = new Placed(nodes[i], m.OwnerKey, m.CpuMillis, m.MemoryBytes, now);
        Sender.Tell(new PodsScheduled(nodes, reason));
    }

    Placement.Candidate Candidate(Known k, DateTime now)
    {
        var b = k.Beat;
        var name = b.Node.Metadata.Name;
        long cpu = b.AllocatedCpuMillis, mem = b.AllocatedMemoryBytes;
        var pods = b.PodCount;
        var byOwner = b.PodsByOwner;
        foreach (var p in _recent.Values)
        {
            if (p.Node != name) continue;
            cpu += p.Cpu;
            mem += p.Memory;
            pods++;
            byOwner = byOwner.SetItem(p.Owner, byOwner.GetValueOrDefault(p.Owner) + 1);
        }
        var schedulable = !_unreachable.Contains(b.Agent.Path.Address) && now - k.At < TimeSpan.FromSeconds(10);
        return new Placement.Candidate(name, schedulable, b.Node.Metadata.Labels,
            b.Node.Spec.Taints.IsDefault ? ImmutableArray<Taint>.Empty : b.Node.Spec.Taints,
            b.CpuMillis, b.MemoryBytes, b.MaxPods, cpu, mem, pods, byOwner);
    }
}

/// <summary>Where the <see cref="Scheduler"/> runs: a cluster singleton on the oldest control member.</summary>
public static class SchedulerSingleton
{
    /// <summary>Starts the singleton manager (on control members) and the proxy (on every member); returns the proxy.</summary>
    public static IActorRef Start(ActorSystem system, TimeSpan warmup)
    {
        if (Cluster.Get(system).SelfRoles.Contains("control"))
            system.ActorOf(ClusterSingletonManager.Props(Scheduler.Props(warmup), PoisonPill.Instance,
                ClusterSingletonManagerSettings.Create(system).WithRole("control").WithSingletonName("singleton")), Scheduler.Name);
        return system.ActorOf(ClusterSingletonProxy.Props($"/user/{Scheduler.Name}",
            ClusterSingletonProxySettings.Create(system).WithRole("control").WithSingletonName("singleton")), Scheduler.ProxyName);
    }
}
