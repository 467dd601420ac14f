using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Troupe.Runtime.Networking;

/// <summary>
/// The node's DNS server for its pods, on the pod bridge's gateway, port 53, UDP and TCP. It is authoritative for
/// <c>zone</c> (<c>cluster.local</c>) and forwards every other name to the host's resolvers, so a pod whose
/// resolv.conf is <see cref="PodResolvConf"/> finds Services (<c>web</c>, <c>web.default</c>,
/// <c>web.default.svc.cluster.local</c>) and the outside world through one nameserver.
/// <list type="bullet">
/// <item>A name the lookup knows: its A records (TTL 5 s, so a changed ClusterIP is seen quickly) with AA; AAAA
/// (when lookup gives no IPv6 address) and any other type: NOERROR without answers (NODATA), so resolvers
/// asking A and AAAA together do not fail.</item>
/// <item>An unknown name in the zone: NXDOMAIN with AA, never forwarded (the search list makes every pod send
/// <c>example.com.default.svc.cluster.local</c> first; that must stay here and be quick).</item>
/// <item>Any other name, PTR queries for <c>in-addr.arpa</c> among them (the lookup knows no reverse names, and
/// the host's resolvers may know the host's): the query as received goes to each upstream in turn over UDP,
/// with a fresh random id and its own socket, until one answers within the timeout; SERVFAIL and REFUSED
/// answers make it try the next. The answer goes back with the client's id. No upstream answering gives
/// SERVFAIL, no upstreams at all REFUSED. A TCP client's query whose UDP answer comes back truncated is asked
/// again over TCP of that upstream. Upstreams may be loopback addresses (systemd-resolved's 127.0.0.53):
/// this server runs in the node's network namespace, not the pod's.</item>
/// <item>Malformed packets: responses and runts are dropped; a bad question is FORMERR, another opcode NOTIMP,
/// another class than IN REFUSED. Nothing a client sends can throw out of a loop.</item>
/// </list>
/// Thread-safe: UDP is one receive loop that answers local names at once and hands forwards to tasks of their own
/// (at most <see cref="MaxPendingForwards"/>; more get SERVFAIL); each TCP connection is a task of its own.
/// <c>lookup</c> is called from all of them, concurrently, and must be quick and thread-safe; if it throws the
/// client gets SERVFAIL.
/// </summary>
public sealed class DnsServer : IAsyncDisposable
{
    /// <summary>Forwards in flight at once; a query flood towards unknown names cannot pile up sockets.</summary>
    public const int MaxPendingForwards = 256;
    /// <summary>TCP connections served at once; more are closed at accept.</summary>
    public const int MaxTcpConnections = 64;
    /// <summary>A TCP connection without a complete query for this long is closed (RFC 7766 §6.2.3 suggests seconds).</summary>
    public static readonly TimeSpan TcpIdleTimeout = TimeSpan.FromSeconds(10);

    private const int BindAttempts = 5;

    private readonly Socket _udp;
    private readonly Socket _tcp;
    private readonly Func<string, IReadOnlyList<IPAddress>?> _lookup;
    private readonly IReadOnlyList<IPEndPoint> _upstreams;
    private readonly string _zone;
    private readonly TimeSpan _upstreamTimeout;
    private readonly CancellationTokenSource _cts = new();
    private readonly ConcurrentDictionary<Task, byte> _tasks = new();
    private readonly ConcurrentDictionary<Socket, byte> _connections = new();
    private readonly Task _udpLoop;
    private readonly Task _tcpLoop;
    private int _pendingForwards;
    private int _disposed;

    /// <summary>The UDP address and port listened on (the real port when 0 was asked).</summary>
    public IPEndPoint UdpEndPoint { get; }

    /// <summary>The TCP address and port listened on: the same port as <see cref="UdpEndPoint"/>.</summary>
    public IPEndPoint TcpEndPoint { get; }

