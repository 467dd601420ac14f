using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Troupe.Actors.Hosting;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;

namespace Troupe.Actors.Catalog;

/// <summary>
/// The read model that <c>get</c>, <c>describe</c> and label selectors read: the latest Deployment, ReplicaSet and
/// Pod objects (with status) and recent Events, kept up to date by the actors that own them
/// (<see cref="ICatalogUpdate"/>), with a rising resourceVersion. Nobody wakes every entity to list them.
/// Rebuilt on start by the owners re-announcing themselves as they recover (Deployments from the journal,
/// pods from the NodeAgent's adoption).
/// Answers <see cref="GetObjects"/> with <see cref="ObjectList"/> or <see cref="CommandRejected"/>.
/// Every member has one, and they replicate: an update told to this Catalog by an actor of this member is published
/// on the <see cref="CatalogTopic.Name"/> topic (<see cref="CatalogReplica"/>) for the others; a Catalog that starts
/// asks the others for what originated with them (<see cref="CatalogHello"/>); when a member leaves the cluster,
/// the objects that originated there are dropped (their owners announce them again from wherever they recover).
/// </summary>
public sealed class CatalogActor : ReceiveActor
{
    readonly ActorsSettings _settings;
    readonly Dictionary<(string Kind, string Ns, string Name), KubeObject> _objects = new();
    readonly LinkedList<Event> _events = new();
    readonly Dictionary<string, LinkedListNode<Event>> _eventsByKey = new();
    /// <summary>Where each object's latest update came from (a member's address).</summary>
    readonly Dictionary<(string Kind, string Ns, string Name), string> _origins = new();
    IActorRef _mediator = ActorRefs.Nobody;
    string _self = "";
    long _version;

    public static Props Props(ActorsSettings settings) => Akka.Actor.Props.Create(() => new CatalogActor(settings));

    public CatalogActor(ActorsSettings settings)
    {
        _settings = settings;
        Receive<ObjectObserved>(m =>
        {
            Upsert(m.Object, _self);
            Replicate(new CatalogReplica(_self, m.Object, null, null));
        });
        Receive<ObjectForgotten>(m =>
        {
            Forget(m);
            Replicate(new CatalogReplica(_self, null, m, null));
        });
        Receive<EventRecorded>(m =>
        {
            Record(m.Event);
            Replicate(new CatalogReplica(_self, null, null, m.Event));
        });
        Receive<CatalogReplica>(m =>
        {
            if (m.Origin == _self) return;
            if (m.Observed is { } o) Upsert(o, m.Origin);
            else if (m.Forgotten is { } f) Forget(f);
            else if (m.Recorded is { } e) Record(e);
        });
        Receive<CatalogHello>(m =>
        {
            if (m.Origin == _self) return;
            var mine = _objects.Where(kv => _origins.GetValueOrDefault(kv.Key) == _self).Select(kv => kv.Value).ToImmutableArray();
            m.Catalog.Tell(new CatalogSnapshot(_self, mine));
        });
        Receive<CatalogSnapshot>(m =>
        {
            foreach (var o in m.Objects)
            {
                var key = (o.Kind, o.Metadata.Namespace, o.Metadata.Name);
                // what this Catalog heard since it started is newer than a snapshot
                if (!_objects.ContainsKey(key)) Upsert(o, m.Origin);
            }
        });
        Receive<Akka.Cluster.ClusterEvent.MemberRemoved>(m => DropOrigin(m.Member.Address.ToString()));
        Receive<Akka.Cluster.ClusterEvent.IMemberEvent>(_ => { });
        Receive<GetObjects>(m => Sender.Tell(Query(m)));
        Receive<SubscribeAck>(_ => Replicate(new CatalogHello(_self, Self)));
    }

    protected override void PreStart()
    {
        if (!Context.System.Settings.ProviderClass.Contains("Cluster", StringComparison.Ordinal)) return;
        try
        {
            var cluster = Akka.Cluster.Cluster.Get(Context.System);
            _self = cluster.SelfAddress.ToString();
            cluster.Subscribe(Self, Akka.Cluster.ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
                typeof(Akka.Cluster.ClusterEvent.MemberRemoved));
            _mediator = DistributedPubSub.Get(Context.System).Mediator;
            _mediator.Tell(new Subscribe(CatalogTopic.Name, Self));
        }
        catch (Exception e) { Context.GetLogger().Warning("catalog runs without pub-sub: {0}", e.Message); }
    }

    void Replicate(object message)
    {
        if (!_mediator.IsNobody()) _mediator.Tell(new Publish(CatalogTopic.Name, message));
    }

    void DropOrigin(string address)
    {
        var gone = _origins.Where(kv => kv.Value == address).Select(kv => kv.Key).ToList();
        foreach (var key in gone)
        {
            _objects.Remove(key);
            _origins.Remove(key);
        }
        if (gone.Count > 0)
        {
            _version++;
            Context.GetLogger().Info("catalog: member {0} left; dropped the {1} objects it reported", address, gone.Count);
        }
    }

