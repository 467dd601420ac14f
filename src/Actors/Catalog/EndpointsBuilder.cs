using System.Collections.Immutable;
using Troupe.Api.Objects;

namespace Troupe.Actors.Catalog;

/// <summary>
/// INTERNAL API. Pure: a Service's <see cref="Endpoints"/> from the pods of its namespace — those its selector
/// matches that have an address; ready ones (Running, condition Ready, not terminating) in <c>addresses</c>, the others in
/// <c>notReadyAddresses</c>. A named <c>targetPort</c> is looked up in each pod's container ports (a pod without it
/// is left out of that port), so pods are grouped into subsets by the ports they resolve to, as Kubernetes does.
/// What <c>get endpoints</c> shows and what every node's load balancer sends connections to.
/// </summary>
public static class EndpointsBuilder
{
    public static Endpoints For(Service svc, IEnumerable<Pod> pods)
    {
        var meta = new ObjectMeta { Name = svc.Metadata.Name, Namespace = svc.Metadata.Namespace, Labels = svc.Metadata.Labels, CreationTimestamp = svc.Metadata.CreationTimestamp };
        if (svc.Spec.Selector.IsEmpty) return new Endpoints { Metadata = meta };
        var groups = new Dictionary<string, (ImmutableArray<EndpointPort> Ports, List<EndpointAddress> Ready, List<EndpointAddress> NotReady)>();
        foreach (var pod in pods.Where(p => p.Metadata.Namespace == svc.Metadata.Namespace && Matches(svc.Spec.Selector, p.Metadata.Labels))
                     .OrderBy(p => p.Metadata.Name, StringComparer.Ordinal))
        {
            if (pod.Status is not { PodIP: { Length: > 0 } ip } status || status.Phase is "Succeeded" or "Failed") continue;
            var ports = ImmutableArray.CreateBuilder<EndpointPort>();
            foreach (var sp in svc.Spec.Ports)
                if (TargetPort(sp, pod) is { } n) ports.Add(new EndpointPort(sp.Name, n, sp.Protocol));
            if (ports.Count == 0) continue;
            var resolved = ports.ToImmutable();
            var key = string.Join(',', resolved.Select(p => $"{p.Name}:{p.Port}"));
            if (!groups.TryGetValue(key, out var g)) groups[key] = g = (resolved, new List<EndpointAddress>(), new List<EndpointAddress>());
            var address = new EndpointAddress(ip, pod.Spec.NodeName, new ObjectReference("Pod", pod.Metadata.Namespace, pod.Metadata.Name, pod.Metadata.Uid));
            (IsReady(pod) ? g.Ready : g.NotReady).Add(address);
        }
        return new Endpoints
        {
            Metadata = meta,
            Subsets = groups.Values.Select(g => new EndpointSubset { Addresses = [.. g.Ready], NotReadyAddresses = [.. g.NotReady], Ports = g.Ports }).ToImmutableArray(),
        };
    }

    /// <summary>Running with the Ready condition true, and not terminating (a pod being stopped gets no new connections).</summary>
    public static bool IsReady(Pod pod) =>
        pod.Metadata.DeletionTimestamp is null && pod.Status is { Phase: "Running" } s && s.Conditions.Any(c => c.Type == "Ready" && c.Status == "True");

    /// <summary>The pod's port for a Service port: the number written, the container port of that name, or the Service port itself.</summary>
    public static int? TargetPort(ServicePort sp, Pod pod)
    {
        if (sp.TargetPort is not { } t) return sp.Port;
        if (t.Number is { } n) return n;
        return pod.Spec.Containers.SelectMany(c => c.Ports).FirstOrDefault(p => p.Name == t.Value && p.Protocol == sp.Protocol)?.ContainerPort;
    }

    static bool Matches(ImmutableSortedDictionary<string, string> selector, ImmutableSortedDictionary<string, string> labels) =>
        selector.All(kv => labels.TryGetValue(kv.Key, out var v) && v == kv.Value);
}