    private DnsServer(Socket udp, Socket tcp, Func<string, IReadOnlyList<IPAddress>?> lookup,
        IReadOnlyList<IPEndPoint> upstreams, string zone, TimeSpan upstreamTimeout)
    {
        _udp = udp;
        _tcp = tcp;
        _lookup = lookup;
        _zone = zone;
        _upstreamTimeout = upstreamTimeout;
        UdpEndPoint = (IPEndPoint)udp.LocalEndPoint!;
        TcpEndPoint = (IPEndPoint)tcp.LocalEndPoint!;
        // never forward to ourselves: one query would circle until the timeouts
        _upstreams = upstreams.Where(u => !u.Equals(UdpEndPoint)).ToList();
        _udpLoop = Task.Run(UdpLoopAsync);
        _tcpLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>
    /// Bind UDP, then TCP on the same port, and start serving. With port 0, UDP picks the port and TCP takes the
    /// same one; if that is taken for TCP both are let go and another is tried (5 times). A taken port otherwise
    /// throws <see cref="PortInUseException"/> and nothing is left behind; port 53 without root or
    /// CAP_NET_BIND_SERVICE throws the <see cref="SocketException"/> (access denied).
    /// </summary>
    /// <param name="listen">Where to listen, e.g. the bridge gateway on port 53.</param>
    /// <param name="lookup">A fully qualified lower-case name without the trailing dot
    /// (<c>web.default.svc.cluster.local</c>, or <c>web</c> as a client sent it) → its addresses, null when unknown.</param>
    /// <param name="upstreams">Where names outside <paramref name="zone"/> go, tried in order (see <see cref="UpstreamsFromResolvConf"/>).</param>
    /// <param name="zone">Names equal to it or under it that <paramref name="lookup"/> does not know are NXDOMAIN.</param>
    /// <param name="upstreamTimeout">How long each upstream gets to answer; 2 s when null.</param>
    public static DnsServer Start(IPEndPoint listen, Func<string, IReadOnlyList<IPAddress>?> lookup,
        IReadOnlyList<IPEndPoint> upstreams, string zone = "cluster.local", TimeSpan? upstreamTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(lookup);
        ArgumentNullException.ThrowIfNull(upstreams);
        var timeout = upstreamTimeout ?? TimeSpan.FromSeconds(2);
        if (timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(upstreamTimeout), "must be positive");
        zone = zone.Trim().TrimEnd('.').ToLowerInvariant();
        for (var attempt = 1; ; attempt++)
        {
            var udp = Bind(SocketType.Dgram, ProtocolType.Udp, listen.Address, listen.Port);
            var port = ((IPEndPoint)udp.LocalEndPoint!).Port;
            try
            {
                var tcp = Bind(SocketType.Stream, ProtocolType.Tcp, listen.Address, port);
                return new DnsServer(udp, tcp, lookup, upstreams, zone, timeout);
            }
            catch (PortInUseException) when (listen.Port == 0 && attempt < BindAttempts) { udp.Dispose(); }
            catch
            {
                udp.Dispose();
                throw;
            }
        }
    }

    private static Socket Bind(SocketType type, ProtocolType protocol, IPAddress ip, int port)
    {
        // no ReuseAddress: on Linux .NET makes it SO_REUSEPORT too, and two servers would share the port
        var s = new Socket(ip.AddressFamily, type, protocol);
        try
        {
            s.Bind(new IPEndPoint(ip, port));
            if (type == SocketType.Stream) s.Listen(128);
            return s;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            s.Dispose();
            throw new PortInUseException(ip, port, e);
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The <c>nameserver</c> lines of a resolv.conf, in order, on port 53, IPv4 and IPv6 (with a <c>%zone</c> if
    /// given). Comments, other keywords and addresses that do not parse are skipped; repeated ones count once.
    /// </summary>
    public static IReadOnlyList<IPEndPoint> UpstreamsFromResolvConf(string text)
    {
        var found = new List<IPEndPoint>();
        foreach (var raw in text.Split('\n'))
        {
            var words = raw.Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 2 || words[0] != "nameserver") continue;
            if (!IPAddress.TryParse(words[1], out var ip)) continue;
            var ep = new IPEndPoint(ip, 53);
            if (!found.Contains(ep)) found.Add(ep);
        }
        return found;
    }

    /// <summary>
    /// A pod's resolv.conf: this server as its only nameserver, and the Kubernetes search list with ndots:5, so
    /// <c>web</c> and <c>web.other</c> are tried as <c>web.NS.svc.ZONE</c> and <c>web.other.svc.ZONE</c> first.
    /// </summary>
    /// <exception cref="ArgumentException">An empty namespace or zone, or one with whitespace.</exception>
    public static string PodResolvConf(IPAddress nameserver, string @namespace, string zone = "cluster.local")
    {
        ArgumentNullException.ThrowIfNull(nameserver);
        zone = zone.Trim().TrimEnd('.');
        if (@namespace.Length == 0 || @namespace.Any(char.IsWhiteSpace)) throw new ArgumentException($"not a namespace: '{@namespace}'", nameof(@namespace));
        if (zone.Length == 0 || zone.Any(char.IsWhiteSpace)) throw new ArgumentException($"not a zone: '{zone}'", nameof(zone));
        return $"nameserver {nameserver}\nsearch {@namespace}.svc.{zone} svc.{zone} {zone}\noptions ndots:5\n";
    }

    // ---- deciding ----

    /// <summary>A local answer, or null with <paramref name="forward"/> true, or null alone: drop the packet.</summary>
    private byte[]? Decide(ReadOnlySpan<byte> query, int limit, out bool forward)
    {
        forward = false;
        switch (DnsWire.Parse(query, out var q))
        {
            case DnsParse.Drop: return null;
            case DnsParse.FormErr: return DnsWire.Error(query, DnsWire.FormErr);
            case DnsParse.NotImp: return DnsWire.Error(query, DnsWire.NotImp);
        }
        if (q.Class != DnsWire.ClassIn) return DnsWire.Answer(q, DnsWire.Refused, false, [], limit);
        IReadOnlyList<IPAddress>? known = null;
        if (q.Plain)
        {
            try { known = _lookup(q.Name); }
            catch (Exception) { return DnsWire.Answer(q, DnsWire.ServFail, false, [], limit); }
        }
        if (known is not null) return DnsWire.Answer(q, DnsWire.NoError, true, known, limit);
        if (q.Name == _zone || q.Name.EndsWith("." + _zone, StringComparison.Ordinal))
            return DnsWire.Answer(q, DnsWire.NxDomain, true, [], limit);
        if (_upstreams.Count == 0) return DnsWire.Answer(q, DnsWire.Refused, false, [], limit);
        forward = true;
        return null;
    }

    // ---- UDP ----

    private async Task UdpLoopAsync()
    {
        var buffer = new byte[65535];
        EndPoint any = new IPEndPoint(UdpEndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!_cts.IsCancellationRequested)
        {
            SocketReceiveFromResult r;
            try { r = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, any, _cts.Token); }
            catch (Exception) when (_cts.IsCancellationRequested) { return; }
            catch (SocketException) { continue; } // an ICMP error from an earlier send: not this datagram's
            catch (ObjectDisposedException) { return; }
            var client = r.RemoteEndPoint;
            var query = buffer.AsSpan(0, r.ReceivedBytes);
            var reply = Decide(query, DnsWire.UdpLimit, out var forward);
            if (forward)
            {
                if (Interlocked.Increment(ref _pendingForwards) > MaxPendingForwards)
                {
                    Interlocked.Decrement(ref _pendingForwards);
                    reply = DnsWire.Error(query, DnsWire.ServFail);
                }
                else Track(RelayAsync(query.ToArray(), client));
            }
            if (reply is null) continue;
            try { await _udp.SendToAsync(reply, SocketFlags.None, client, _cts.Token); }
            catch (Exception) when (_cts.IsCancellationRequested) { return; }
            catch (Exception) { } // the client went away; its loss
        }
    }

    private async Task RelayAsync(byte[] query, EndPoint client)
    {
        try
        {
            var reply = await ForwardAsync(query, overTcp: false);
            await _udp.SendToAsync(reply, SocketFlags.None, client, _cts.Token);
        }
        catch (Exception) { } // disposed, or the client went away
        finally { Interlocked.Decrement(ref _pendingForwards); }
    }

    // ---- forwarding ----

    /// <summary>
    /// Ask the upstreams in order; the answer carries the client's id. Throws only when disposed.
    /// </summary>
    private async Task<byte[]> ForwardAsync(byte[] query, bool overTcp)
    {
        var clientId = DnsWire.Id(query);
        byte[]? fallback = null;
        foreach (var upstream in _upstreams)
        {
            _cts.Token.ThrowIfCancellationRequested();
            var id = (ushort)RandomNumberGenerator.GetInt32(0, 65536);
            var asked = (byte[])query.Clone();
            DnsWire.SetId(asked, id);
            var reply = await AskAsync(upstream, asked, id, overTcp: false);
            if (reply is not null && overTcp && DnsWire.IsTruncated(reply)) reply = await AskAsync(upstream, asked, id, overTcp: true) ?? reply;
            if (reply is null) continue;
            DnsWire.SetId(reply, clientId);
            if (DnsWire.Rcode(reply) is DnsWire.ServFail or DnsWire.Refused)
            {
                fallback = reply;
                continue;
            }
            return reply;
        }
        return fallback ?? DnsWire.Error(query, DnsWire.ServFail);
    }

    /// <summary>One upstream, one try: its reply to <paramref name="id"/>, or null when it gave none in time.</summary>
    private async Task<byte[]?> AskAsync(IPEndPoint upstream, byte[] query, ushort id, bool overTcp)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_cts.Token);
        timeout.CancelAfter(_upstreamTimeout);
        using var s = overTcp
            ? new Socket(upstream.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(upstream.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            // for UDP too: a connected socket gets only the upstream's datagrams, never a stranger's
            await s.ConnectAsync(upstream, timeout.Token);
            if (overTcp)
            {
                await s.SendAsync(DnsWire.Framed(query), SocketFlags.None, timeout.Token);
                var framed = await DnsWire.ReadFramedAsync(s, timeout.Token);
                return framed is not null && IsReplyTo(framed, id) ? framed : null;
            }
            await s.SendAsync(query, SocketFlags.None, timeout.Token);
            var buffer = new byte[65535];
            while (true)
            {
                var n = await s.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                if (IsReplyTo(buffer.AsSpan(0, n), id)) return buffer.AsSpan(0, n).ToArray();
            }
        }
        catch (Exception) when (!_cts.IsCancellationRequested) { return null; } // timed out, refused, unreachable
    }

    private static bool IsReplyTo(ReadOnlySpan<byte> msg, ushort id) =>
        msg.Length >= DnsWire.HeaderLength && DnsWire.IsResponse(msg) && DnsWire.Id(msg) == id;

    // ---- TCP ----

    private async Task AcceptLoopAsync()
    {
        while (!_cts.IsCancellationRequested)
        {
            Socket client;
            try { client = await _tcp.AcceptAsync(_cts.Token); }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException) when (_cts.IsCancellationRequested) { return; }
            catch (SocketException) { continue; } // e.g. ECONNABORTED: the client gave up before accept
            if (_connections.Count >= MaxTcpConnections)
            {
                client.Dispose();
                continue;
            }
            _connections[client] = 0;
            Track(ServeTcpAsync(client));
        }
    }

