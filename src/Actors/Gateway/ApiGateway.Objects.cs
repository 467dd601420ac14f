using System.Collections.Immutable;
using Akka.Actor;
using Troupe.Actors.Objects;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;

namespace Troupe.Actors.Gateway;

/// <summary>ConfigMaps and Namespaces: applied to their entities; namespaces checked before anything is applied.</summary>
public sealed partial class ApiGateway
{
    /// <summary>
    /// An immutable ConfigMap the apply would change, found before anything is applied (its entity refuses it too,
    /// but only after the objects applied before it were stored).
    /// </summary>
    async Task<List<string>> ImmutableConfigMapChangesAsync(ApplyObjects m)
    {
        var problems = new List<string>();
        foreach (var cm in m.Objects.OfType<ConfigMap>())
        {
            if (await _catalog.Ask<ITroupeMessage>(new GetObjects("ConfigMap", cm.Metadata.Namespace, cm.Metadata.Name), _settings.AskTimeout)
                    is ObjectList { Items: [ConfigMap old, ..] }
                && StoredObjectActor.ImmutableChangeRefused(old, cm) is { } refused)
                problems.Add(refused);
        }
        return problems;
    }

    /// <summary>
    /// As Kubernetes: an object may only go into a namespace that exists, or that the same apply creates; a Namespace
    /// being deleted takes no new objects.
    /// </summary>
    async Task<List<string>> MissingNamespacesAsync(ApplyObjects m)
    {
        var problems = new List<string>();
        var wanted = m.Objects.Where(o => Kinds.IsNamespaced(o.Kind)).Select(o => o.Metadata.Namespace)
            .Where(ns => ns != Namespace.Default && ns.Length > 0).Distinct().ToList();
        if (wanted.Count == 0) return problems;
        var applied = m.Objects.OfType<Namespace>().Select(n => n.Metadata.Name).ToHashSet();
        var existing = await _catalog.Ask<ITroupeMessage>(new GetObjects("Namespace", null), _settings.AskTimeout) is ObjectList list
            ? list.Items.OfType<Namespace>().ToDictionary(n => n.Metadata.Name) : [];
        foreach (var ns in wanted)
        {
            if (applied.Contains(ns)) continue;
            if (!existing.TryGetValue(ns, out var n))
            {
                // a namespace used before Namespaces were objects (-n alone made it): it exists while it holds something
                var used = false;
                foreach (var kind in (string[])["Deployment", "Service", "Pod"])
                    if (!used && await _catalog.Ask<ITroupeMessage>(new GetObjects(kind, ns), _settings.AskTimeout) is ObjectList { Items.Length: > 0 })
                        used = true;
                if (!used) problems.Add($"namespaces \"{ns}\" not found");
            }
            else if (n.Status?.Phase == "Terminating")
                problems.Add($"namespace {ns} is being terminated: unable to create new content in it");
        }
        return problems;
    }

    async Task<ITroupeMessage?> ApplyStoredAsync(ApplyObjects m, ImmutableArray<AppliedObject>.Builder results)
    {
        // namespaces first: the objects that go into them come after
        foreach (var o in m.Objects.Where(o => o is Namespace).Concat(m.Objects.Where(o => o is ConfigMap)))
        {
            var ns = o is Namespace ? "" : o.Metadata.Namespace;
            string action;
            if (m.DryRun) action = await DryRunActionAsync(o.Kind, o.Metadata with { Namespace = ns });
            else
            {
                var reply = await _objects.Ask<ITroupeMessage>(new ApplyStoredObject(StoredObjectIds.Of(o.Kind, ns, o.Metadata.Name), ProtocolJson.Serialize(o)), _settings.AskTimeout);
                if (reply is not CommandAccepted ok) return reply;
                action = ok.Message;
            }
            results.Add(new AppliedObject(o.Kind, ns, o.Metadata.Name, action));
        }
        return null;
    }

    async Task<ITroupeMessage> DeleteStoredAsync(string kind, DeleteObject m)
    {
        if (kind == "ConfigMap")
            return await _objects.Ask<ITroupeMessage>(new DeleteStoredObject(StoredObjectIds.Of(kind, m.Namespace, m.Name)), _settings.AskTimeout);
        if (m.Name == Namespace.Default) return CommandRejected.Invalid("namespaces \"default\" is forbidden: this namespace may not be deleted");
        var id = StoredObjectIds.Of(kind, "", m.Name);
        if (await _catalog.Ask<ITroupeMessage>(new GetObjects("Namespace", null, m.Name), _settings.AskTimeout) is not ObjectList { Items: [Namespace ns, ..] })
            return CommandRejected.NotFound($"namespaces \"{m.Name}\" not found");
        // Terminating first (no new content), then everything in it, then the Namespace itself
        _catalog.Tell(new Troupe.Actors.Catalog.ObjectObserved(ns with { Status = new NamespaceStatus("Terminating") }));
        foreach (var k in (string[])["Deployment", "Service", "ConfigMap", "Pod"])
        {
            if (await _catalog.Ask<ITroupeMessage>(new GetObjects(k, m.Name), _settings.AskTimeout) is not ObjectList items) continue;
            foreach (var o in items.Items)
            {
                // pods of a Deployment go with it
                if (o is Pod p && !p.Metadata.OwnerReferences.IsDefaultOrEmpty) continue;
                await DeleteAsync(new DeleteObject(k, m.Name, o.Metadata.Name, m.GracePeriodSeconds));
            }
        }
        return await _objects.Ask<ITroupeMessage>(new DeleteStoredObject(id), _settings.AskTimeout);
    }
}
