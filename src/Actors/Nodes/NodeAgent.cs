using System.Collections.Immutable;
using Akka;
using Akka.Actor;
using Akka.Event;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;
using Troupe.Runtime.Containers;
using Troupe.Runtime.Drivers;

namespace Troupe.Actors.Nodes;

/// <summary>
/// One per worker node, at <c>/user/node-agent</c>. Owns one <see cref="PodSandbox"/> child per pod UID.
/// On start it recovers (stashing every command until done): the driver's containers and the pod folders under
/// <c>$TROUPE_HOME/pods/</c> → running pods are adopted (same pids), stopped containers of known pods are
/// restarted by their adopted sandbox per policy, unknown containers and empty pod folders are removed. An adopted
/// pod nobody claims with <see cref="StartPod"/> within <c>adoption-claim-timeout</c> is stopped and removed.
/// Handles <see cref="StartPod"/> (idempotent on UID, refused for a stale epoch), <see cref="StopPod"/>,
/// <see cref="GetPodLog"/> and <see cref="DescribeNode"/>. Registers a CoordinatedShutdown task in
/// <c>before-actor-system-terminate</c> that stops every pod gracefully, in parallel.
/// </summary>
public sealed class NodeAgent : ReceiveActor, IWithStash, IWithTimers
{
    /// <summary>The agent's name under <c>/user</c>.</summary>
    public const string Name = "node-agent";

    /// <summary>The CoordinatedShutdown task name (phase <c>before-actor-system-terminate</c>).</summary>
    public const string ShutdownTaskName = "troupe-stop-pods";

    /// <summary>Props of the node agent. <paramref name="catalog"/> receives the pods' ObjectObserved/EventRecorded/ObjectForgotten.</summary>
    public static Props Props(NodeSettings settings, IContainerDriver driver, IPodImageSource images, IActorRef catalog)
    {
        var hook = new ShutdownHook();
        return Akka.Actor.Props.Create(() => new NodeAgent(settings, driver, images, catalog, hook)).WithDeploy(Deploy.Local);
    }

    /// <summary>
    /// Stop every pod gracefully and reply <see cref="AllPodsStopped"/> once all are gone; StartPod is refused from
    /// then on. The CoordinatedShutdown task sends it; a host may send it too.
    /// </summary>
    public sealed class StopAllPods
    {
        public static readonly StopAllPods Instance = new();
        private StopAllPods() { }
    }

    public sealed class AllPodsStopped
    {
        public static readonly AllPodsStopped Instance = new();
        private AllPodsStopped() { }
    }

