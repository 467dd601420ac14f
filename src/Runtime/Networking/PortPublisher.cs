using System.Net;
using System.Net.Sockets;

namespace Troupe.Runtime.Networking;

/// <summary>
/// Published ports (<c>-p HOSTPORT:PORT</c>) as a userspace TCP proxy in the node: a listening socket on the host
/// that pipes each accepted connection to the pod's address. Works from <c>localhost</c> (no DNAT, so no
/// <c>route_localnet</c>), a taken port fails at once with <see cref="PortInUseException"/>, and a node killed with
/// SIGKILL leaks nothing (the kernel closes its sockets). TCP only. Thread-safe.
/// </summary>
public sealed class PortPublisher : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly List<PublishedPort> _ports = [];

    /// <summary>
    /// Listen on <paramref name="hostIp"/>:<paramref name="hostPort"/> (0.0.0.0 when null; port 0 picks a free one)
    /// and forward every connection to <paramref name="targetIp"/>:<paramref name="targetPort"/>. The bind happens
    /// before anything else: a taken port throws <see cref="PortInUseException"/>
    /// (<c>port 8080 is already in use on 0.0.0.0</c>) and nothing is left behind.
    /// </summary>
    public Task<PublishedPort> PublishAsync(IPAddress? hostIp, int hostPort, IPAddress targetIp, int targetPort)
    {
        var target = new IPEndPoint(targetIp, targetPort);
        var p = PublishedPort.Start(hostIp ?? IPAddress.Any, hostPort, target, _ => target, 1, TimeSpan.FromSeconds(10), Forget);
        lock (_gate) _ports.Add(p);
        return Task.FromResult(p);
    }

    /// <summary>Every port currently published through this publisher.</summary>
    public IReadOnlyList<PublishedPort> Published { get { lock (_gate) return _ports.ToList(); } }

    private void Forget(PublishedPort p) { lock (_gate) _ports.Remove(p); }

    /// <summary>Close every published port and its connections.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var p in Published) await p.DisposeAsync();
    }
}

