using System.Collections.Immutable;
using System.Net;

namespace Troupe.Runtime.Networking;

/// <summary>One address a Service answers on and the backends (ready pods' address and target port) behind it.</summary>
public sealed record BalancedPort(IPAddress Ip, int Port, ImmutableArray<IPEndPoint> Backends, string Owner);

/// <summary>
/// The node's Service load balancer: a userspace TCP listener per Service address (its ClusterIP, a /32 on the
/// node's pod bridge, and 0.0.0.0 for NodePort and LoadBalancer ports), spreading connections
/// round-robin over the ready backends; a backend that refuses is skipped for the next one, so a pod that goes
/// away between two endpoint updates costs no failed connection. <see cref="ApplyAsync"/> reconciles the listeners
/// with what is wanted now: new ones bound, gone ones closed, backends swapped in place (open connections stay).
/// Thread-safe; ApplyAsync calls are serialised.
/// </summary>
public sealed class ServiceBalancer : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<(IPAddress, int), Entry> _listeners = new();
    private readonly HashSet<IPAddress> _clusterIps = new();
    private readonly Func<Task<string>>? _interface;
    private string? _interfaceName;

    private sealed class Entry(PublishedPort port, Router router)
    {
        public readonly PublishedPort Port = port;
        public readonly Router Router = router;
    }

    /// <summary>Round-robin over an array swapped whole when the endpoints change.</summary>
    private sealed class Backends(ImmutableArray<IPEndPoint> all)
    {
        private int _next = -1;
        public readonly ImmutableArray<IPEndPoint> All = all.IsDefault ? [] : all;
        public IPEndPoint? Next() =>
            All.Length == 0 ? null : All[(int)((uint)Interlocked.Increment(ref _next) % (uint)All.Length)];
    }

    /// <summary>
    /// What one listener serves, by the address a client dialled: a wildcard listener (0.0.0.0:P of a NodePort or
    /// LoadBalancer Service) also takes connections to any Service's ClusterIP:P, which Linux will not let a second
    /// socket bind beside it, and sends each to that Service's backends.
    /// </summary>
    private sealed class Router
    {
        private volatile IReadOnlyDictionary<IPAddress, Backends> _byIp = new Dictionary<IPAddress, Backends>();
        private volatile Backends? _default;
        public volatile string Owners = "";

        public void Set(BalancedPort? wildcard, IEnumerable<BalancedPort> specific)
        {
            // keep a Backends (its round-robin position) when its addresses did not change
            var old = _byIp;
            _byIp = specific.ToDictionary(b => b.Ip, b => old.TryGetValue(b.Ip, out var o) && o.All.SequenceEqual(b.Backends) ? o : new Backends(b.Backends));
            var d = _default;
            _default = wildcard is null ? null : d is not null && d.All.SequenceEqual(wildcard.Backends) ? d : new Backends(wildcard.Backends);
        }

        public IPEndPoint? Next(IPAddress dialled) =>
            _byIp.TryGetValue(dialled, out var b) ? b.Next() : _default?.Next();

        public int Count(IPAddress ip) => ip.Equals(IPAddress.Any) ? _default?.All.Length ?? 0 : _byIp.TryGetValue(ip, out var b) ? b.All.Length : 0;
    }

    /// <summary>
    /// A balancer whose ClusterIPs go on the interface <paramref name="clusterIpInterface"/> makes ready (the node's
    /// pod bridge: pods reach a ClusterIP through their gateway, the host as a local address; a dummy interface would
    /// do too, but the kernel here has no dummy module). Null: no ClusterIPs (no root), only 0.0.0.0 ports.
    /// </summary>
    public ServiceBalancer(Func<Task<string>>? clusterIpInterface) => _interface = clusterIpInterface;

    /// <summary>What is listened on now: the listening address, the Services it serves, its default backends.</summary>
    public IReadOnlyList<(IPEndPoint Address, string Owners, int Backends)> Listening
    {
        get
        {
            _gate.Wait();
            try { return _listeners.Values.Select(e => (e.Port.HostEndPoint, e.Router.Owners, e.Router.Count(e.Port.HostEndPoint.Address))).ToList(); }
            finally { _gate.Release(); }
        }
    }

    /// <summary>
    /// Make the listeners match <paramref name="wanted"/>: per port, one wildcard listener when a Service wants
    /// 0.0.0.0 (it also serves the ClusterIPs on that port), else one listener per ClusterIP. Returns one message per
    /// port that could not be listened on (<c>port 5000 is already in use on 0.0.0.0</c>), with the Services it
    /// would have served; the others are served.
    /// </summary>
    public async Task<IReadOnlyList<(string Owner, string Error)>> ApplyAsync(IReadOnlyList<BalancedPort> wanted)
    {
        await _gate.WaitAsync();
        try
        {
            var errors = new List<(string, string)>();
            var plan = new Dictionary<(IPAddress, int), (BalancedPort? Wildcard, List<BalancedPort> Specific)>();
            foreach (var byPort in wanted.GroupBy(w => w.Port))
            {
                var wildcard = byPort.FirstOrDefault(w => w.Ip.Equals(IPAddress.Any));
                var specific = byPort.Where(w => !w.Ip.Equals(IPAddress.Any)).GroupBy(w => w.Ip).Select(g => g.First()).ToList();
                if (wildcard is not null) plan[(IPAddress.Any, byPort.Key)] = (wildcard, specific);
                else foreach (var s in specific) plan[(s.Ip, byPort.Key)] = (null, [s]);
            }
            foreach (var (key, entry) in _listeners.ToList())
                if (!plan.ContainsKey(key))
                {
                    await entry.Port.DisposeAsync();
                    _listeners.Remove(key);
                }
            var ips = wanted.Select(w => w.Ip).Where(ip => !ip.Equals(IPAddress.Any)).ToHashSet();
            if (_interface is not null) await SyncAddressesAsync(ips, errors);
            foreach (var (key, (wildcard, specific)) in plan)
            {
                var owners = string.Join(",", (wildcard is null ? specific : [wildcard, .. specific]).Select(b => b.Owner).Distinct());
                if (!_listeners.TryGetValue(key, out var entry))
                {
                    var router = new Router();
                    try { entry = _listeners[key] = new Entry(PublishedPort.Start(key.Item1, key.Item2, null, router.Next, 3, TimeSpan.FromSeconds(1), _ => { }), router); }
                    catch (PortInUseException e) { errors.Add((owners, e.Message)); continue; }
                    catch (System.Net.Sockets.SocketException e) { errors.Add((owners, $"cannot listen on {key.Item1}:{key.Item2}: {e.Message}")); continue; }
                }
                entry.Router.Set(wildcard, specific);
                entry.Router.Owners = owners;
            }
            return errors;
        }
        finally { _gate.Release(); }
    }

    private async Task SyncAddressesAsync(HashSet<IPAddress> ips, List<(string, string)> errors)
    {
        if (ips.Count > 0 && (_interfaceName is null || !Directory.Exists($"/sys/class/net/{_interfaceName}")))
        {
            try { _interfaceName = await _interface!(); }
            catch (Exception e) { errors.Add(("", $"no interface for ClusterIPs: {e.Message}")); return; }
            _clusterIps.Clear();
        }
        if (_interfaceName is null) return;
        foreach (var ip in ips.Where(ip => !_clusterIps.Contains(ip)).ToList())
        {
            var r = await IpTool.TryAsync("addr", "replace", $"{ip}/32", "dev", _interfaceName);
            if (r.ExitCode == 0) _clusterIps.Add(ip);
            else errors.Add(("", $"cannot add {ip} to {_interfaceName}: {r.Stderr.Trim()}"));
        }
        foreach (var ip in _clusterIps.Where(ip => !ips.Contains(ip)).ToList())
        {
            await IpTool.TryAsync("addr", "del", $"{ip}/32", "dev", _interfaceName);
            _clusterIps.Remove(ip);
        }
    }

    /// <summary>Close every listener and remove the ClusterIPs from their interface.</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            foreach (var e in _listeners.Values) await e.Port.DisposeAsync();
            _listeners.Clear();
            if (_interfaceName is not null)
                foreach (var ip in _clusterIps) await IpTool.TryAsync("addr", "del", $"{ip}/32", "dev", _interfaceName);
            _clusterIps.Clear();
        }
        finally { _gate.Release(); }
    }
}
