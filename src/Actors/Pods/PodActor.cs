using Akka.Actor;
using Akka.Event;
using Troupe.Actors.Hosting;
using Troupe.Actors.Nodes;
using Troupe.Api.Objects;
using Troupe.Actors.Deployments;

namespace Troupe.Actors.Pods;

/// <summary>
/// The control plane's side of one pod: a child of its ReplicaSet. It sends the (already persisted) pod to its node
/// with <see cref="StartPod"/> — idempotent on the pod's UID, so re-sending after a recovery adopts the pod that still
/// runs — and watches the pod's sandbox. Container restarts are status changes; only the sandbox ending without being
/// asked to makes the pod lost (<see cref="PodLost"/>), which the ReplicaSet replaces.
/// </summary>
public sealed class PodActor : ReceiveActor, IWithTimers
{
    #region Protocol
    /// <summary>PodActor → ReplicaSet: readiness changed.</summary>
    public sealed record PodReadinessChanged(string Name, bool Ready, string Phase) : INoSerializationVerificationNeeded;

    /// <summary>PodActor → ReplicaSet: the pod is gone without being asked to stop (its node lost it).</summary>
    public sealed record PodLost(string Name) : INoSerializationVerificationNeeded;

    /// <summary>Owner → PodActor: stop the pod (its grace period, or <c>GracePeriodSeconds</c>), then stop.</summary>
    public sealed class StopPodNow(long? gracePeriodSeconds = null) : INoSerializationVerificationNeeded
    {
        public static readonly StopPodNow Instance = new();
        public long? GracePeriodSeconds { get; } = gracePeriodSeconds;
    }

    /// <summary>PodActor → owner: the pod has no node yet (unschedulable so far); ask the Scheduler again.</summary>
    public sealed record BindingNeeded(string Name) : INoSerializationVerificationNeeded;

    /// <summary>Owner → PodActor: the Scheduler found no node for the pod, and why (kubectl's wording).</summary>
    public sealed record Unschedulable(string Reason) : INoSerializationVerificationNeeded;

    /// <summary>Owner → PodActor: the pod was bound to <c>NodeName</c> (persisted): start it there.</summary>
    public sealed record Bind(string NodeName) : INoSerializationVerificationNeeded;