/// <summary>
/// One published port: a listener and its live connections. Disposing it stops listening (the port is free again
/// at once) and closes every connection it forwards.
/// </summary>
public sealed class PublishedPort : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _cts = new();
    private readonly Action<PublishedPort> _onDispose;
    private readonly HashSet<Socket> _connections = [];
    private readonly Task _acceptLoop;
    /// <summary>How long a balanced connection waits for a backend when its Service has none ready.</summary>
    public static readonly TimeSpan NoBackendHold = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan BackendPoll = TimeSpan.FromMilliseconds(50);

    private readonly Func<IPAddress, IPEndPoint?> _next;
    private readonly int _attempts;
    private readonly TimeSpan _connectTimeout;
    private long _accepted;
    private int _disposed;

    /// <summary>The address and port listened on (the real port when 0 was asked for).</summary>
    public IPEndPoint HostEndPoint { get; }
    /// <summary>Where connections go: the pod's address and port (null for a load balancer: it picks per connection).</summary>
    public IPEndPoint? Target { get; }
    /// <summary>Connections accepted so far.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);
    /// <summary>Connections open now.</summary>
    public int Open { get { lock (_connections) return _connections.Count / 2; } }

    private PublishedPort(Socket listener, IPEndPoint? target, Func<IPAddress, IPEndPoint?> next, int attempts, TimeSpan connectTimeout, Action<PublishedPort> onDispose)
    {
        _listener = listener;
        HostEndPoint = (IPEndPoint)listener.LocalEndPoint!;
        Target = target;
        _next = next;
        _attempts = attempts;
        _connectTimeout = connectTimeout;
        _onDispose = onDispose;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>
    /// Listen and forward each connection to <paramref name="next"/>'s choice for the address the client connected to
    /// (a wildcard listener serves several: a Service's ClusterIP, the host's own); a backend that refuses (or does not
    /// answer within <paramref name="connectTimeout"/>) is given up for the next choice, up to <paramref name="attempts"/>.
    /// </summary>
    internal static PublishedPort Start(IPAddress hostIp, int hostPort, IPEndPoint? target, Func<IPAddress, IPEndPoint?> next, int attempts,
        TimeSpan connectTimeout, Action<PublishedPort> onDispose)
    {
        var listener = new Socket(hostIp.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // No ReuseAddress: on Linux .NET maps it to SO_REUSEADDR + SO_REUSEPORT, and SO_REUSEPORT would let a
            // second listener share the port instead of failing.
            listener.Bind(new IPEndPoint(hostIp, hostPort));
            listener.Listen(512);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            listener.Dispose();
            throw new PortInUseException(hostIp, hostPort, e);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        return new PublishedPort(listener, target, next, attempts, connectTimeout, onDispose);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_cts.IsCancellationRequested)
        {
            Socket client;
            try { client = await _listener.AcceptAsync(_cts.Token); }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException) when (_cts.IsCancellationRequested) { return; }
            catch (SocketException) { continue; } // e.g. ECONNABORTED: the client gave up before accept
            Interlocked.Increment(ref _accepted);
            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(Socket client)
    {
        client.NoDelay = true;
        lock (_connections)
        {
            if (_cts.IsCancellationRequested) { client.Dispose(); return; }
            _connections.Add(client);
        }
        Socket? upstream = null;
        try
        {
            var dialled = (client.LocalEndPoint as IPEndPoint)?.Address ?? IPAddress.Any;
            if (dialled.IsIPv4MappedToIPv6) dialled = dialled.MapToIPv4();
            for (var attempt = 0; attempt < _attempts && upstream is null; attempt++)
            {
                var target = _next(dialled);
                // a Service with no ready endpoint yet (just applied, its pods becoming ready): the connection is held
                // a moment for one rather than closed at once
                for (var held = TimeSpan.Zero; target is null && attempt == 0 && held < NoBackendHold; held += BackendPoll)
                {
                    await Task.Delay(BackendPoll, _cts.Token);
                    target = _next(dialled);
                }
                if (target is null) break; // still no backend: the client sees its connection close
                var s = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                lock (_connections) _connections.Add(s);
                try
                {
                    using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(_cts.Token);
                    connectTimeout.CancelAfter(_connectTimeout);
                    await s.ConnectAsync(target, connectTimeout.Token);
                    upstream = s;
                }
                catch (Exception) when (!_cts.IsCancellationRequested)
                {
                    // refused or silent (a pod going away): the next backend gets this connection
                    lock (_connections) _connections.Remove(s);
                    s.Dispose();
                }
            }
            if (upstream is not null) await Task.WhenAll(PumpAsync(client, upstream), PumpAsync(upstream, client));
        }
        catch (Exception) { /* reset or disposed: the client sees its connection close */ }
        finally
        {
            lock (_connections) { _connections.Remove(client); if (upstream is not null) _connections.Remove(upstream); }
            client.Dispose();
            upstream?.Dispose();
        }
    }

    // Copy one direction until EOF, then half-close the other side's sending direction so the peer sees EOF too.
    private async Task PumpAsync(Socket from, Socket to)
    {
        // No cancellation token per call (a registration each): DisposeAsync closes the sockets, which ends the pumps.
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (n == 0) break;
                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
            }
            try { to.Shutdown(SocketShutdown.Send); } catch (SocketException) { } catch (ObjectDisposedException) { }
        }
        catch (Exception)
        {
            // A reset or abort in one direction ends both: close the sockets so the other pump stops too.
            try { from.Close(0); } catch (ObjectDisposedException) { }
            try { to.Close(0); } catch (ObjectDisposedException) { }
            throw;
        }
        finally { System.Buffers.ArrayPool<byte>.Shared.Return(buffer); }
    }

    /// <summary>Stop listening and close every forwarded connection. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _cts.Cancel();
        _listener.Dispose();
        try { await _acceptLoop; } catch (Exception) { }
        Socket[] open;
        lock (_connections) open = _connections.ToArray();
        foreach (var s in open) { try { s.Close(0); } catch (ObjectDisposedException) { } }
        _onDispose(this);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{HostEndPoint} -> {Target?.ToString() ?? "balanced"}";
}

/// <summary>A host port to publish is taken: <c>port 8080 is already in use on 0.0.0.0</c>.</summary>
public sealed class PortInUseException(IPAddress hostIp, int port, Exception? inner = null)
    : Exception($"port {port} is already in use on {hostIp}", inner)
{
    /// <summary>The address the bind was for.</summary>
    public IPAddress HostIp { get; } = hostIp;
    /// <summary>The port.</summary>
    public int Port { get; } = port;
}
