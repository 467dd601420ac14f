using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using Akka.Persistence;
using Troupe.Actors.Catalog;
using Troupe.Actors.Hosting;
using Troupe.Actors.Serialization;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;

namespace Troupe.Actors.Objects;

/// <summary>
/// An object that is only data — a ConfigMap or a Namespace — as a persistent sharded entity
/// (<c>Kind/namespace/name</c>): it persists the object as applied and announces it to the Catalog (on apply and on
/// every recovery). Nothing runs for it; pods read ConfigMaps from the Catalog when their containers start.
/// </summary>
public sealed class StoredObjectActor : ReceivePersistentActor
{
    readonly string _id;
    readonly IActorRef _catalog;
    readonly ILoggingAdapter _log = Context.GetLogger();
    KubeObject? _object;

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
        JournalFailure.Supervised(Akka.Actor.Props.Create(() => new StoredObjectActor(entityId, catalog)), "o", m => m is StopStoredObject);

    public StoredObjectActor(string id, IActorRef catalog)
    {
        _id = id;
        _catalog = catalog;
        PersistenceId = $"object-{id}";

        Recover<ObjectStored>(e => _object = ProtocolJson.DeserializeObject(e.ObjectJson));
        Recover<ObjectRemoved>(_ => _object = null);
        Recover<RecoveryCompleted>(_ =>
        {
            if (_object is not null) _catalog.Tell(new ObjectObserved(_object));
        });
        Command<ApplyStoredObject>(OnApply);
        Command<DeleteStoredObject>(OnDelete);
        Command<StopStoredObject>(_ => Context.Stop(Self));
    }

    /// <summary>Kubernetes' refusal of a change to an immutable ConfigMap (its metadata may change), or null.</summary>
    internal static string? ImmutableChangeRefused(ConfigMap existing, ConfigMap incoming) =>
        existing.Immutable == true
        && ProtocolJson.Serialize(existing with { Metadata = new() }) != ProtocolJson.Serialize(incoming with { Metadata = new() })
            ? $"configmap \"{existing.Metadata.Name}\": field is immutable when `immutable` is set"
            : null;

    void OnApply(ApplyStoredObject cmd)
    {
        var incoming = ProtocolJson.DeserializeObject(cmd.ObjectJson);
        // a Namespace is Active: compared with that, so applying the same one again is "unchanged"
        if (incoming is Namespace applied) incoming = applied with { Status = new NamespaceStatus() };
        string action;
        KubeObject next;
        if (_object is { } existing)
        {
            if (existing is ConfigMap old && incoming is ConfigMap cm && ImmutableChangeRefused(old, cm) is { } refused)
            {
                Sender.Tell(CommandRejected.Invalid(refused));
                return;
            }
            next = WithMeta(incoming, incoming.Metadata with
            {
                Uid = existing.Metadata.Uid, CreationTimestamp = existing.Metadata.CreationTimestamp, Generation = existing.Metadata.Generation, ResourceVersion = null,
            });
            if (Canonical(next) == Canonical(existing))
            {
                Sender.Tell(new CommandAccepted("unchanged"));
                return;
            }
            action = "configured";
        }
        else
        {
            next = WithMeta(incoming, incoming.Metadata with { Uid = Guid.NewGuid().ToString(), CreationTimestamp = DateTimeOffset.UtcNow, Generation = 0, ResourceVersion = null });
            action = "created";
        }
        var replyTo = Sender;
        Persist(new ObjectStored(ProtocolJson.Serialize(next), DateTimeOffset.UtcNow), _ =>
        {
            _object = next;
            _catalog.Tell(new ObjectObserved(next));
            _log.Info("{0} {1}", _id, action);
            replyTo.Tell(new CommandAccepted(action));
        });
    }

    static KubeObject WithMeta(KubeObject o, ObjectMeta meta) => o switch
    {
        ConfigMap cm => cm with { Metadata = meta },
        Namespace ns => ns with { Metadata = meta },
        _ => throw new ArgumentException($"{o.Kind} is not a stored object"),
    };

    static string Canonical(KubeObject o) => ProtocolJson.Serialize(WithMeta(o, o.Metadata with { ResourceVersion = null }));

    void OnDelete(DeleteStoredObject cmd)
    {
        var (kind, ns, name) = StoredObjectIds.Split(_id);
        if (_object is null)
        {
            Sender.Tell(CommandRejected.NotFound($"{kind.ToLowerInvariant()}s \"{name}\" not found"));
            return;
        }
        var replyTo = Sender;
        var uid = _object.Metadata.Uid;
        Persist(new ObjectRemoved(DateTimeOffset.UtcNow), _ =>
        {
            _object = null;
            _catalog.Tell(new ObjectForgotten(kind, ns, name, uid));
            replyTo.Tell(new CommandAccepted("deleted"));
        });
    }
}

/// <summary>INTERNAL API. Messages to one stored object; <c>ObjectId</c> (<c>Kind/namespace/name</c>) feeds the shard extractor.</summary>
public interface IWithStoredObjectId : IInternalMessage
{
    string ObjectId { get; }
}

/// <summary>Gateway → entity: create or update it (the object as JSON). Replies CommandAccepted(created | configured | unchanged) or CommandRejected.</summary>
public sealed record ApplyStoredObject(string ObjectId, string ObjectJson) : IWithStoredObjectId;

/// <summary>Gateway → entity: forget it. Replies CommandAccepted("deleted") or NotFound.</summary>
public sealed record DeleteStoredObject(string ObjectId) : IWithStoredObjectId;

/// <summary>Sharding's hand-off stop message.</summary>
public sealed class StopStoredObject
{
    public static readonly StopStoredObject Instance = new();
    StopStoredObject() { }
}

/// <summary>INTERNAL API. What a stored object persists: the object as applied (uid and creationTimestamp filled in), as canonical JSON.</summary>
public sealed record ObjectStored(string ObjectJson, DateTimeOffset At) : IInternalMessage;

public sealed record ObjectRemoved(DateTimeOffset At) : IInternalMessage;

public static class StoredObjectIds
{
    /// <summary><c>ConfigMap/default/settings</c>; a Namespace has an empty namespace: <c>Namespace//team-a</c>.</summary>
    public static string Of(string kind, string ns, string name) => $"{kind}/{ns}/{name}";

    public static (string Kind, string Namespace, string Name) Split(string id)
    {
        var parts = id.Split('/', 3);
        return (parts[0], parts[1], parts[2]);
    }

    /// <summary>True for the kinds these entities keep.</summary>
    public static bool IsStored(string kind) => kind is "ConfigMap" or "Namespace";
}

/// <summary>Starts the stored-object shard region (control role) or a proxy to it.</summary>
public static class StoredObjectRegion
{
    public static IActorRef Start(ActorSystem system, ActorsSettings settings, IActorRef catalog) =>
        ShardRegions.StartOrProxy(system, ActorNames.ObjectShard, id => StoredObjectActor.Props(id, catalog),
            new EntityMessageExtractor<IWithStoredObjectId>(settings.ShardCount, m => m.ObjectId), StopStoredObject.Instance);
}
