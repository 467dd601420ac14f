using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Troupe.Actors.Catalog;
using Troupe.Actors.Deployments;
using Troupe.Actors.Hosting;
using Troupe.Actors.Pods;
using Troupe.Api.Objects;

namespace Troupe.Actors.ReplicaSets;

/// <summary>
/// One revision of a Deployment (one pod-template hash): a child of the <see cref="DeploymentActor"/> that supervises
/// one <see cref="PodActor"/> per pod. It keeps <c>target</c> pods alive: it asks its parent to persist new pod
/// identities (or deletions) before acting, and records those requests as expectations so it never acts twice on
/// the same difference. A pod that is only restarting its container is not lost: the PodActor watches the pod's
/// sandbox, not its containers.
/// </summary>
public sealed class ReplicaSetActor : ReceiveActor, IWithTimers
{
    public ITimerScheduler Timers { get; set; } = null!;

    #region Protocol
    /// <summary>Deployment → ReplicaSet: the wanted replicas, template and the pods persisted for this revision.</summary>
    public sealed record SetTarget(int Replicas, PodTemplateSpec Template, ObjectMeta Owner, long Revision, long Epoch,
        ImmutableArray<PodRecord> Pods, string? ChangeCause = null, int MinReadySeconds = 0) : INoSerializationVerificationNeeded;

    /// <summary>ReplicaSet → Deployment: persist this many new pods, reply <see cref="PodsCreated"/>.</summary>
    public sealed record CreatePods(string TemplateHash, int Count) : INoSerializationVerificationNeeded;
    public sealed record PodsCreated(ImmutableArray<PodRecord> Pods, long Epoch) : INoSerializationVerificationNeeded;

    /// <summary>ReplicaSet → Deployment: persist that these pods are no longer wanted, reply <see cref="PodsDeleted"/>.</summary>
    public sealed record DeletePods(ImmutableArray<string> Names) : INoSerializationVerificationNeeded;
    public sealed record PodsDeleted(ImmutableArray<string> Names) : INoSerializationVerificationNeeded;

    /// <summary>ReplicaSet → Deployment: this pod's actor has stopped (its containers are gone), so its name may be given again.</summary>
    public sealed record PodStopped(string Name) : INoSerializationVerificationNeeded;

    /// <summary>ReplicaSet → Deployment: its counts changed (available: ready for at least minReadySeconds).</summary>
    public sealed record ReplicaSetCountsChanged(string TemplateHash, int Replicas, int Ready, int Available, int Terminating = 0) : INoSerializationVerificationNeeded;

    /// <summary>ReplicaSet → Deployment: this pod has no node yet; ask the Scheduler and persist the binding.</summary>
    public sealed record BindPod(string TemplateHash, string Name) : INoSerializationVerificationNeeded;

    /// <summary>Deployment → ReplicaSet: the pod is bound to <c>NodeName</c> (persisted), or still fits nowhere (<c>NodeName</c> null, <c>Reason</c>).</summary>
    public sealed record PodBinding(string Name, string? NodeName, string? Reason) : INoSerializationVerificationNeeded;

    /// <summary>Deployment → ReplicaSet: this revision is pruned (revisionHistoryLimit); it has no pods, stop.</summary>
    public sealed class Forget : INoSerializationVerificationNeeded
    {
        public static readonly Forget Instance = new();
    }

    /// <summary>A pod's minReadySeconds may have passed: count again.</summary>
    sealed class Recount : INoSerializationVerificationNeeded
    {
        public static readonly Recount Instance = new();
    }

    /// <summary>Deployment → ReplicaSet: the Deployment is deleted; stop every pod, then stop.</summary>
    public sealed class Terminate : INoSerializationVerificationNeeded
    {
        public static readonly Terminate Instance = new();
    }
    #endregion

    sealed class PodEntry(PodRecord record, IActorRef actor)
    {
        public PodRecord Record { get; } = record;
        public IActorRef Actor { get; } = actor;
        public bool Ready { get; set; }
        /// <summary>Since when it is ready (for minReadySeconds).</summary>
        public DateTimeOffset ReadySince { get; set; }
        public bool Terminating { get; set; }
    }

    readonly string _deploymentId;
    readonly string _deploymentName;
    readonly string _hash;
    readonly ActorsSettings _settings;
    readonly IActorRef _catalog;
    readonly ILoggingAdapter _log = Context.GetLogger();
    readonly Dictionary<string, PodEntry> _pods = new();
    SetTarget? _target;
    int _expectedCreations;
    readonly HashSet<string> _expectedDeletions = new();
    bool _terminating;
    (int, int, int, int, int, string?, long) _lastPublished = (-1, -1, -1, -1, -1, null, -1);

