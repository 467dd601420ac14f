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

    private sealed class Entry(PublishedPort port, Backends backends, string owner)
    {
        public readonly PublishedPort Port = port;
        public readonly Backends Backends = backends;
        public readonly string Owner = owner;
    }

    /// <summary>Round-robin over an array swapped whole when the endpoints change.</summary>
    private sealed class Backends
    {
        private ImmutableArray<IPEndPoint> _all = [];
        private int _next = -1;
        public void Set(ImmutableArray<IPEndPoint> all) => _all = all.IsDefault ? [] : all;
        public int Count => _all.Length;
        public IPEndPoint? Next()
        {
            var all = _all;
            return all.Length == 0 ? null : all[(int)((uint)Interlocked.Increment(ref _next) % (uint)all.Length)];
        }
    }

    /// <summary>
    /// A balancer whose ClusterIPs go on the interface <paramref name="clusterIpInterface"/> makes ready (the node's
    /// pod bridge: pods reach a ClusterIP through their gateway, the host as a local address; a dummy interface would
    /// do too, but the kernel here has no dummy module). Null: no ClusterIPs (no root), only 0.0.0.0 ports.
    /// </summary>
    public ServiceBalancer(Func<Task<string>>? clusterIpInterface) => _interface = clusterIpInterface;

    /// <summary>What is listened on now, and by whom.</summary>
    public IReadOnlyList<(IPEndPoint Address, string Owner, int Backends)> Listening
    {
        get
        {
            _gate.Wait();
            try { return _listeners.Values.Select(e => (e.Port.HostEndPoint, e.Owner, e.Backends.Count)).ToList(); }
            finally { _gate.Release(); }
        }
    }

    /// <summary>
    /// Make the listeners match <paramref name="wanted"/>. Returns one message per port that could not be listened on
    /// (<c>port 5000 is already in use on 0.0.0.0</c>), keyed by owner; the others are served.
    /// </summary>
    public async Task<IReadOnlyList<(string Owner, string Error)>> ApplyAsync(IReadOnlyList<BalancedPort> wanted)
    {
        await _gate.WaitAsync();
        try
        {
            var errors = new List<(string, string)>();
            var want = wanted.GroupBy(w => (w.Ip, w.Port)).ToDictionary(g => g.Key, g => g.First());
            foreach (var (key, entry) in _listeners.ToList())
                if (!want.TryGetValue(key, out var w) || w.Owner != entry.Owner)
                {
                    await entry.Port.DisposeAsync();
                    _listeners.Remove(key);
                }
            var ips = want.Keys.Select(k => k.Ip).Where(ip => !ip.Equals(IPAddress.Any)).ToHashSet();
            if (_interface is not null) await SyncAddressesAsync(ips, errors);
            foreach (var (key, w) in want)
            {
                if (_listeners.TryGetValue(key, out var existing))
                {
                    existing.Backends.Set(w.Backends);
                    continue;
                }
                var backends = new Backends();
                backends.Set(w.Backends);
                try
                {
                    var port = PublishedPort.Start(w.Ip, w.Port, null, backends.Next, 3, TimeSpan.FromSeconds(2), _ => { });
                    _listeners[key] = new Entry(port, backends, w.Owner);
                }
                catch (PortInUseException e) { errors.Add((w.Owner, e.Message)); }
                catch (System.Net.Sockets.SocketException e) { errors.Add((w.Owner, $"cannot listen on {w.Ip}:{w.Port}: {e.Message}")); }
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