    sealed class RetryStart : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly RetryStart Instance = new();
    }
    #endregion

    PodRecord _record;
    Pod _pod;
    readonly string _ownerKey;
    readonly long _epoch;
    readonly ActorsSettings _settings;
    readonly ILoggingAdapter _log = Context.GetLogger();
    IActorRef? _sandbox;
    bool _stopping;
    long? _grace;
    bool _ready;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(PodRecord record, Pod pod, string ownerKey, long epoch, ActorsSettings settings, IActorRef? catalog = null) =>
        Akka.Actor.Props.Create(() => new PodActor(record, pod, ownerKey, epoch, settings, catalog));

    readonly IActorRef _catalog;
    int _bindingAttempts;

    public PodActor(PodRecord record, Pod pod, string ownerKey, long epoch, ActorsSettings settings, IActorRef? catalog = null)
    {
        _record = record;
        _pod = pod;
        _ownerKey = ownerKey;
        _epoch = epoch;
        _settings = settings;
        _catalog = catalog ?? ActorRefs.Nobody;

        Receive<RetryStart>(_ => SendStart());
        Receive<Bind>(m =>
        {
            if (!Unbound) return;
            _record = _record with { NodeName = m.NodeName };
            _pod = _pod with { Spec = _pod.Spec with { NodeName = m.NodeName } };
            Timers.Cancel("start");
            SendStart();
        });
        Receive<Unschedulable>(m =>
        {
            if (!Unbound || m.Reason == _unschedulable) return;
            _unschedulable = m.Reason;
            PublishPending();
        });
        Receive<NodeDirectory.NodeUnavailable>(m =>
        {
            if (m.NodeName != _record.NodeName) return;
            Timers.Cancel("start");
            if (!_stopping) _log.Info("pod {0}: its node {1} {2}", _record.Name, m.NodeName, m.Gone ? "left the cluster" : "has not joined the cluster");
            if (!_stopping) Context.Parent.Tell(new PodLost(_record.Name));
            Context.Stop(Self);
        });
        Receive<PodAccepted>(m =>
        {
            Timers.Cancel("start");
            if (_sandbox is not null && !_sandbox.Equals(m.Sandbox)) Context.Unwatch(_sandbox);
            _sandbox = m.Sandbox;
            Context.Watch(_sandbox);
            if (_stopping) _sandbox.Tell(new StopPod(_record.Uid, _grace));
        });
        Receive<PodRejected>(m =>
        {
            Timers.Cancel("start");
            _log.Warning("node {0} refused pod {1}: {2}", _record.NodeName, _record.Name, m.Reason);
            Context.Parent.Tell(new PodLost(_record.Name));
            Context.Stop(Self);
        });
        Receive<PodStatusChanged>(m =>
        {
            var status = m.Pod.Status;
            var ready = status is not null && status.Phase == "Running"
                        && status.ContainerStatuses.Length > 0 && status.ContainerStatuses.All(c => c.Ready);
            if (ready != _ready)
            {
                _ready = ready;
                Context.Parent.Tell(new PodReadinessChanged(_record.Name, ready, status?.Phase ?? "Pending"));
            }
        });
        Receive<StopPodNow>(m =>
        {
            _stopping = true;
            _grace = m.GracePeriodSeconds;
            if (Unbound)
            {
                // never reached a node: nothing runs
                ForgetPending();
                Context.Stop(Self);
                return;
            }
            ToNode(new StopPod(_record.Uid, _grace));
            Timers.StartSingleTimer("stop", RetryStart.Instance, _settings.StartPodRetry * 6);
        });
        Receive<PodStopped>(_ => Context.Stop(Self));
        Receive<Terminated>(t =>
        {
            if (_stopping)
            {
                Context.Stop(Self);
                return;
            }
            _log.Info("pod {0}: its sandbox on {1} ended", _record.Name, _record.NodeName);
            Context.Parent.Tell(new PodLost(_record.Name));
            Context.Stop(Self);
        });
    }

    protected override void PreStart() => SendStart();

    bool Unbound => string.IsNullOrEmpty(_record.NodeName);

    void SendStart()
    {
        if (_stopping)
        {
            ToNode(new StopPod(_record.Uid, _grace));
            return;
        }
        if (Unbound)
        {
            // Pending until the Scheduler finds a node: shown as kubectl shows it, asked again with a growing pause
            if (_bindingAttempts == 0) PublishPending();
            Context.Parent.Tell(new BindingNeeded(_record.Name));
            var pause = TimeSpan.FromMilliseconds(Math.Min(5000, 500 * (1 << Math.Min(_bindingAttempts, 4))));
            _bindingAttempts++;
            Timers.StartSingleTimer("start", RetryStart.Instance, pause);
            return;
        }
        ToNode(new StartPod(_pod, _ownerKey, _epoch));
        Timers.StartSingleTimer("start", RetryStart.Instance, _settings.StartPodRetry);
    }

    void PublishPending()
    {
        _catalog.Tell(new Troupe.Actors.Catalog.ObjectObserved(_pod with
        {
            Status = new PodStatus
            {
                Phase = "Pending",
                Conditions = [new PodCondition("PodScheduled", "False", DateTimeOffset.UtcNow, "Unschedulable", _unschedulable)],
            },
        }));
    }

    string _unschedulable = "no node can take the pod yet";

    void ForgetPending() => _catalog.Tell(new Troupe.Actors.Catalog.ObjectForgotten("Pod", _pod.Metadata.Namespace, _record.Name, _record.Uid));

    /// <summary>Sends to the NodeAgent of the pod's node, wherever in the cluster it is (the node directory routes it).</summary>
    void ToNode(object message) =>
        Context.ActorSelection($"/user/{NodeDirectory.Name}").Tell(new NodeDirectory.ToNode(_record.NodeName, message), Self);
}