    /// <summary>At most this many pods are asked for in one step (Kubernetes' burst).</summary>
    const int Burst = 500;

    public static Props Props(string deploymentId, string deploymentName, string hash, ActorsSettings settings, IActorRef catalog) =>
        Akka.Actor.Props.Create(() => new ReplicaSetActor(deploymentId, deploymentName, hash, settings, catalog));

    public ReplicaSetActor(string deploymentId, string deploymentName, string hash, ActorsSettings settings, IActorRef catalog)
    {
        _deploymentId = deploymentId;
        _deploymentName = deploymentName;
        _hash = hash;
        _settings = settings;
        _catalog = catalog;

        Receive<SetTarget>(OnSetTarget);
        Receive<PodsCreated>(OnPodsCreated);
        Receive<PodsDeleted>(OnPodsDeleted);
        Receive<PodActor.PodReadinessChanged>(m =>
        {
            if (_pods.TryGetValue(m.Name, out var p))
            {
                if (m.Ready && !p.Ready) p.ReadySince = DateTimeOffset.UtcNow;
                p.Ready = m.Ready;
                // available only minReadySeconds after ready: look again then
                if (m.Ready && _target is { MinReadySeconds: > 0 } t)
                    Timers.StartSingleTimer("available-" + m.Name, Recount.Instance, TimeSpan.FromSeconds(t.MinReadySeconds) + TimeSpan.FromMilliseconds(10));
            }
            Publish();
        });
        Receive<Recount>(_ => Publish());
        Receive<PodActor.BindingNeeded>(m =>
        {
            if (_pods.TryGetValue(m.Name, out var p) && !p.Terminating) Context.Parent.Tell(new BindPod(_hash, m.Name));
        });
        Receive<PodBinding>(m =>
        {
            if (!_pods.TryGetValue(m.Name, out var p)) return;
            if (m.NodeName is { } node) p.Actor.Tell(new PodActor.Bind(node));
            else if (m.Reason is { } why) p.Actor.Tell(new PodActor.Unschedulable(why));
        });
        Receive<Forget>(_ =>
        {
            _terminating = true;
            if (_pods.Count == 0) Context.Stop(Self);
        });
        Receive<PodActor.PodLost>(m =>
        {
            if (_pods.TryGetValue(m.Name, out var p) && !p.Terminating)
            {
                _log.Info("pod {0} was lost; replacing it", m.Name);
                p.Terminating = true;
                Context.Parent.Tell(new DeletePods([m.Name]));
                Reconcile();
            }
        });
        Receive<Terminated>(t =>
        {
            var name = t.ActorRef.Path.Name;
            _pods.Remove(name);
            Context.Parent.Tell(new PodStopped(name));
            Reconcile();
            Publish();
            if (_terminating && _pods.Count == 0) Context.Stop(Self);
        });
        Receive<Terminate>(_ =>
        {
            _terminating = true;
            foreach (var p in _pods.Values.Where(p => !p.Terminating))
            {
                p.Terminating = true;
                p.Actor.Tell(PodActor.StopPodNow.Instance);
            }
            if (_pods.Count == 0) Context.Stop(Self);
        });
    }

    string ReplicaSetName => $"{_deploymentName}-{_hash}";

    void OnSetTarget(SetTarget t)
    {
        var first = _target is null;
        var minReadyBefore = _target?.MinReadySeconds;
        _target = t;
        if (first)
        {
            // adopt the pods persisted for this revision: each PodActor re-sends StartPod, idempotent on the node
            foreach (var r in t.Pods) StartPodActor(r, t.Epoch);
        }
        else if (t.MinReadySeconds > 0 && t.MinReadySeconds != minReadyBefore)
        {
            // a changed minReadySeconds: pods already ready become available at their new time, so look again then
            var now = DateTimeOffset.UtcNow;
            foreach (var (name, p) in _pods.Where(kv => kv.Value is { Ready: true, Terminating: false }))
            {
                var due = p.ReadySince + TimeSpan.FromSeconds(t.MinReadySeconds) - now;
                if (due > TimeSpan.Zero) Timers.StartSingleTimer("available-" + name, Recount.Instance, due + TimeSpan.FromMilliseconds(10));
            }
        }
        Reconcile();
        Publish();
    }

    void StartPodActor(PodRecord r, long epoch)
    {
        if (_pods.ContainsKey(r.Name) || _target is null) return;
        var actor = Context.ActorOf(PodActor.Props(r, BuildPod(r), _deploymentId, epoch, _settings, _catalog), r.Name);
        Context.Watch(actor);
        _pods[r.Name] = new PodEntry(r, actor);
    }

