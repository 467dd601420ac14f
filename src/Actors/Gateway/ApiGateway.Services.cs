using System.Collections.Immutable;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Akka.Actor;
using Troupe.Actors.Services;
using Troupe.Api.Manifests;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;

namespace Troupe.Actors.Gateway;

/// <summary>
/// Services in an apply: before anything is applied, each gets its ClusterIP (kept when it exists; else a free one
/// from <see cref="ClusterIpRange"/>, first tried at a hash of its name so it is stable across re-creation) and its
/// node ports, and the host ports it will listen on are checked (taken by another process or another Service: the
/// apply is refused). A selector that matches no pod and no pod template is a warning, as kubectl would not say but
/// a user wants to know.
/// </summary>
public sealed partial class ApiGateway
{
    /// <summary>ClusterIPs: 10.96.0.0/16 (Kubernetes' default service CIDR is 10.96.0.0/12), .0.0 and .0.1 kept back.</summary>
    public const string ClusterIpRange = "10.96.0.0/16";

    async Task<(ImmutableArray<Service> Services, List<string> Problems, List<string> Warnings)> PrepareServicesAsync(ApplyObjects m)
    {
        var problems = new List<string>();
        var warnings = new List<string>();
        var incoming = m.Objects.OfType<Service>().ToList();
        if (incoming.Count == 0) return ([], problems, warnings);
        var existing = (await _catalog.Ask<ITroupeMessage>(new GetObjects("Service", AllNamespaces: true), _settings.AskTimeout) as ObjectList)?
            .Items.OfType<Service>().ToDictionary(s => (s.Metadata.Namespace, s.Metadata.Name)) ?? [];
        var pods = (await _catalog.Ask<ITroupeMessage>(new GetObjects("Pod", AllNamespaces: true), _settings.AskTimeout) as ObjectList)?.Items.OfType<Pod>().ToList() ?? [];
        var deployments = (await _catalog.Ask<ITroupeMessage>(new GetObjects("Deployment", AllNamespaces: true), _settings.AskTimeout) as ObjectList)?.Items.OfType<Deployment>().ToList() ?? [];

        // what other Services (not in this apply) hold
        var applying = incoming.Select(s => (s.Metadata.Namespace, s.Metadata.Name)).ToHashSet();
        var ipsTaken = existing.Where(kv => !applying.Contains(kv.Key)).Select(kv => kv.Value.Spec.ClusterIP).OfType<string>().ToHashSet();
        var hostPortsTaken = existing.Where(kv => !applying.Contains(kv.Key)).SelectMany(kv => HostPorts(kv.Value).Select(p => (p, $"{kv.Key.Namespace}/{kv.Key.Name}")))
            .GroupBy(x => x.p).ToDictionary(g => g.Key, g => g.First().Item2);

        var result = ImmutableArray.CreateBuilder<Service>();
        foreach (var svc in incoming)
        {
            var key = (svc.Metadata.Namespace, svc.Metadata.Name);
            var word = $"service/{svc.Metadata.Name}";
            existing.TryGetValue(key, out var old);
            var spec = svc.Spec;
            // ClusterIP: immutable once given
            string? ip = spec.ClusterIP;
            if (old is not null && ip is not null && ip != old.Spec.ClusterIP)
            {
                problems.Add($"{word}: spec.clusterIP: field is immutable (it is {old.Spec.ClusterIP})");
                continue;
            }
            ip ??= old?.Spec.ClusterIP ?? FreeClusterIp(key.Namespace + "/" + key.Name, ipsTaken);
            if (ip is null) { problems.Add($"{word}: no free ClusterIP left in {ClusterIpRange}"); continue; }
            if (ip != "None" && ipsTaken.Contains(ip) && old?.Spec.ClusterIP != ip)
            {
                problems.Add($"{word}: spec.clusterIP: {ip} is already allocated to another Service");
                continue;
            }
            ipsTaken.Add(ip);
            // node ports: kept, else allocated
            var ports = ImmutableArray.CreateBuilder<ServicePort>();
            foreach (var p in spec.Ports)
            {
                var port = p;
                if (spec.Type is "NodePort" or "LoadBalancer" && port.NodePort is null)
                {
                    var kept = old?.Spec.Ports.FirstOrDefault(o => o.Port == p.Port && o.Protocol == p.Protocol)?.NodePort;
                    var np = kept ?? FreeNodePort($"{key.Namespace}/{key.Name}:{p.Port}", hostPortsTaken);
                    if (np is null) { problems.Add($"{word}: no free node port left"); continue; }
                    port = port with { NodePort = np };
                }
                ports.Add(port);
            }
            var prepared = svc with { Spec = spec with { ClusterIP = ip, Ports = ports.ToImmutable() } };
            // host ports: free on this host and not another Service's (this Service's own are fine: it holds them)
            var mine = old is null ? new HashSet<int>() : HostPorts(old).ToHashSet();
            foreach (var hp in HostPorts(prepared))
            {
                if (hostPortsTaken.TryGetValue(hp, out var other)) { problems.Add($"{word}: port {hp} is already used by service {other}"); continue; }
                hostPortsTaken[hp] = $"{key.Namespace}/{key.Name}";
                if (!mine.Contains(hp) && !HostPortFree(hp)) problems.Add($"{word}: port {hp} is already in use on this host");
            }
            if (!spec.Selector.IsEmpty && !SelectsAnything(spec.Selector, key.Namespace, pods, deployments, m.Objects))
                warnings.Add($"service/{svc.Metadata.Name}: selector {string.Join(",", spec.Selector.Select(kv => $"{kv.Key}={kv.Value}"))} matches no pods yet");
            result.Add(prepared);
        }
        return (result.ToImmutable(), problems, warnings);
    }

