using System.Net;
using System.Net.Sockets;
using System.Text;
using Troupe.Api.Protocol;

namespace Troupe.Shell.Connection;

/// <summary>
/// The client of a node's command API: HTTP/1.1 over the local node's unix socket (found through
/// <c>$TROUPE_HOME/node.json</c>), or over TCP to the API addresses of <c>--cluster</c> / <c>TROUPE_CLUSTER</c>,
/// tried in order, over TLS with the cluster's CA and bearer token when the shell has them (<see cref="RemoteTls"/>).
/// One connection per request (<c>Connection: close</c>): a one-shot command sends one or two.
/// Every failure to reach a node is a <see cref="NoNodeException"/> (exit 3).
/// </summary>
public sealed class NodeClient
{
    readonly string _home;
    readonly IReadOnlyList<string> _tcp;
    readonly Func<CancellationToken> _cancellation;
    readonly RemoteTls? _tls;

    NodeClient(string home, IReadOnlyList<string> tcp, Func<CancellationToken> cancellation, RemoteTls? tls)
    {
        _home = home;
        _tcp = tcp;
        _cancellation = cancellation;
        _tls = tls;
    }

    public static NodeClient For(ShellContext ctx)
    {
        var cluster = ctx.Cluster ?? ctx.Env("TROUPE_CLUSTER");
        var tcp = string.IsNullOrWhiteSpace(cluster)
            ? []
            : cluster.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new NodeClient(ctx.Home, tcp, () => ctx.Cancellation, tcp.Length > 0 ? RemoteTls.From(ctx.Env, ctx.Home) : null);
    }

    /// <summary>How long a request may wait for its answer (the node answers within its own ask timeout).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(150);

    /// <summary>
    /// Sends one message, returns the node's reply. A read (<see cref="GetObjects"/>) whose connection is lost is
    /// asked once more, of the addresses in order again: a node taking over from a lost one may drop a connection.
    /// </summary>
    public ITroupeMessage Send(ITroupeMessage message, TimeSpan? timeout = null)
    {
        if (message is not GetObjects) return SendOnce(message, timeout);
        try { return SendOnce(message, timeout); }
        catch (NoNodeException)
        {
            Thread.Sleep(300);
            return SendOnce(message, timeout);
        }
    }

    ITroupeMessage SendOnce(ITroupeMessage message, TimeSpan? timeout)
    {
        using var x = Open(timeout ?? Timeout);
        try
        {
            x.Send("POST", "/v1/messages", ProtocolJson.SerializeToUtf8(message), "application/json");
            x.ReadHead();
            var body = x.ReadBody();
            if (x.Status != 200 && body.Length == 0) throw ShellException.User($"the node answered HTTP {x.Status}");
            try
            {
                return ProtocolJson.Deserialize(body);
            }
            catch (System.Text.Json.JsonException e)
            {
                throw ShellException.User($"the node sent an answer the shell does not understand (HTTP {x.Status}): {OneLine(e.Message)}");
            }
        }
        catch (Exception e) when ((e as SocketException ?? e.InnerException as SocketException)?.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            throw ShellException.User($"the Troupe node did not answer {message.GetType().Name} within {(timeout ?? Timeout).TotalSeconds:0} s");
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            throw Lost(e);
        }
    }

    /// <summary>
    /// <c>GET</c> a text stream (logs) and copies it to <paramref name="output"/> as it arrives. Returns the HTTP
    /// status and, for a failure, the body (the node's reason).
    /// </summary>
    public (int Status, string? Error) Stream(string target, TextWriter output)
    {
        using var x = Open(System.Threading.Timeout.InfiniteTimeSpan);
        try
        {
            x.Send("GET", target, default, null);
            x.ReadHead();
            if (x.Status != 200) return (x.Status, Encoding.UTF8.GetString(x.ReadBody()).Trim());
            var decoder = Encoding.UTF8.GetDecoder();
            var chars = new char[64 * 1024 + 8];
            while (true)
            {
                var piece = x.ReadBodyPiece();
                if (piece.Count == 0) break;
                var offset = 0;
                while (offset < piece.Count)
                {
                    var n = Math.Min(piece.Count - offset, 64 * 1024);
                    var c = decoder.GetChars(piece.Array!, piece.Offset + offset, n, chars, 0, flush: false);
                    output.Write(chars, 0, c);
                    offset += n;
                }
                output.Flush();
            }
            return (200, null);
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            throw Lost(e);
        }
    }