    Pod BuildPod(PodRecord r)
    {
        var t = _target!;
        var (ns, _) = DeploymentIds.Split(_deploymentId);
        return new Pod
        {
            Metadata = t.Template.Metadata with
            {
                Name = r.Name,
                Namespace = ns,
                Uid = r.Uid,
                CreationTimestamp = r.Created,
                Labels = t.Template.Metadata.Labels.SetItem("pod-template-hash", _hash),
                OwnerReferences = [new OwnerReference("apps/v1", "ReplicaSet", ReplicaSetName, OwnerUid)],
            },
            Spec = t.Template.Spec with { NodeName = r.NodeName },
        };
    }

    string OwnerUid => $"{_target!.Owner.Uid}-{_hash}";

    void OnPodsCreated(PodsCreated m)
    {
        _expectedCreations = Math.Max(0, _expectedCreations - m.Pods.Length);
        foreach (var r in m.Pods) StartPodActor(r, m.Epoch);
        Reconcile();
        Publish();
    }

    void OnPodsDeleted(PodsDeleted m)
    {
        foreach (var name in m.Names)
        {
            _expectedDeletions.Remove(name);
            if (_pods.TryGetValue(name, out var p))
            {
                p.Terminating = true;
                p.Actor.Tell(PodActor.StopPodNow.Instance);
            }
        }
        Reconcile();
        Publish();
    }

    /// <summary>Compare the live pods with the target and ask the parent for the difference, once.</summary>
    void Reconcile()
    {
        if (_target is null || _terminating) return;
        var live = _pods.Values.Count(p => !p.Terminating);
        var plan = ReplicaSetReconciler.Compute(_target.Replicas, live, _expectedCreations, _expectedDeletions.Count, Burst);
        if (plan.Create > 0)
        {
            _expectedCreations += plan.Create;
            Context.Parent.Tell(new CreatePods(_hash, plan.Create));
        }
        if (plan.Delete > 0)
        {
            var victims = ReplicaSetReconciler.ChooseVictims(
                _pods.Values.Where(p => !p.Terminating && !_expectedDeletions.Contains(p.Record.Name))
                    .Select(p => new ReplicaSetReconciler.Candidate(p.Record.Name, p.Ready, p.Record.Created)),
                plan.Delete);
            foreach (var v in victims) _expectedDeletions.Add(v);
            if (victims.Length > 0) Context.Parent.Tell(new DeletePods(victims));
        }
    }

    void Publish()
    {
        if (_target is null) return;
        var live = _pods.Values.Count(p => !p.Terminating);
        var ready = _pods.Values.Count(p => !p.Terminating && p.Ready);
        var now = DateTimeOffset.UtcNow;
        var minReady = TimeSpan.FromSeconds(_target.MinReadySeconds);
        var available = _pods.Values.Count(p => !p.Terminating && p.Ready && now - p.ReadySince >= minReady);
        var terminating = _pods.Count - live;
        var key = (live, ready, available, terminating, _target.Replicas, _target.ChangeCause, _target.Revision);
        if (key == _lastPublished) return;
        _lastPublished = key;
        Context.Parent.Tell(new ReplicaSetCountsChanged(_hash, live, ready, available, terminating));
        var annotations = ImmutableSortedDictionary<string, string>.Empty
            .Add("deployment.kubernetes.io/revision", _target.Revision.ToString())
            .Add("deployment.kubernetes.io/desired-replicas", _target.Replicas.ToString());
        if (_target.ChangeCause is { } cause) annotations = annotations.Add(DeploymentState.ChangeCauseAnnotation, cause);
        var (ns, _) = DeploymentIds.Split(_deploymentId);
        _catalog.Tell(new ObjectObserved(new ReplicaSet
        {
            Metadata = new ObjectMeta
            {
                Name = ReplicaSetName,
                Namespace = ns,
                Uid = OwnerUid,
                Labels = _target.Template.Metadata.Labels.SetItem("pod-template-hash", _hash),
                Annotations = annotations,
                CreationTimestamp = _target.Owner.CreationTimestamp,
                OwnerReferences = [new OwnerReference("apps/v1", "Deployment", _deploymentName, _target.Owner.Uid ?? "")],
            },
            Spec = new ReplicaSetSpec { Replicas = _target.Replicas, Template = _target.Template, MinReadySeconds = _target.MinReadySeconds },
            Status = new ReplicaSetStatus { Replicas = live, ReadyReplicas = ready, AvailableReplicas = available },
        }));
    }

    protected override void PostStop()
    {
        if (_terminating)
        {
            var (ns, _) = DeploymentIds.Split(_deploymentId);
            _catalog.Tell(new ObjectForgotten("ReplicaSet", ns, ReplicaSetName));
        }
    }
}