    /// <summary>One query at a time per connection (RFC 7766 allows more; resolvers send one or two).</summary>
    private async Task ServeTcpAsync(Socket client)
    {
        try
        {
            while (!_cts.IsCancellationRequested)
            {
                byte[]? query;
                using (var idle = CancellationTokenSource.CreateLinkedTokenSource(_cts.Token))
                {
                    idle.CancelAfter(TcpIdleTimeout);
                    query = await DnsWire.ReadFramedAsync(client, idle.Token);
                }
                if (query is null) return;
                var reply = Decide(query, ushort.MaxValue, out var forward);
                if (forward) reply = await ForwardAsync(query, overTcp: true);
                if (reply is null) return; // not a query: nothing sensible to say on this stream
                await client.SendAsync(DnsWire.Framed(reply), SocketFlags.None, _cts.Token);
            }
        }
        catch (Exception) { } // idle, reset or disposed
        finally
        {
            _connections.TryRemove(client, out _);
            client.Dispose();
        }
    }

    // ---- lifetime ----

    private void Track(Task t)
    {
        _tasks[t] = 0;
        t.ContinueWith(done => _tasks.TryRemove(done, out _), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Stop both listeners (the port is free at once), close TCP connections, abandon forwards. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _cts.Cancel();
        _udp.Dispose();
        _tcp.Dispose();
        foreach (var c in _connections.Keys) c.Dispose();
        // the loops first: once they are done nothing new is tracked, and what is tracked is cancelled
        try { await Task.WhenAll(_udpLoop, _tcpLoop); } catch (Exception) { }
        try { await Task.WhenAll(_tasks.Keys); } catch (Exception) { }
        _cts.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString() => $"dns {UdpEndPoint} zone {_zone} -> {string.Join(", ", _upstreams)}";
}