    /// <summary>
    /// <c>POST</c>s <paramref name="body"/> (an upload: a build context) with <paramref name="request"/> in the
    /// <c>Troupe-Request</c> header, and hands each message of the newline-separated reply to <paramref name="onMessage"/>
    /// as it arrives. Returns the last message (the outcome).
    /// </summary>
    public ITroupeMessage Upload(string target, ITroupeMessage request, Stream body, Action<ITroupeMessage> onMessage)
    {
        using var x = Open(System.Threading.Timeout.InfiniteTimeSpan);
        try
        {
            var header = Convert.ToBase64String(ProtocolJson.SerializeToUtf8(request));
            x.Send("POST", target, body, body.Length - body.Position, "application/x-tar", [("Troupe-Request", header)]);
            x.ReadHead();
            ITroupeMessage? last = null;
            var line = new MemoryStream();
            void Flush()
            {
                if (line.Length == 0) return;
                try { last = ProtocolJson.Deserialize(line.ToArray()); }
                catch (System.Text.Json.JsonException e)
                {
                    throw ShellException.User($"the node sent an answer the shell does not understand (HTTP {x.Status}): {OneLine(e.Message)}");
                }
                line.SetLength(0);
                onMessage(last);
            }
            while (x.ReadBodyPiece() is { Count: > 0 } piece)
            {
                var span = piece.AsSpan();
                for (int nl; (nl = span.IndexOf((byte)'\n')) >= 0; span = span[(nl + 1)..])
                {
                    line.Write(span[..nl]);
                    Flush();
                }
                line.Write(span);
            }
            Flush();
            return last ?? throw ShellException.User($"the node ended its answer without a result (HTTP {x.Status})");
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            throw Lost(e);
        }
    }