    void Upsert(KubeObject o, string origin)
    {
        _origins[(o.Kind, o.Metadata.Namespace, o.Metadata.Name)] = origin;
        _version++;
        var meta = o.Metadata with { ResourceVersion = _version.ToString() };
        _objects[(o.Kind, o.Metadata.Namespace, o.Metadata.Name)] = o switch
        {
            Deployment d => d with { Metadata = meta },
            ReplicaSet r => r with { Metadata = meta },
            Pod p => p with { Metadata = meta },
            Node n => n with { Metadata = meta },
            Service svc => svc with { Metadata = meta },
            ConfigMap cm => cm with { Metadata = meta },
            Namespace ns => ns with { Metadata = meta },
            _ => o,
        };
    }

    void Forget(ObjectForgotten m)
    {
        var key = (m.Kind, m.Namespace, m.Name);
        if (_objects.TryGetValue(key, out var o) && (m.Uid is null || o.Metadata.Uid == m.Uid))
        {
            _objects.Remove(key);
            _origins.Remove(key);
            _version++;
        }
    }

    void Record(Event e)
    {
        _version++;
        // Kubernetes folds repeats of the same reason on the same object into one event with a count
        var key = $"{e.InvolvedObject.Kind}/{e.InvolvedObject.Namespace}/{e.InvolvedObject.Name}/{e.InvolvedObject.Uid}/{e.Reason}/{e.Message}";
        if (_eventsByKey.TryGetValue(key, out var node))
        {
            var prev = node.Value;
            _events.Remove(node);
            e = e with { Count = prev.Count + 1, FirstTimestamp = prev.FirstTimestamp ?? prev.LastTimestamp, Metadata = prev.Metadata };
        }
        else
        {
            e = e with { Metadata = e.Metadata with { Name = $"{e.InvolvedObject.Name}.{_version:x}", Namespace = e.InvolvedObject.Namespace } };
        }
        e = e with { Metadata = e.Metadata with { ResourceVersion = _version.ToString() } };
        _eventsByKey[key] = _events.AddLast(e);
        while (_events.Count > _settings.MaxEvents)
        {
            var first = _events.First!.Value;
            _events.RemoveFirst();
            _eventsByKey.Remove($"{first.InvolvedObject.Kind}/{first.InvolvedObject.Namespace}/{first.InvolvedObject.Name}/{first.InvolvedObject.Uid}/{first.Reason}/{first.Message}");
        }
    }

    /// <summary>The namespace every cluster has, until one is applied under that name; as old as this node.</summary>
    readonly Namespace DefaultNamespace = new()
    {
        Metadata = new ObjectMeta { Name = Namespace.Default, Namespace = "", CreationTimestamp = DateTimeOffset.UtcNow },
        Status = new NamespaceStatus(),
    };

    ITroupeMessage Query(GetObjects q)
    {
        var kind = Kinds.Resolve(q.Kind);
        if (kind is null) return CommandRejected.Invalid($"the server doesn't have a resource type \"{q.Kind}\"");
        LabelQuery? selector = null;
        if (!string.IsNullOrWhiteSpace(q.LabelSelector))
        {
            if (!LabelQuery.TryParse(q.LabelSelector, out selector, out var err))
                return CommandRejected.Invalid($"unable to parse requirement: {err}");
        }
        var ns = q.AllNamespaces || !Kinds.IsNamespaced(kind) ? null : q.Namespace ?? "default";
        IEnumerable<KubeObject> items = kind switch
        {
            "Event" => _events,
            // derived on every read from the Services and the pods as they are now
            "Endpoints" => _objects.Values.OfType<Service>().Where(s => ns is null || s.Metadata.Namespace == ns)
                .Select(s => (KubeObject)EndpointsBuilder.For(s, _objects.Values.OfType<Pod>())).ToList(),
            // "default" always exists, applied or not
            "Namespace" => _objects.Values.Where(o => o.Kind == kind).Concat(
                _objects.ContainsKey(("Namespace", "", Namespace.Default)) ? [] : [DefaultNamespace]),
            _ => _objects.Values.Where(o => o.Kind == kind),
        };
        items = items.Where(o => (ns is null || o.Metadata.Namespace == ns)
                                 && (q.Name is null || o.Metadata.Name == q.Name)
                                 && (selector is null || selector.Matches(o.Metadata.Labels)));
        var list = kind == "Event"
            ? items.ToImmutableArray()
            : items.OrderBy(o => o.Metadata.Namespace, StringComparer.Ordinal).ThenBy(o => o.Metadata.Name, StringComparer.Ordinal).ToImmutableArray();
        if (q.Name is not null && list.IsEmpty)
            return CommandRejected.NotFound($"{PluralResource(kind)} \"{q.Name}\" not found");
        return new ObjectList(list, _version);
    }

    /// <summary>kubectl's plural resource in errors: <c>deployments.apps</c>, <c>pods</c>.</summary>
    static string PluralResource(string kind)
    {
        var word = Kinds.ResourceWord(kind);
        var dot = word.IndexOf('.');
        return dot < 0 ? word + "s" : word[..dot] + "s" + word[dot..];
    }
}
