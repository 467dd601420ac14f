using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Pattern;
using Akka.Persistence;
using Troupe.Actors.Catalog;
using Troupe.Actors.Hosting;
using Troupe.Actors.ReplicaSets;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;

namespace Troupe.Actors.Deployments;

/// <summary>
/// A Deployment: a persistent sharded entity (<c>namespace/name</c>) that supervises one
/// <see cref="ReplicaSetActor"/> per pod-template hash. It persists the spec, scaling, deletion, and — before any pod
/// is sent to a node — each pod's identity (name, UID, node, epoch), so after a restart or fail-over it adopts the
/// pods that still run instead of starting duplicates. Each recovery advances the epoch.
/// </summary>
public sealed class DeploymentActor : ReceivePersistentActor, IWithTimers
{
    /// <summary>Look at the rollout's progress deadline again.</summary>
    sealed class CheckProgress : INoSerializationVerificationNeeded
    {
        public static readonly CheckProgress Instance = new();
    }

    /// <summary>The Scheduler's answer to a CreatePods, back in the actor.</summary>
    sealed record Placed(ReplicaSetActor.CreatePods Command, IActorRef ReplicaSet, ImmutableArray<string> Uids,
        Scheduling.PodsScheduled Result) : INoSerializationVerificationNeeded;

    /// <summary>The Scheduler's answer for one pod that had no node.</summary>
    sealed record Rebound(string Name, IActorRef ReplicaSet, Scheduling.PodsScheduled Result) : INoSerializationVerificationNeeded;

    public ITimerScheduler Timers { get; set; } = null!;

    readonly IActorRef? _scheduler;
    readonly HashSet<string> _binding = new(StringComparer.Ordinal);
    readonly string _id;
    readonly ActorsSettings _settings;
    readonly string _nodeName;
    readonly ILoggingAdapter _log = Context.GetLogger();
    readonly Dictionary<string, DeploymentReconciler.ReplicaSetCounts> _counts = new();
    /// <summary>The targets last sent to each ReplicaSet: a rolling update moves them step by step.</summary>
    readonly Dictionary<string, int> _targets = new();
    readonly IActorRef _catalog;
    DeploymentState _state = DeploymentState.Empty;
    DeploymentStatus? _status;
    bool _deleting;

