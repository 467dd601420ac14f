using System.Collections.Immutable;
using System.Net;
using Troupe.Actors.Catalog;
using Troupe.Api.Objects;

namespace Troupe.Actors.Services;

/// <summary>
/// The names the node's <see cref="Troupe.Runtime.Networking.DnsServer"/> answers: each Service as
/// <c>NAME.NAMESPACE.svc.cluster.local</c> → its ClusterIP, or for a headless one (<c>clusterIP: None</c>) its ready pods' IPs. So
/// pods, whose resolv.conf searches <c>NAMESPACE.svc.cluster.local</c>, reach a Service — and a Compose service —
/// by its name. Swapped whole by <see cref="ServiceProxy"/> as Services and pods change; read from any thread.
/// </summary>
public sealed class ServiceNames
{
    public const string Zone = "cluster.local";

    volatile IReadOnlyDictionary<string, IReadOnlyList<IPAddress>> _names = ImmutableDictionary<string, IReadOnlyList<IPAddress>>.Empty;

    /// <summary>For the DNS server: a lower-case name without its final dot.</summary>
    public IReadOnlyList<IPAddress>? Lookup(string name) => _names.TryGetValue(name, out var a) ? a : null;

    /// <summary>Every name now, for tests and diagnostics.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<IPAddress>> All => _names;

    public void Set(IEnumerable<Service> services, IEnumerable<Pod> pods)
    {
        var podList = pods as IReadOnlyCollection<Pod> ?? pods.ToList();
        var names = new Dictionary<string, IReadOnlyList<IPAddress>>(StringComparer.Ordinal);
        foreach (var svc in services)
        {
            IReadOnlyList<IPAddress> addresses;
            if (svc.Spec.ClusterIP is { } cip && cip != "None" && IPAddress.TryParse(cip, out var ip)) addresses = [ip];
            else if (svc.Spec.ClusterIP == "None" && !svc.Spec.Selector.IsEmpty)
                addresses = podList.Where(p => p.Metadata.Namespace == svc.Metadata.Namespace && EndpointsBuilder.IsReady(p)
                        && svc.Spec.Selector.All(kv => p.Metadata.Labels.TryGetValue(kv.Key, out var v) && v == kv.Value)
                        && IPAddress.TryParse(p.Status?.PodIP, out _))
                    .OrderBy(p => p.Metadata.Name, StringComparer.Ordinal).Select(p => IPAddress.Parse(p.Status!.PodIP!)).ToList();
            else continue;
            var n = svc.Metadata.Name.ToLowerInvariant();
            var ns = svc.Metadata.Namespace.ToLowerInvariant();
            // only the full name: the pod's search list makes NAME and NAME.NS into it, and a Service may not
            // shadow a name outside cluster.local (a Service "google" in namespace "com")
            names[$"{n}.{ns}.svc.{Zone}"] = addresses;
        }
        _names = names;
    }
}