    #region INTERNAL messages
    private sealed record Recovered(RecoveryPlan Plan, long? MemoryBytes) : INoSerializationVerificationNeeded;
    private sealed record RecoveryFailed(Exception Cause) : INoSerializationVerificationNeeded;
    private sealed record ClaimTimeout(string Uid) : INoSerializationVerificationNeeded, IDeadLetterSuppression;
    private sealed class Announce : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly Announce Instance = new();
    }
    #endregion

    private sealed class Entry(IActorRef sandbox, Pod pod, bool adopted, string ownerKey)
    {
        public IActorRef Sandbox { get; } = sandbox;
        public Pod Pod { get; } = pod;
        public bool Adopted { get; } = adopted;
        public string OwnerKey { get; } = ownerKey;
        public bool Claimed;
        public bool Stopping;
    }

    private readonly NodeSettings _settings;
    private readonly IContainerDriver _driver;
    private readonly IPodImageSource _images;
    private readonly IActorRef _catalog;
    private readonly ShutdownHook _hook;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, Entry> _pods = new();
    private readonly Dictionary<string, long> _epochs = new();
    private readonly List<IActorRef> _shutdownWaiters = new();
    private bool _shuttingDown;
    private long? _memoryBytes;
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;

    public IStash Stash { get; set; } = null!;
    public ITimerScheduler Timers { get; set; } = null!;

    public NodeAgent(NodeSettings settings, IContainerDriver driver, IPodImageSource images, IActorRef catalog, ShutdownHook hook)
    {
        _settings = settings;
        _driver = driver;
        _images = images;
        _catalog = catalog;
        _hook = hook;
        Recovering();
    }

    protected override SupervisorStrategy SupervisorStrategy() =>
        // A sandbox that fails (its state unreadable, a bug) is restarted: its PreStart reads the real state again
        // and adopts what runs, so a restart never duplicates a container. Ten failures a minute stop it.
        new OneForOneStrategy(10, TimeSpan.FromMinutes(1), ex =>
        {
            _log.Error(ex, "a pod sandbox failed; restarting it");
            return Directive.Restart;
        });

    protected override void PreStart()
    {
        _hook.Attach(Context.System, Self);
        var settings = _settings;
        var driver = _driver;
        var log = _log;
        async Task<Recovered> Recover()
        {
            var records = await driver.ListAsync();
            var pods = await Inventory.ScanAsync(settings);
            var plan = Inventory.Plan(settings.NodeName, records, pods);
            foreach (var id in plan.RemoveContainers)
            {
                log.Info("recovery: removing container {0}, which no pod of this node knows", id);
                try { await driver.RemoveAsync(id); }
                catch (Exception ex) { log.Warning("recovery: removing container {0} failed: {1}", id, ex.Message); }
            }
            foreach (var uid in plan.RemoveDirs)
            {
                log.Info("recovery: removing pod folder {0}, which has no containers", uid);
                try { Directory.Delete(settings.PodDir(uid), recursive: true); }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                { log.Warning("recovery: removing {0} failed: {1}", uid, ex.Message); }
            }
            if (settings.Network is { } network)
            {
                // networking of pods that are gone (the node was killed): veths, namespaces, addresses
                try
                {
                    foreach (var uid in await network.RecoverAsync(plan.Adopt.Select(p => p.Uid)))
                        log.Info("recovery: removed the network of pod {0}, which no longer runs", uid);
                }
                catch (Exception ex) { log.Warning("recovery: cleaning up pod networks failed: {0}", ex.Message); }
            }
            return new Recovered(plan, await Inventory.MemoryBytesAsync());
        }
        Recover().PipeTo(Self, success: r => r, failure: ex => new RecoveryFailed(ex));
    }

    protected override void PostStop() => _hook.Detach(Self);

    #region Recovering
    private void Recovering()
    {
        Receive<Recovered>(OnRecovered);
        Receive<RecoveryFailed>(m => throw new IOException($"node {_settings.NodeName}: recovery failed: {m.Cause.Message}", m.Cause));
        ReceiveAny(_ => Stash.Stash());
    }

    private void OnRecovered(Recovered r)
    {
        _memoryBytes = r.MemoryBytes;
        foreach (var p in r.Plan.Adopt)
        {
            var pod = p.Pod!;
            var ownerKey = p.State?.OwnerKey ?? "";
            var epoch = p.State?.Epoch ?? 0;
            if (ownerKey.Length > 0) _epochs[ownerKey] = Math.Max(epoch, _epochs.GetValueOrDefault(ownerKey));
            var sandbox = Context.ActorOf(PodSandbox.Props(_settings, _driver, _images, _catalog, pod, ownerKey, epoch, null, adopted: true), p.Uid);
            Context.Watch(sandbox);
            _pods[p.Uid] = new Entry(sandbox, pod, adopted: true, ownerKey);
            Timers.StartSingleTimer(ClaimTimer(p.Uid), new ClaimTimeout(p.Uid), _settings.AdoptionClaimTimeout);
            _log.Info("recovery: adopted pod {0}/{1} ({2}); waiting {3} for its owner to claim it",
                pod.Metadata.Namespace, pod.Metadata.Name, p.Uid, _settings.AdoptionClaimTimeout);
        }
        _log.Info("node {0} ready: {1} pods adopted, {2} containers and {3} pod folders cleaned up",
            _settings.NodeName, r.Plan.Adopt.Length, r.Plan.RemoveContainers.Length, r.Plan.RemoveDirs.Length);
        Become(Ready);
        Stash.UnstashAll();
        Self.Tell(Announce.Instance);
        Timers.StartPeriodicTimer("announce", Announce.Instance, _settings.HeartbeatInterval);
    }

    /// <summary>A change the Scheduler should see before the next period (a pod arrived or left): announce within 200 ms.</summary>
    private void AnnounceSoon()
    {
        if (!Timers.IsTimerActive("announce-soon")) Timers.StartSingleTimer("announce-soon", Announce.Instance, TimeSpan.FromMilliseconds(200));
    }

    /// <summary>Tells the local directory and publishes on the node topic for every other member and the Scheduler.</summary>
    private void OnAnnounce()
    {
        var beat = Heartbeat();
        Context.ActorSelection($"/user/{NodeDirectory.Name}").Tell(beat);
        if (Context.System.Settings.ProviderClass.Contains("Cluster", StringComparison.Ordinal))
            Akka.Cluster.Tools.PublishSubscribe.DistributedPubSub.Get(Context.System).Mediator
                .Tell(new Akka.Cluster.Tools.PublishSubscribe.Publish(NodeTopic.Name, beat));
    }

    private NodeHeartbeat Heartbeat()
    {
        long cpu = 0, memory = 0;
        var byOwner = new Dictionary<string, int>();
        foreach (var e in _pods.Values)
        {
            if (e.Stopping) continue;
            var (c, m) = Troupe.Actors.Scheduling.Placement.Requests(e.Pod.Spec);
            cpu += c;
            memory += m;
            byOwner[e.OwnerKey] = byOwner.GetValueOrDefault(e.OwnerKey) + 1;
        }
        var node = Describe();
        var now = DateTime.UtcNow;
        foreach (var (uid, at) in _recentlyTaken.Where(kv => now - kv.Value > RecentWindow).ToList()) _recentlyTaken.Remove(uid);
        return new NodeHeartbeat(node, Self, Environment.ProcessorCount * 1000L, _memoryBytes ?? 0, MaxPods, cpu, memory,
            byOwner.ToImmutableDictionary(), _pods.Count(kv => !kv.Value.Stopping),
            _recentlyTaken.Keys.Where(_pods.ContainsKey).ToImmutableArray());
    }

    /// <summary>Pods taken in the last <see cref="RecentWindow"/>: their UIDs ride on a few beats, so one lost beat loses none.</summary>
    private readonly Dictionary<string, DateTime> _recentlyTaken = new(StringComparer.Ordinal);

    private static readonly TimeSpan RecentWindow = TimeSpan.FromSeconds(3);

    private int MaxPods => _settings.MaxPods;
    #endregion

    #region Ready
    private void Ready()
    {
        Receive<StartPod>(OnStartPod);
        Receive<StopPod>(m =>
        {
            if (_pods.TryGetValue(m.Uid, out var e))
            {
                e.Stopping = true;
                Timers.Cancel(ClaimTimer(m.Uid));
                e.Sandbox.Forward(m);
            }
            else Sender.Tell(new PodStopped(m.Uid));
        });
        Receive<PodStopped>(_ => { }); // replies to stops this agent started itself
        Receive<HaltPod>(m =>
        {
            if (_pods.TryGetValue(m.Uid, out var e) && !e.Stopping) e.Sandbox.Forward(m);
            else Sender.Tell(new PodHalted(m.Uid));
        });
        Receive<GetPodLog>(m =>
        {
            if (_pods.TryGetValue(m.Uid, out var e)) e.Sandbox.Forward(m);
            else Sender.Tell(CommandRejected.NotFound($"pod with uid {m.Uid} not found on node {_settings.NodeName}"));
        });
        Receive<DescribeNode>(_ => Sender.Tell(new NodeDescribed(Describe())));
        Receive<Announce>(_ => OnAnnounce());
        Receive<ClaimTimeout>(m =>
        {
            if (!_pods.TryGetValue(m.Uid, out var e) || e.Claimed || e.Stopping) return;
            _log.Info("adopted pod {0}/{1} ({2}) was not claimed within {3}: stopping it",
                e.Pod.Metadata.Namespace, e.Pod.Metadata.Name, m.Uid, _settings.AdoptionClaimTimeout);
            e.Stopping = true;
            e.Sandbox.Tell(new StopPod(m.Uid), Self);
        });
        Receive<Terminated>(m =>
        {
            var uid = _pods.FirstOrDefault(kv => kv.Value.Sandbox.Equals(m.ActorRef)).Key;
            if (uid is not null)
            {
                _pods.Remove(uid);
                Timers.Cancel(ClaimTimer(uid));
                AnnounceSoon();
            }
            CheckShutdown();
        });
        Receive<StopAllPods>(_ =>
        {
            _shuttingDown = true;
            _shutdownWaiters.Add(Sender);
            _log.Info("node {0} shutting down: stopping {1} pods", _settings.NodeName, _pods.Count);
            foreach (var (uid, e) in _pods)
            {
                if (e.Stopping) continue;
                e.Stopping = true;
                e.Sandbox.Tell(new StopPod(uid), Self);
            }
            CheckShutdown();
        });
    }

    private void OnStartPod(StartPod m)
    {
        var uid = m.Pod.Metadata.Uid;
        if (string.IsNullOrEmpty(uid))
        {
            Sender.Tell(new PodRejected("", $"pod {m.Pod.Metadata.Name} has no uid"));
            return;
        }
        if (_shuttingDown)
        {
            Sender.Tell(new PodRejected(uid, $"node {_settings.NodeName} is shutting down"));
            return;
        }
        if (_epochs.TryGetValue(m.OwnerKey, out var seen) && m.Epoch < seen)
        {
            Sender.Tell(new PodRejected(uid, $"stale owner epoch {m.Epoch} for {m.OwnerKey}: this node has seen epoch {seen}"));
            return;
        }
        _epochs[m.OwnerKey] = Math.Max(m.Epoch, seen);
        if (_pods.TryGetValue(uid, out var existing))
        {
            if (existing.Stopping)
            {
                Sender.Tell(new PodRejected(uid, $"pod {m.Pod.Metadata.Name} is terminating on node {_settings.NodeName}"));
                return;
            }
            existing.Claimed = true;
            Timers.Cancel(ClaimTimer(uid));
            Sender.Tell(new PodAccepted(uid, existing.Sandbox, existing.Adopted));
            existing.Sandbox.Tell(new PodSandbox.Claim(Sender, m.OwnerKey, m.Epoch));
            return;
        }
        if (Validate(m.Pod) is { } problem)
        {
            Sender.Tell(new PodRejected(uid, problem));
            return;
        }
        var sandbox = Context.ActorOf(
            PodSandbox.Props(_settings, _driver, _images, _catalog, m.Pod, m.OwnerKey, m.Epoch, Sender, adopted: false), uid);
        Context.Watch(sandbox);
        _pods[uid] = new Entry(sandbox, m.Pod, adopted: false, m.OwnerKey) { Claimed = true };
        _recentlyTaken[uid] = DateTime.UtcNow;
        AnnounceSoon();
        Sender.Tell(new PodAccepted(uid, sandbox, false));
    }

    /// <summary>What this node cannot run, or null.</summary>
    private static string? Validate(Pod pod)
    {
        if (pod.Spec.Containers.IsDefaultOrEmpty) return $"pod {pod.Metadata.Name} has no containers";
        if (!RestartPolicy.IsValid(pod.Spec.RestartPolicy))
            return $"pod {pod.Metadata.Name}: unsupported restartPolicy \"{pod.Spec.RestartPolicy}\" (want Always, OnFailure or Never)";
        var dup = pod.Spec.Containers.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) return $"pod {pod.Metadata.Name}: duplicate container name \"{dup.Key}\"";
        foreach (var c in pod.Spec.Containers)
        {
            if (string.IsNullOrEmpty(c.Name) || c.Name.Any(ch => !(char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.')))
                return $"pod {pod.Metadata.Name}: invalid container name \"{c.Name}\"";
            foreach (var (k, v) in c.Resources.Limits)
            {
                try { _ = ResourceQuantity.Parse(v); }
                catch (FormatException) { return $"pod {pod.Metadata.Name}: container {c.Name}: invalid {k} limit \"{v}\""; }
            }
        }
        return null;
    }

    private void CheckShutdown()
    {
        if (!_shuttingDown || _pods.Count > 0 || _shutdownWaiters.Count == 0) return;
        foreach (var w in _shutdownWaiters) w.Tell(AllPodsStopped.Instance);
        _shutdownWaiters.Clear();
    }

    /// <summary>Where other nodes reach this one (and its pods, through a route to its pod CIDR): the host of its cluster address.</summary>
    private ImmutableArray<NodeAddress> AdvertisedAddresses => _settings.HostIP is { Length: > 0 } host
        ? [new NodeAddress(System.Net.IPAddress.TryParse(host, out _) ? "InternalIP" : "Hostname", host)]
        : ImmutableArray<NodeAddress>.Empty;

    private Node Describe()
    {
        long cpu = 0, memory = 0;
        foreach (var e in _pods.Values)
        {
            var (c, m) = Troupe.Actors.Scheduling.Placement.Requests(e.Pod.Spec);
            cpu += c;
            memory += m;
        }
        var capacity = ImmutableSortedDictionary.CreateBuilder<string, string>();
        capacity["cpu"] = Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (_memoryBytes is { } mem) capacity["memory"] = $"{mem / 1024}Ki";
        capacity["pods"] = MaxPods.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new Node
        {
            Metadata = new ObjectMeta { Name = _settings.NodeName, Namespace = "", Labels = _settings.Labels, CreationTimestamp = _started },
            Spec = new NodeSpec { Taints = _settings.Taints, PodCIDR = _settings.Network?.Ipam.Cidr.ToString() },
            Status = new NodeStatus
            {
                Roles = _settings.Roles,
                Phase = "Up",
                Address = _settings.Address,
                Addresses = AdvertisedAddresses,
                Api = _settings.ApiAddress,
                Driver = _settings.DriverName,
                Capacity = capacity.ToImmutable(),
                Allocated = ImmutableSortedDictionary.CreateRange(new Dictionary<string, string>
                {
                    ["cpu"] = ResourceQuantity.FormatMillis(cpu),
                    ["memory"] = ResourceQuantity.FormatBytes(memory),
                }),
                Pods = _pods.Count,
            },
        };
    }
    #endregion

    private static string ClaimTimer(string uid) => $"claim-{uid}";

    /// <summary>
    /// INTERNAL API. The CoordinatedShutdown task, registered once per agent (it outlives restarts of the agent):
    /// asks the live agent to stop all pods, completes at once when the agent is gone.
    /// </summary>
    public sealed class ShutdownHook
    {
        private IActorRef? _agent;
        private int _registered;

        public void Attach(ActorSystem system, IActorRef agent)
        {
            Volatile.Write(ref _agent, agent);
            if (Interlocked.Exchange(ref _registered, 1) == 1) return;
            var cs = CoordinatedShutdown.Get(system);
            var timeout = cs.Timeout(CoordinatedShutdown.PhaseBeforeActorSystemTerminate);
            cs.AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, ShutdownTaskName, async () =>
            {
                var a = Volatile.Read(ref _agent);
                if (a is null) return Done.Instance;
                try { await a.Ask<AllPodsStopped>(StopAllPods.Instance, timeout > TimeSpan.FromSeconds(2) ? timeout - TimeSpan.FromSeconds(1) : timeout); }
                catch (Exception) { /* timed out or the agent died: the phase goes on */ }
                return Done.Instance;
            });
        }

        public void Detach(IActorRef agent) => Interlocked.CompareExchange(ref _agent, null, agent);
    }
}