    public override string PersistenceId { get; }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        JournalFailure.Tell(Sender, Self, cause);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        JournalFailure.Observed(reason);
        base.OnRecoveryFailure(reason, message);
    }

    /// <summary>Under <see cref="JournalFailure.Supervised"/>, because a failed persist or recovery stops the actor.</summary>
    /// <param name="scheduler">Places the pods (the Scheduler singleton's proxy); null places every pod on <paramref name="nodeName"/>.</param>
    public static Props Props(string entityId, ActorsSettings settings, string nodeName, IActorRef catalog, IActorRef? scheduler = null) =>
        JournalFailure.Supervised(Akka.Actor.Props.Create(() => new DeploymentActor(entityId, settings, nodeName, catalog, scheduler)), "d", m => m is StopDeploymentEntity);

    public DeploymentActor(string id, ActorsSettings settings, string nodeName, IActorRef catalog, IActorRef? scheduler = null)
    {
        _scheduler = scheduler;
        _id = id;
        _settings = settings;
        _nodeName = nodeName;
        PersistenceId = $"deployment-{id}";
        _catalog = catalog;

        Recover<IDeploymentEvent>(e => _state = _state.Apply(e));
        Recover<RecoveryCompleted>(_ => OnRecovered());

        Command<ApplyDeployment>(OnApply);
        Command<ScaleDeploymentTo>(OnScale);
        Command<DeleteDeployment>(OnDelete);
        Command<ReplicaSetActor.CreatePods>(OnCreatePods);
        Command<Placed>(OnPlaced);
        Command<ReplicaSetActor.BindPod>(OnBindPod);
        Command<Rebound>(OnRebound);
        Command<ReplicaSetActor.DeletePods>(OnDeletePods);
        Command<ReplicaSetActor.ReplicaSetCountsChanged>(OnCounts);
        // a deleted pod whose actor has stopped gives its name back (compose's <project>-<service>-1 again after a recreate)
        Command<ReplicaSetActor.PodStopped>(m => { if (!_state.Pods.ContainsKey(m.Name)) _usedNames.Remove(m.Name); });
        Command<Terminated>(OnChildTerminated);
        Command<StopDeploymentEntity>(_ => Context.Stop(Self));
        Command<SaveSnapshotSuccess>(_ => { });
        Command<CheckProgress>(_ => PublishStatus());
    }

    string Namespace => DeploymentIds.Split(_id).Namespace;
    string Name => DeploymentIds.Split(_id).Name;

    void OnRecovered()
    {
        if (!_state.Exists)
        {
            // A deleted Deployment is not passivated: the command that woke it (often an apply of the same name)
            // is handled right after recovery and would race the shard's stop message.
            return;
        }
        Persist(new EpochAdvanced(_state.Epoch + 1), e =>
        {
            _state = _state.Apply(e);
            _log.Info("deployment {0} recovered at epoch {1} with {2} pods", _id, _state.Epoch, _state.Pods.Count);
            Reconcile();
        });
    }

    void OnApply(ApplyDeployment cmd)
    {
        var d = cmd.Deployment with { Status = null };
        var hash = TemplateHash.Compute(d.Spec.Template);
        var canonical = Canonical(d);
        if (_state.Exists && Canonical(_state.Object!) == canonical)
        {
            Sender.Tell(new CommandAccepted("unchanged"));
            return;
        }
        var created = !_state.Exists;
        var uid = created ? Guid.NewGuid().ToString() : _state.Object!.Metadata.Uid!;
        var generation = _state.Generation + 1;
        var replyTo = Sender;
        if (created) Persist(new EpochAdvanced(_state.Epoch + 1), e => _state = _state.Apply(e));
        Persist(new DeploymentApplied(canonical, hash, generation, uid, DateTimeOffset.UtcNow), e =>
        {
            _state = _state.Apply(e);
            _deleting = false;
            Reconcile();
            replyTo.Tell(new CommandAccepted(created ? "created" : "configured"));
        });
    }

    /// <summary>What decides "unchanged": the object as the user wrote it, without the fields the control plane fills in.</summary>
    static string Canonical(Deployment d) => ProtocolJson.Serialize(d with
    {
        Status = null,
        Metadata = d.Metadata with { Uid = null, Generation = 0, ResourceVersion = null, CreationTimestamp = null },
    });

    void OnScale(ScaleDeploymentTo cmd)
    {
        if (!_state.Exists)
        {
            Sender.Tell(CommandRejected.NotFound($"deployments.apps \"{Name}\" not found"));
            return;
        }
        if (_state.Object!.Spec.Replicas == cmd.Replicas)
        {
            Sender.Tell(new CommandAccepted("scaled"));
            return;
        }
        var replyTo = Sender;
        Persist(new DeploymentScaled(cmd.Replicas, _state.Generation + 1), e =>
        {
            _state = _state.Apply(e);
            Reconcile();
            replyTo.Tell(new CommandAccepted("scaled"));
        });
    }

    void OnDelete(DeleteDeployment cmd)
    {
        if (!_state.Exists)
        {
            Sender.Tell(CommandRejected.NotFound($"deployments.apps \"{Name}\" not found"));
            return;
        }
        var replyTo = Sender;
        var uid = _state.Object!.Metadata.Uid;
        Persist(new DeploymentDeleted(DateTimeOffset.UtcNow), e =>
        {
            _state = _state.Apply(e);
            _deleting = true;
            _catalog.Tell(new ObjectForgotten("Deployment", Namespace, Name, uid));
            replyTo.Tell(new CommandAccepted("deleted"));
            foreach (var child in Context.GetChildren()) child.Tell(ReplicaSetActor.Terminate.Instance);
            FinishDeleteIfDone();
        });
    }

    void FinishDeleteIfDone()
    {
        if (_deleting && !Context.GetChildren().Any())
        {
            // Not passivated: an apply of the same name right after the delete would race the shard's stop
            // message and be lost with the stopping entity. A deleted entity is cheap (state without pods).
            _deleting = false;
            _log.Info("deployment {0} deleted", _id);
        }
    }

    void OnChildTerminated(Terminated t)
    {
        _counts.Remove(t.ActorRef.Path.Name);
        _targets.Remove(t.ActorRef.Path.Name);
        FinishDeleteIfDone();
        // a pruned revision applied again while its ReplicaSet was stopping: start it anew
        if (_state.Exists && !_deleting && _state.Templates.ContainsKey(t.ActorRef.Path.Name)) Reconcile();
    }

    void OnCreatePods(ReplicaSetActor.CreatePods cmd)
    {
        if (!_state.Exists) return;
        var uids = Enumerable.Range(0, cmd.Count).Select(_ => Guid.NewGuid().ToString()).ToImmutableArray();
        var rs = Sender;
        if (_scheduler is null)
        {
            OnPlaced(new Placed(cmd, rs, uids, new Scheduling.PodsScheduled([.. uids.Select(_ => _nodeName)], null)));
            return;
        }
        // the Scheduler decides the nodes before the pods are persisted: a pod's node is part of its identity
        AskScheduler(cmd.TemplateHash, uids).PipeTo(Self, success: r => new Placed(cmd, rs, uids, r));
    }

    Task<Scheduling.PodsScheduled> AskScheduler(string hash, ImmutableArray<string> uids)
    {
        var spec = (_state.Templates.TryGetValue(hash, out var t) ? t : _state.Object!.Spec.Template).Spec;
        var (cpu, mem) = Scheduling.Placement.Requests(spec);
        var ask = new Scheduling.SchedulePods(_id, cpu, mem, spec.NodeSelector,
            spec.Tolerations.IsDefault ? [] : spec.Tolerations, uids);
        return _scheduler!.Ask<Scheduling.PodsScheduled>(ask, _settings.SchedulerTimeout).ContinueWith(task =>
            task.IsCompletedSuccessfully ? task.Result
                : new Scheduling.PodsScheduled([], "the scheduler did not answer (no control node has it running yet)"));
    }

    void OnPlaced(Placed m)
    {
        var cmd = m.Command;
        if (!_state.Exists)
        {
            m.ReplicaSet.Tell(new ReplicaSetActor.PodsCreated([], _state.Epoch));
            return;
        }
        var now = DateTimeOffset.UtcNow;
        var nodes = m.Result.Nodes;
        // pods that fit nowhere are persisted unbound (Pending) and bound later, as Kubernetes does
        var events = m.Uids.Select((uid, i) =>
                new PodCreated(cmd.TemplateHash, PodName(cmd.TemplateHash), uid, i < nodes.Length ? nodes[i] : "", _state.Epoch, now))
            .ToList();
        var rs = m.ReplicaSet;
        PersistAll(events, e => _state = _state.Apply(e));
        DeferAsync(events, evs =>
        {
            rs.Tell(new ReplicaSetActor.PodsCreated(
                evs.Select(p => new PodRecord(p.TemplateHash, p.Name, p.Uid, p.NodeName, p.Epoch, p.At)).ToImmutableArray(), _state.Epoch));
            if (m.Result.Reason is { } why)
                foreach (var p in evs.Where(p => p.NodeName.Length == 0))
                    rs.Tell(new ReplicaSetActor.PodBinding(p.Name, null, why));
        });
        foreach (var p in events)
        {
            RecordEvent("ReplicaSet", $"{Name}-{cmd.TemplateHash}", "SuccessfulCreate", $"Created pod: {p.Name}");
            if (p.NodeName.Length > 0)
                RecordEvent("Pod", p.Name, "Scheduled", $"Successfully assigned {Namespace}/{p.Name} to {p.NodeName}", p.Uid);
            else
                RecordEvent("Pod", p.Name, "FailedScheduling", m.Result.Reason ?? "no node can take the pod", p.Uid, warning: true);
        }
    }

    void OnBindPod(ReplicaSetActor.BindPod m)
    {
        if (!_state.Exists || !_state.Pods.TryGetValue(m.Name, out var pod) || pod.NodeName.Length > 0) return;
        if (!_binding.Add(m.Name)) return;
        var rs = Sender;
        if (_scheduler is null)
        {
            OnRebound(new Rebound(m.Name, rs, new Scheduling.PodsScheduled([_nodeName], null)));
            return;
        }
        AskScheduler(m.TemplateHash, [pod.Uid]).PipeTo(Self, success: r => new Rebound(m.Name, rs, r));
    }

    void OnRebound(Rebound m)
    {
        _binding.Remove(m.Name);
        if (!_state.Exists || !_state.Pods.TryGetValue(m.Name, out var pod) || pod.NodeName.Length > 0) return;
        if (m.Result.Nodes.IsEmpty)
        {
            m.ReplicaSet.Tell(new ReplicaSetActor.PodBinding(m.Name, null, m.Result.Reason ?? "no node can take the pod"));
            return;
        }
        var node = m.Result.Nodes[0];
        Persist(new PodBound(m.Name, node), e =>
        {
            _state = _state.Apply(e);
            m.ReplicaSet.Tell(new ReplicaSetActor.PodBinding(m.Name, node, null));
            RecordEvent("Pod", m.Name, "Scheduled", $"Successfully assigned {Namespace}/{m.Name} to {node}", pod.Uid);
        });
    }

    void OnDeletePods(ReplicaSetActor.DeletePods cmd)
    {
        var names = cmd.Names.Where(_state.Pods.ContainsKey).ToImmutableArray();
        var rs = Sender;
        PersistAll(names.Select(n => new PodDeleted(n)), e => _state = _state.Apply(e));
        DeferAsync(cmd.Names, all => rs.Tell(new ReplicaSetActor.PodsDeleted(all)));
        foreach (var n in names)
            RecordEvent("ReplicaSet", $"{Name}-{_state.TemplateHash}", "SuccessfulDelete", $"Deleted pod: {n}");
    }

    void OnCounts(ReplicaSetActor.ReplicaSetCountsChanged m)
    {
        var counts = new DeploymentReconciler.ReplicaSetCounts(m.Replicas, m.Ready, m.Available, m.Terminating);
        var changed = !_counts.TryGetValue(m.TemplateHash, out var before) || before != counts;
        _counts[m.TemplateHash] = counts;
        // a rollout moves on as pods become ready or go away
        if (changed) Reconcile();
        else PublishStatus();
    }

    /// <summary>Start or update one ReplicaSet per revision with its target replicas, then publish the status.</summary>
    void Reconcile()
    {
        if (!_state.Exists) return;
        var spec = _state.Object!.Spec;
        var hashes = _state.Templates.Keys.Union(_state.Pods.Values.Select(p => p.TemplateHash));
        var known = _state.Pods.Values.GroupBy(p => p.TemplateHash).ToDictionary(g => g.Key, g => g.Count());
        var targets = DeploymentReconciler.Targets(spec, _state.TemplateHash!, hashes, _counts, _targets, _state.Revisions, known);
        foreach (var (hash, target) in targets)
        {
            if (!_state.Templates.TryGetValue(hash, out var template)) continue;
            var child = Context.Child(hash);
            if (child.IsNobody())
            {
                child = Context.ActorOf(ReplicaSetActor.Props(_id, Name, hash, _settings, _catalog), hash);
                Context.Watch(child);
            }
            var previous = _targets.TryGetValue(hash, out var t) ? t : _counts.TryGetValue(hash, out var c) ? c.Replicas : 0;
            if (previous != target)
                RecordEvent("Deployment", Name, "ScalingReplicaSet",
                    $"Scaled {(target >= previous ? "up" : "down")} replica set {Name}-{hash} from {previous} to {target}", _state.Object.Metadata.Uid);
            _targets[hash] = target;
            child.Tell(new ReplicaSetActor.SetTarget(target, template, _state.Object.Metadata,
                _state.Revisions.GetValueOrDefault(hash), _state.Epoch,
                _state.Pods.Values.Where(p => p.TemplateHash == hash).ToImmutableArray(),
                _state.ChangeCauses.GetValueOrDefault(hash), spec.MinReadySeconds));
        }
        Prune(known);
        PublishStatus();
    }

    /// <summary>Forget the old revisions beyond revisionHistoryLimit that have no pod left.</summary>
    void Prune(Dictionary<string, int> known)
    {
        var prunable = DeploymentReconciler.Prunable(_state.Object!.Spec, _state.TemplateHash!, _state.Revisions, _targets, _counts, known);
        if (prunable.IsEmpty) return;
        Persist(new RevisionsPruned(prunable), e =>
        {
            _state = _state.Apply(e);
            foreach (var h in e.TemplateHashes)
            {
                _targets.Remove(h);
                _counts.Remove(h);
                var child = Context.Child(h);
                if (!child.IsNobody()) child.Tell(ReplicaSetActor.Forget.Instance);
            }
        });
    }

    void PublishStatus()
    {
        if (!_state.Exists) return;
        var spec = _state.Object!.Spec;
        var now = DateTimeOffset.UtcNow;
        _status = DeploymentReconciler.Status(spec, _state.Generation, _state.TemplateHash!, _counts, now, _status, $"{Name}-{_state.TemplateHash}");
        // nothing may happen until the deadline passes: look again then
        if (DeploymentReconciler.ProgressDeadline(spec, _status) is { } deadline)
            Timers.StartSingleTimer("progress", CheckProgress.Instance, deadline - now + TimeSpan.FromMilliseconds(50));
        else Timers.Cancel("progress");
        var annotations = _state.Object.Metadata.Annotations
            .SetItem("deployment.kubernetes.io/revision", _state.Revisions.GetValueOrDefault(_state.TemplateHash!).ToString())
            // the control node whose shard runs this Deployment now (it moves when that node is lost)
            .SetItem(PodAnnotations.ControlNode, _nodeName);
        _catalog.Tell(new ObjectObserved(_state.Object with
        {
            Metadata = _state.Object.Metadata with { Annotations = annotations },
            Status = _status,
        }));
    }

    void RecordEvent(string kind, string name, string reason, string message, string? uid = null, bool warning = false) =>
        _catalog.Tell(new EventRecorded(new Event
        {
            InvolvedObject = new ObjectReference(kind, Namespace, name, uid),
            Type = warning ? "Warning" : "Normal",
            Reason = reason,
            Message = message,
            FirstTimestamp = DateTimeOffset.UtcNow,
            LastTimestamp = DateTimeOffset.UtcNow,
            Source = new EventSource(kind == "Pod" ? "default-scheduler" : "deployment-controller"),
        }));

    const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";

    /// <summary>Names given out in this incarnation: not given again until their pods' actors have stopped (<see cref="ReplicaSetActor.PodStopped"/>).</summary>
    readonly HashSet<string> _usedNames = new(StringComparer.Ordinal);

    string PodName(string hash)
    {
        var meta = _state.Object!.Metadata;
        if (meta.Annotations.TryGetValue(PodAnnotations.PodNames, out var scheme) && scheme == "ordinal")
        {
            bool Free(string n) => !_state.Pods.ContainsKey(n) && !_usedNames.Contains(n);
            var wanted = _state.Object.Spec.Replicas == 1 && meta.Annotations.TryGetValue(PodAnnotations.ContainerName, out var cn) ? cn : null;
            var chosen = wanted is not null && Free(wanted) ? wanted
                : Enumerable.Range(1, int.MaxValue - 1).Select(i => $"{Name}-{i}").First(Free);
            _usedNames.Add(chosen);
            return chosen;
        }
        string name;
        do
        {
            Span<char> s = stackalloc char[5];
            for (var i = 0; i < 5; i++) s[i] = Alphabet[Random.Shared.Next(Alphabet.Length)];
            name = $"{Name}-{hash}-{s}";
        } while (_state.Pods.ContainsKey(name));
        return name;
    }
}
