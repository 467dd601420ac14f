using Akka.Actor;
using Troupe.Actors.Serialization;
using Troupe.Api.Objects;

namespace Troupe.Actors.Catalog;

/// <summary>
/// INTERNAL API. What the actors tell the Catalog read model as objects change. Each update raises the Catalog's
/// resourceVersion. Sent to the local Catalog actor (<c>/user/catalog</c>) and published on the
/// <see cref="CatalogTopic.Name"/> distributed pub-sub topic for the other control nodes.
/// </summary>
public interface ICatalogUpdate;

/// <summary>
/// Catalog → every other member's Catalog (topic <see cref="CatalogTopic.Name"/>): an update that happened at
/// <c>Origin</c> (the member's address). Exactly one of the three is set.
/// </summary>
public sealed record CatalogReplica(string Origin, KubeObject? Observed, ObjectForgotten? Forgotten, Event? Recorded) : IInternalMessage;

/// <summary>A Catalog that has just started, to the others: send me what originated with you (<see cref="CatalogSnapshot"/>).</summary>
public sealed record CatalogHello(string Origin, IActorRef Catalog) : IInternalMessage;

/// <summary>Every object that originated at <c>Origin</c>, for a Catalog that has just started.</summary>
public sealed record CatalogSnapshot(string Origin, System.Collections.Immutable.ImmutableArray<KubeObject> Objects) : IInternalMessage;

/// <summary>Topic name for catalog updates.</summary>
public static class CatalogTopic
{
    public const string Name = "troupe-catalog";
}

/// <summary>A Deployment, ReplicaSet or Pod (with status) as it is now: upsert by kind/namespace/name.</summary>
public sealed record ObjectObserved(KubeObject Object) : ICatalogUpdate;

/// <summary>The object is gone. <c>Uid</c>, when given, must match (a newer object of the same name stays).</summary>
public sealed record ObjectForgotten(string Kind, string Namespace, string Name, string? Uid = null) : ICatalogUpdate, IInternalMessage;

/// <summary>Something happened to an object (Scheduled, Pulled, Created, Started, Killing, BackOff, ScalingReplicaSet, ...).</summary>
public sealed record EventRecorded(Event Event) : ICatalogUpdate;
