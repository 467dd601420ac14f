using Akka.Actor;
using Troupe.Actors.Hosting;
using Akka.Event;
using Akka.Pattern;
using Akka.Persistence;
using Troupe.Actors.Catalog;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;

namespace Troupe.Actors.Services;

/// <summary>
/// A v1 Service as a persistent sharded entity (<c>namespace/name</c>): it persists the spec with its ClusterIP and
/// node ports, and announces it to the Catalog (on apply and on every recovery; remembered entities recover when
/// the cluster starts). It owns no process: each node's <see cref="ServiceProxy"/> reads Services and their
/// endpoints from the Catalog and balances connections.
/// </summary>
public sealed class ServiceActor : ReceivePersistentActor
{
    readonly string _id;
    readonly IActorRef _catalog;
    readonly ILoggingAdapter _log = Context.GetLogger();
    Service? _service;

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
    public static Props Props(string entityId, IActorRef catalog) =>
        JournalFailure.Supervised(Akka.Actor.Props.Create(() => new ServiceActor(entityId, catalog)), "s", m => m is StopServiceEntity);

    public ServiceActor(string id, IActorRef catalog)
    {
        _id = id;
        _catalog = catalog;
        PersistenceId = $"service-{id}";

        Recover<ServiceApplied>(e => _service = (Service)ProtocolJson.DeserializeObject(e.ServiceJson));
        Recover<ServiceDeleted>(_ => _service = null);
        Recover<RecoveryCompleted>(_ =>
        {
            if (_service is not null) _catalog.Tell(new ObjectObserved(_service));
        });
        Command<ApplyService>(OnApply);
        Command<DeleteService>(OnDelete);
        Command<StopServiceEntity>(_ => Context.Stop(Self));
    }

    string Name => _id[(_id.IndexOf('/') + 1)..];

    void OnApply(ApplyService cmd)
    {
        var incoming = cmd.Service;
        string action;
        Service next;
        if (_service is { } existing)
        {
            if (incoming.Spec.ClusterIP is { } wanted && wanted != existing.Spec.ClusterIP)
            {
                Sender.Tell(CommandRejected.Invalid($"service \"{Name}\": spec.clusterIP: field is immutable (it is {existing.Spec.ClusterIP})"));
                return;
            }
            // the ClusterIP and node ports it already has stay; what the user wrote wins elsewhere
            var ports = incoming.Spec.Ports.Select(p => p.NodePort is null && existing.Spec.Ports.FirstOrDefault(e => e.Port == p.Port && e.Protocol == p.Protocol)?.NodePort is { } kept
                ? p with { NodePort = kept } : p).ToArray();
            next = incoming with
            {
                Metadata = incoming.Metadata with { Uid = existing.Metadata.Uid, CreationTimestamp = existing.Metadata.CreationTimestamp, Generation = existing.Metadata.Generation },
                Spec = incoming.Spec with { ClusterIP = existing.Spec.ClusterIP, Ports = [.. ports] },
            };
            if (Canonical(next) == Canonical(existing))
            {
                Sender.Tell(new CommandAccepted("unchanged"));
                return;
            }
            next = next with { Metadata = next.Metadata with { Generation = existing.Metadata.Generation + 1 } };
            action = "configured";
        }
        else
        {
            next = incoming with
            {
                Metadata = incoming.Metadata with { Uid = Guid.NewGuid().ToString(), CreationTimestamp = DateTimeOffset.UtcNow, Generation = 1, ResourceVersion = null },
            };
            action = "created";
        }
        var replyTo = Sender;
        Persist(new ServiceApplied(ProtocolJson.Serialize(next), DateTimeOffset.UtcNow), _ =>
        {
            _service = next;
            _catalog.Tell(new ObjectObserved(next));
            _log.Info("service {0} {1} ({2})", _id, action, next.Spec.ClusterIP);
            replyTo.Tell(new CommandAccepted(action));
        });
    }

    static string Canonical(Service s) => ProtocolJson.Serialize(s with
    {
        Status = null,
        Metadata = s.Metadata with { ResourceVersion = null, Generation = 0 },
    });

    void OnDelete(DeleteService cmd)
    {
        if (_service is null)
        {
            Sender.Tell(CommandRejected.NotFound($"services \"{Name}\" not found"));
            return;
        }
        var replyTo = Sender;
        var uid = _service.Metadata.Uid;
        Persist(new ServiceDeleted(DateTimeOffset.UtcNow), _ =>
        {
            _service = null;
            _catalog.Tell(new ObjectForgotten("Service", _id[.._id.IndexOf('/')], Name, uid));
            replyTo.Tell(new CommandAccepted("deleted"));
        });
    }
}