    /// <summary>The host ports a Service listens on with every node: node ports, and the ports of a LoadBalancer.</summary>
    static IEnumerable<int> HostPorts(Service s)
    {
        if (s.Spec.Type is not ("NodePort" or "LoadBalancer")) yield break;
        foreach (var p in s.Spec.Ports)
        {
            if (p.NodePort is { } np) yield return np;
            if (s.Spec.Type == "LoadBalancer") yield return p.Port;
        }
    }

    static bool HostPortFree(int port)
    {
        try
        {
            var l = new System.Net.Sockets.TcpListener(IPAddress.Any, port);
            l.Start();
            l.Stop();
            return true;
        }
        catch (System.Net.Sockets.SocketException) { return false; }
    }

    static string? FreeClusterIp(string key, HashSet<string> taken)
    {
        const int size = 1 << 16;
        var start = (int)(BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(key))) % size);
        for (var i = 0; i < size; i++)
        {
            var n = (start + i) % size;
            if (n < 2 || n == size - 1) continue; // network, the range's first (kept back) and broadcast-looking last
            var ip = $"10.96.{n >> 8}.{n & 0xFF}";
            if (!taken.Contains(ip)) return ip;
        }
        return null;
    }

    static int? FreeNodePort(string key, Dictionary<int, string> taken)
    {
        const int size = ManifestValidator.NodePortMax - ManifestValidator.NodePortMin + 1;
        var start = (int)(BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(key))) % size);
        for (var i = 0; i < size; i++)
        {
            var port = ManifestValidator.NodePortMin + (start + i) % size;
            if (!taken.ContainsKey(port) && HostPortFree(port)) return port;
        }
        return null;
    }

    static bool SelectsAnything(ImmutableSortedDictionary<string, string> selector, string ns, List<Pod> pods, List<Deployment> deployments, ImmutableArray<KubeObject> applying)
    {
        bool Match(ObjectMeta meta, string objNs) => objNs == ns && selector.All(kv => meta.Labels.TryGetValue(kv.Key, out var v) && v == kv.Value);
        return pods.Any(p => Match(p.Metadata, p.Metadata.Namespace))
               || deployments.Any(d => Match(d.Spec.Template.Metadata, d.Metadata.Namespace))
               || applying.Any(o => o switch
               {
                   Deployment d => Match(d.Spec.Template.Metadata, d.Metadata.Namespace),
                   Pod p => Match(p.Metadata, p.Metadata.Namespace),
                   _ => false,
               });
    }

    async Task<ITroupeMessage?> ApplyServicesAsync(ImmutableArray<Service> services, bool dryRun, ImmutableArray<AppliedObject>.Builder results)
    {
        foreach (var s in services)
        {
            string action;
            if (dryRun) action = await DryRunActionAsync("Service", s.Metadata);
            else
            {
                var reply = await _services.Ask<ITroupeMessage>(new ApplyService(ServiceIds.Of(s.Metadata.Namespace, s.Metadata.Name), s), _settings.AskTimeout);
                if (reply is not CommandAccepted ok) return reply;
                action = ok.Message;
            }
            results.Add(new AppliedObject("Service", s.Metadata.Namespace, s.Metadata.Name, action));
        }
        return null;
    }
}
