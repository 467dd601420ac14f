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
/// </summary>
public sealed class CatalogActor : ReceiveActor
{
    readonly ActorsSettings _settings;
    readonly Dictionary<(string Kind, string Ns, string Name), KubeObject> _objects = new();
    readonly LinkedList<Event> _events = new();
    readonly Dictionary<string, LinkedListNode<Event>> _eventsByKey = new();
    long _version;

    public static Props Props(ActorsSettings settings) => Akka.Actor.Props.Create(() => new CatalogActor(settings));

    public CatalogActor(ActorsSettings settings)
    {
        _settings = settings;
        Receive<ObjectObserved>(m => Upsert(m.Object));
        Receive<ObjectForgotten>(m => Forget(m));
        Receive<EventRecorded>(m => Record(m.Event));
        Receive<GetObjects>(m => Sender.Tell(Query(m)));
        Receive<SubscribeAck>(_ => { });
    }

    protected override void PreStart()
    {
        try { DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(CatalogTopic.Name, Self)); }
        catch (Exception e) { Context.GetLogger().Warning("catalog runs without pub-sub: {0}", e.Message); }
    }

    void Upsert(KubeObject o)
    {
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
