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

    sealed class RetryStart : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly RetryStart Instance = new();
    }
    #endregion

    readonly PodRecord _record;
    readonly Pod _pod;
    readonly string _ownerKey;
    readonly long _epoch;
    readonly ActorsSettings _settings;
    readonly ILoggingAdapter _log = Context.GetLogger();
    IActorRef? _sandbox;
    bool _stopping;
    long? _grace;
    bool _ready;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(PodRecord record, Pod pod, string ownerKey, long epoch, ActorsSettings settings) =>
        Akka.Actor.Props.Create(() => new PodActor(record, pod, ownerKey, epoch, settings));

    public PodActor(PodRecord record, Pod pod, string ownerKey, long epoch, ActorsSettings settings)
    {
        _record = record;
        _pod = pod;
        _ownerKey = ownerKey;
        _epoch = epoch;
        _settings = settings;

        Receive<RetryStart>(_ => SendStart());
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
            NodeAgentSelection().Tell(new StopPod(_record.Uid, _grace));
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

    void SendStart()
    {
        if (_stopping)
        {
            NodeAgentSelection().Tell(new StopPod(_record.Uid, _grace));
            return;
        }
        NodeAgentSelection().Tell(new StartPod(_pod, _ownerKey, _epoch));
        Timers.StartSingleTimer("start", RetryStart.Instance, _settings.StartPodRetry);
    }

    /// <summary>The NodeAgent of the pod's node. One node for now: the local agent.</summary>
    ActorSelection NodeAgentSelection() => Context.ActorSelection($"/user/{ActorNames.NodeAgent}");
}