    /// <summary>
    /// <c>POST /v1/exec</c>: <paramref name="stdin"/> (when given) is sent as it is read, on its own thread, while the
    /// output frames go to <paramref name="onOutput"/> (stream 1 stdout, 2 stderr). Returns the outcome frame's message.
    /// </summary>
    public ITroupeMessage Exec(ExecInContainer request, System.IO.Stream? stdin, Action<byte, ReadOnlySpan<byte>> onOutput)
    {
        using var x = Open(System.Threading.Timeout.InfiniteTimeSpan);
        try
        {
            var header = Convert.ToBase64String(ProtocolJson.SerializeToUtf8(request));
            if (stdin is null) x.Send("POST", "/v1/exec", System.IO.Stream.Null, 0, "application/octet-stream", [("Troupe-Request", header)]);
            else
            {
                x.SendChunkedHead("POST", "/v1/exec", "application/octet-stream", [("Troupe-Request", header)]);
                var pump = new Thread(() =>
                {
                    var buf = new byte[16 << 10];
                    try
                    {
                        for (int n; (n = stdin.Read(buf, 0, buf.Length)) > 0;) x.WriteChunk(buf.AsSpan(0, n));
                        x.EndChunks();
                    }
                    catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException) { }
                }) { IsBackground = true, Name = "exec-stdin" };
                pump.Start();
            }
            x.ReadHead();
            if (x.Status != 200) throw ShellException.User($"the node refused the exec (HTTP {x.Status}): {OneLine(Encoding.UTF8.GetString(x.ReadBody()))}");
            var pending = new MemoryStream();
            ITroupeMessage? outcome = null;
            while (outcome is null && x.ReadBodyPiece() is { Count: > 0 } piece)
            {
                pending.Write(piece.AsSpan());
                var data = pending.GetBuffer().AsSpan(0, (int)pending.Length);
                var used = 0;
                while (data.Length - used >= 8)
                {
                    var size = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(data.Slice(used + 4, 4));
                    if (data.Length - used - 8 < size) break;
                    var stream = data[used];
                    var payload = data.Slice(used + 8, size);
                    if (stream == 3) outcome = ProtocolJson.Deserialize(payload.ToArray());
                    else onOutput(stream, payload);
                    used += 8 + size;
                }
                var rest = data[used..].ToArray();
                pending.SetLength(0);
                pending.Write(rest);
            }
            return outcome ?? throw ShellException.User("the node ended the exec without its exit code");
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            throw Lost(e);
        }
    }

    /// <summary>
    /// <c>POST /v1/attach</c>: <paramref name="stdin"/> is sent as it is read until it ends; returns the node's answer
    /// (<c>CommandAccepted</c> once it was delivered, or <c>CommandRejected</c>). Blocks while stdin has nothing to read.
    /// </summary>
    public ITroupeMessage Attach(AttachToContainer request, System.IO.Stream stdin)
    {
        using var x = Open(System.Threading.Timeout.InfiniteTimeSpan);
        try
        {
            var header = Convert.ToBase64String(ProtocolJson.SerializeToUtf8(request));
            x.SendChunkedHead("POST", "/v1/attach", "application/octet-stream", [("Troupe-Request", header)]);
            var buf = new byte[16 << 10];
            for (int n; (n = stdin.Read(buf, 0, buf.Length)) > 0;) x.WriteChunk(buf.AsSpan(0, n));
            x.EndChunks();
            x.ReadHead();
            var body = x.ReadBody();
            try { return ProtocolJson.Deserialize(body); }
            catch (System.Text.Json.JsonException)
            {
                return CommandRejected.Invalid($"the node answered HTTP {x.Status}: {OneLine(Encoding.UTF8.GetString(body))}");
            }
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            throw Lost(e);
        }
    }

    /// <summary><c>GET</c>s a binary stream (an image tarball) into <paramref name="output"/>. Returns the status and, for a failure, the node's reason.</summary>
    public (int Status, string? Error) Download(string target, Stream output)
    {
        using var x = Open(System.Threading.Timeout.InfiniteTimeSpan);
        try
        {
            x.Send("GET", target, default, null);
            x.ReadHead();
            if (x.Status != 200) return (x.Status, Encoding.UTF8.GetString(x.ReadBody()).Trim());
            while (x.ReadBodyPiece() is { Count: > 0 } piece) output.Write(piece.AsSpan());
            return (200, null);
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            throw Lost(e);
        }
    }

    /// <summary>A broken connection: cancelled by the user, or lost.</summary>
    Exception Lost(Exception e) => _cancellation().IsCancellationRequested
        ? new OperationCanceledException("cancelled", e)
        : e is ObjectDisposedException ? e : new NoNodeException($"lost the connection to the Troupe node: {OneLine(e.Message)}");

    HttpExchange Open(TimeSpan timeout)
    {
        var cancel = _cancellation();
        cancel.ThrowIfCancellationRequested();
        var ms = timeout == System.Threading.Timeout.InfiniteTimeSpan ? 0 : (int)Math.Min(int.MaxValue, timeout.TotalMilliseconds);
        if (_tcp.Count > 0)
        {
            var errors = new List<string>();
            foreach (var address in _tcp)
            {
                Socket tcp;
                string host;
                try { tcp = ConnectTcp(address, ms, out host); }
                catch (SocketException e) { errors.Add($"{address}: {OneLine(e.Message)}"); continue; }
                // no CA, no TLS: and then no token either, which would cross the network in the clear
                if (_tls?.CaPath is null)
                    return new HttpExchange(tcp, cancel, silence: "is its API TLS? TROUPE_CA and TROUPE_TOKEN, or ca.pem and token in $TROUPE_HOME, make the shell speak TLS");
                try { return new HttpExchange(tcp, cancel, _tls.Wrap(tcp, address, host, TimeSpan.FromSeconds(15)), _tls.Authorization); }
                catch
                {
                    tcp.Dispose();
                    throw;
                }
            }
            throw new NoNodeException($"no Troupe node answers at {string.Join(", ", _tcp)} ({string.Join("; ", errors)})");
        }

        var node = NodeFile.Read(_home) ?? throw NoLocalNode();
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            s.Connect(new UnixDomainSocketEndPoint(node.Socket));
        }
        catch (SocketException)
        {
            s.Dispose();
            throw NoLocalNode();
        }
        s.ReceiveTimeout = ms;
        return new HttpExchange(s, cancel);
    }

    static Socket ConnectTcp(string address, int timeoutMs, out string host)
    {
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), out var port))
            throw ShellException.Usage($"--cluster: \"{address}\" is not host:port");
        host = address[..colon].Trim('[', ']');
        var s = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (IPAddress.TryParse(host, out var ip)) s.Connect(new IPEndPoint(ip, port));
            else s.Connect(host, port);
        }
        catch
        {
            s.Dispose();
            throw;
        }
        s.ReceiveTimeout = timeoutMs;
        return s;
    }

    NoNodeException NoLocalNode() =>
        new($"no Troupe node is running for TROUPE_HOME={_home} (start one with: troupe up)");

    internal static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();
}
