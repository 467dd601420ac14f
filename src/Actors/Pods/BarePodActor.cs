using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using Akka.Persistence;
using Troupe.Actors.Catalog;
using Troupe.Actors.Deployments;
using Troupe.Actors.Hosting;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;

namespace Troupe.Actors.Pods;

/// <summary>
/// A pod nobody else owns — a v1 Pod from <c>apply</c>, or a <c>troupe run</c> container — as a persistent sharded
/// entity (<c>namespace/name</c>). It persists the pod (with its UID, node and epoch) before a
/// <see cref="PodActor"/> child sends it to its node, so after a restart or fail-over the same pod is claimed, never
/// started twice; each recovery advances the epoch. A bare pod is not replaced when it ends: its containers follow
/// its <c>restartPolicy</c> on the node, and it stays (Succeeded, Failed) until it is deleted.
/// </summary>
public sealed class BarePodActor : ReceivePersistentActor, IWithTimers
{
    sealed class Respawn : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly Respawn Instance = new();
    }

    const string ChildName = "pod";
    readonly string _id;
    readonly ActorsSettings _settings;
    readonly string _nodeName;
    readonly IActorRef _catalog;
    readonly ILoggingAdapter _log = Context.GetLogger();
    readonly List<IActorRef> _deleteWaiters = new();
    BarePodState _state = BarePodState.Empty;
    IActorRef? _child;
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
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Under <see cref="JournalFailure.Supervised"/>, because a failed persist or recovery stops the actor.</summary>
    public static Props Props(string entityId, ActorsSettings settings, string nodeName, IActorRef catalog) =>
        JournalFailure.Supervised(Akka.Actor.Props.Create(() => new BarePodActor(entityId, settings, nodeName, catalog)), "p", m => m is StopBarePodEntity);

    public BarePodActor(string id, ActorsSettings settings, string nodeName, IActorRef catalog)
    {
        _id = id;
        _settings = settings;
        _nodeName = nodeName;
        _catalog = catalog;
        PersistenceId = $"pod-{id}";

        Recover<IBarePodEvent>(e => _state = _state.Apply(e));
        Recover<RecoveryCompleted>(_ => OnRecovered());

        Command<CreateBarePod>(OnCreate);
        Command<DeleteBarePod>(OnDelete);
        Command<PodActor.PodReadinessChanged>(_ => { });
        Command<PodActor.PodLost>(_ =>
        {
            // Its sandbox ended without being asked (the node agent restarted): claim it again. StartPod is
            // idempotent on the UID and the node keeps the pod's state, so nothing runs twice.
            if (_state.Exists && !_deleting) Timers.StartSingleTimer("respawn", Respawn.Instance, TimeSpan.FromSeconds(1));
        });
        Command<Respawn>(_ =>
        {
            if (_state.Exists && !_deleting && _child is null) StartChild();
        });
        Command<Terminated>(t =>
        {
            if (!t.ActorRef.Equals(_child)) return;
            _child = null;
            if (_deleting) FinishDelete();
        });
        Command<StopBarePodEntity>(_ => Context.Stop(Self));
    }

    string Name => _id[(_id.IndexOf('/') + 1)..];
    string OwnerKey => $"pod/{_id}";

    void OnRecovered()
    {
        if (!_state.Exists) return;
        Persist(new BarePodEpochAdvanced(_state.Epoch + 1), e =>
        {
            _state = _state.Apply(e);
            _log.Info("pod {0} recovered at epoch {1}", _id, _state.Epoch);
            StartChild();
        });
    }

    void OnCreate(CreateBarePod cmd)
    {
        if (_deleting)
        {
            Sender.Tell(new CommandRejected("Conflict", $"pod \"{Name}\" is being deleted; try again when it is gone"));
            return;
        }
        if (_state.Exists)
        {
            var existing = _state.Pod!;
            if (cmd.FailIfExists)
                Sender.Tell(new CommandRejected("Conflict", $"the container name \"{Name}\" is already in use by pod {existing.Metadata.Uid}; remove it (troupe rm {Name}) or pick another name"));
            else if (Canonical(existing) == Canonical(cmd.Pod))
                Sender.Tell(new BarePodAccepted("unchanged", existing.Metadata.Uid!));
            else
                Sender.Tell(CommandRejected.Invalid($"pod \"{Name}\": spec: pod updates may not change fields (delete the pod and apply it again)"));
            return;
        }
        var now = DateTimeOffset.UtcNow;
        var uid = Guid.NewGuid().ToString();
        var pod = cmd.Pod with
        {
            Status = null,
            Metadata = cmd.Pod.Metadata with { Uid = uid, CreationTimestamp = now, ResourceVersion = null, Generation = 1 },
            Spec = cmd.Pod.Spec with { NodeName = cmd.Pod.Spec.NodeName ?? _nodeName },
        };
        var replyTo = Sender;
        Persist(new BarePodCreated(ProtocolJson.Serialize(pod), uid, pod.Spec.NodeName!, _state.Epoch + 1, now), e =>
        {
            _state = _state.Apply(e);
            // seen at once by get pods and ps, before the node reports it
            _catalog.Tell(new ObjectObserved(pod with { Status = new PodStatus { Phase = "Pending" } }));
            StartChild();
            replyTo.Tell(new BarePodAccepted("created", uid));
        });
    }

    /// <summary>What decides "unchanged": the pod as the user wrote it, without what the control plane fills in.</summary>
    static string Canonical(Pod p) => ProtocolJson.Serialize(p with
    {
        Status = null,
        Metadata = p.Metadata with { Uid = null, Generation = 0, ResourceVersion = null, CreationTimestamp = null },
        Spec = p.Spec with { NodeName = null },
    });

    void OnDelete(DeleteBarePod cmd)
    {
        if (!_state.Exists && !_deleting)
        {
            Sender.Tell(CommandRejected.NotFound($"pods \"{Name}\" not found"));
            return;
        }
        _deleteWaiters.Add(Sender);
        if (_deleting) return;
        _deleting = true;
        Persist(new BarePodDeleted(DateTimeOffset.UtcNow), e =>
        {
            var uid = _state.Pod!.Metadata.Uid;
            var node = _state.Pod.Spec.NodeName ?? _nodeName;
            _state = _state.Apply(e);
            Timers.Cancel("respawn");
            if (_child is null)
            {
                // no live PodActor: ask the node directly (it answers at once for a pod it does not have)
                Context.ActorSelection($"/user/{Troupe.Actors.Nodes.NodeDirectory.Name}").Tell(new Troupe.Actors.Nodes.NodeDirectory.ToNode(
                    node, new Troupe.Actors.Nodes.StopPod(uid!, cmd.GracePeriodSeconds)));
                _catalog.Tell(new ObjectForgotten("Pod", _id[.._id.IndexOf('/')], Name, uid));
                FinishDelete();
            }
            else _child.Tell(new PodActor.StopPodNow(cmd.GracePeriodSeconds));
        });
    }

    void FinishDelete()
    {
        _deleting = false;
        foreach (var w in _deleteWaiters) w.Tell(new CommandAccepted("deleted"));
        _deleteWaiters.Clear();
        _log.Info("pod {0} deleted", _id);
    }

    void StartChild()
    {
        var pod = _state.Pod!;
        var record = new PodRecord("", pod.Metadata.Name, pod.Metadata.Uid!, pod.Spec.NodeName ?? _nodeName, _state.Epoch,
            pod.Metadata.CreationTimestamp ?? DateTimeOffset.UtcNow);
        _child = Context.ActorOf(PodActor.Props(record, pod, OwnerKey, _state.Epoch, _settings, _catalog), $"{ChildName}-{_state.Epoch}-{Guid.NewGuid():N}"[..24]);
        Context.Watch(_child);
    }
}
