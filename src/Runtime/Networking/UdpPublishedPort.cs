using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Troupe.Runtime.Networking;

/// <summary>
/// One published UDP port (<c>-p 5353:53/udp</c>): a socket on the host; each client address gets its own socket
/// towards the pod (so replies find their way back), forgotten after <see cref="IdleTimeout"/> without traffic, as
/// a NAT table would. Disposing closes everything at once.
/// </summary>
public sealed class UdpPublishedPort : IAsyncDisposable
{
    /// <summary>How long a client's flow lives without a datagram either way.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(60);

    private readonly Socket _listener;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _cts = new();
    private readonly ConcurrentDictionary<IPEndPoint, Flow> _flows = new();
    private readonly Task _loop;
    private int _disposed;

    private sealed class Flow(Socket upstream)
    {
        public readonly Socket Upstream = upstream;
        public long LastTicks = Environment.TickCount64;
    }

    /// <summary>The address and port listened on.</summary>
    public IPEndPoint HostEndPoint { get; }

    private UdpPublishedPort(Socket listener, IPEndPoint target)
    {
        _listener = listener;
        _target = target;
        HostEndPoint = (IPEndPoint)listener.LocalEndPoint!;
        _loop = Task.Run(ReceiveLoopAsync);
    }

    /// <summary>Bind first: a taken port throws <see cref="PortInUseException"/> and leaves nothing behind.</summary>
    public static UdpPublishedPort Start(IPAddress hostIp, int hostPort, IPEndPoint target)
    {
        var s = new Socket(hostIp.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try { s.Bind(new IPEndPoint(hostIp, hostPort)); }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            s.Dispose();
            throw new PortInUseException(hostIp, hostPort, e);
        }
        catch
        {
            s.Dispose();
            throw;
        }
        return new UdpPublishedPort(s, target);
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[65535];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_cts.IsCancellationRequested)
        {
            SocketReceiveFromResult r;
            try { r = await _listener.ReceiveFromAsync(buffer, SocketFlags.None, any, _cts.Token); }
            catch (Exception) when (_cts.IsCancellationRequested) { return; }
            catch (SocketException) { continue; } // an ICMP error from an earlier send: not this datagram's
            catch (ObjectDisposedException) { return; }
            var client = (IPEndPoint)r.RemoteEndPoint;
            Expire();
            if (!_flows.TryGetValue(client, out var flow))
            {
                var up = new Socket(_target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                try { up.Connect(_target); }
                catch (SocketException) { up.Dispose(); continue; }
                flow = _flows[client] = new Flow(up);
                _ = RepliesAsync(client, flow);
            }
            flow.LastTicks = Environment.TickCount64;
            try { await flow.Upstream.SendAsync(buffer.AsMemory(0, r.ReceivedBytes), SocketFlags.None, _cts.Token); }
            catch (Exception) when (!_cts.IsCancellationRequested) { Forget(client, flow); }
            catch (Exception) { return; }
        }
    }

    private async Task RepliesAsync(IPEndPoint client, Flow flow)
    {
        var buffer = new byte[65535];
        try
        {
            while (!_cts.IsCancellationRequested)
            {
                var n = await flow.Upstream.ReceiveAsync(buffer, SocketFlags.None, _cts.Token);
                flow.LastTicks = Environment.TickCount64;
                await _listener.SendToAsync(buffer.AsMemory(0, n), SocketFlags.None, client, _cts.Token);
            }
        }
        catch (Exception) { Forget(client, flow); } // refused (nothing listens in the pod), closed or disposed
    }

    private void Expire()
    {
        var now = Environment.TickCount64;
        foreach (var (client, flow) in _flows)
            if (now - Interlocked.Read(ref flow.LastTicks) > IdleTimeout.TotalMilliseconds) Forget(client, flow);
    }

    private void Forget(IPEndPoint client, Flow flow)
    {
        if (_flows.TryRemove(new KeyValuePair<IPEndPoint, Flow>(client, flow))) flow.Upstream.Dispose();
    }

    /// <summary>Stop listening and drop every flow. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _cts.Cancel();
        _listener.Dispose();
        try { await _loop; } catch (Exception) { }
        foreach (var (c, f) in _flows) Forget(c, f);
    }
}
