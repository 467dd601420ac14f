using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Microsoft.AspNetCore.Http;
using Troupe.Actors.Hosting;

namespace Troupe.Actors.Gateway;

/// <summary>
/// Hands one streaming request (<c>exec</c>, <c>attach</c>, <c>logs</c>) to the node that runs its pod, over that
/// node's command API (<c>--api-port</c>; HTTPS and the cluster's token with TLS), and streams the answer back as
/// it comes: the node the shell talks to need not be the pod's. HTTP/1.1 on a connection of its own, written by
/// hand because HttpClient sends a whole request body before it reads the response, and <c>exec -i</c> needs both
/// ways at once (the request body is the process's stdin while its output comes back).
/// </summary>
public static class HttpForward
{
    /// <summary>Set on a forwarded request: the node that gets it answers for its own pods only, never forwards again.</summary>
    public const string ForwardedHeader = "Troupe-Forwarded";

    /// <summary>Why the pod's node could not be asked (nothing was written to the response yet).</summary>
    public sealed class UnreachableException(string message, Exception? inner = null) : Exception(message, inner);

    /// <summary>
    /// Sends <paramref name="ctx"/>'s request (method, path, query, <c>Troupe-Request</c> header, and with
    /// <paramref name="withBody"/> its body, chunked as it arrives) to <paramref name="api"/> (<c>host:port</c>) and
    /// copies the status, content type and body of the answer to <paramref name="ctx"/>'s response, flushing as it
    /// goes. Throws <see cref="UnreachableException"/> when the node cannot be reached or answers nothing.
    /// </summary>
    public static async Task ForwardAsync(HttpContext ctx, string api, TlsSettings? tls, bool withBody)
    {
        var ct = ctx.RequestAborted;
        var sep = api.LastIndexOf(':');
        if (sep <= 0 || !int.TryParse(api[(sep + 1)..], out var port)) throw new UnreachableException($"{api} is not host:port");
        var host = api[..sep].Trim('[', ']');

        using var tcp = new TcpClient { NoDelay = true };
        Stream stream;
        using (var connect = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            connect.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                await tcp.ConnectAsync(host, port, connect.Token);
                stream = tcp.GetStream();
                if (tls is not null)
                {
                    var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                    await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                    {
                        TargetHost = host,
                        RemoteCertificateValidationCallback = tls.ValidateServer,
                    }, connect.Token);
                    stream = ssl;
                }
            }
            catch (Exception e) when (e is SocketException or IOException or AuthenticationException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                throw new UnreachableException($"its command API {api} does not answer: {(e is OperationCanceledException ? "no connection within 5 s" : e.Message)}", e);
            }
        }
        await using var _ = stream;

        var head = new StringBuilder()
            .Append(ctx.Request.Method).Append(' ').Append(ctx.Request.Path.ToUriComponent()).Append(ctx.Request.QueryString.ToUriComponent()).Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(api).Append("\r\n")
            .Append("Connection: close\r\n")
            .Append(ForwardedHeader).Append(": 1\r\n");
        if (ctx.Request.Headers["Troupe-Request"].FirstOrDefault() is { } request) head.Append("Troupe-Request: ").Append(request).Append("\r\n");
        if (tls is not null) head.Append("Authorization: Bearer ").Append(tls.Token).Append("\r\n");
        head.Append(withBody ? "Transfer-Encoding: chunked\r\n" : "Content-Length: 0\r\n").Append("\r\n");
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), ct);
            await stream.FlushAsync(ct);
        }
        catch (IOException e) { throw new UnreachableException($"its command API {api} closed the connection: {e.Message}", e); }

        using var done = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var upload = withBody ? UploadAsync(ctx.Request.Body, stream, done.Token) : Task.CompletedTask;
        try
        {
            var reader = new ResponseReader(stream);
            var (status, headers) = await reader.ReadHeadAsync(ct)
                ?? throw new UnreachableException($"its command API {api} closed the connection without an answer");
            ctx.Response.StatusCode = status;
            if (headers.TryGetValue("content-type", out var type)) ctx.Response.ContentType = type;
            await ctx.Response.StartAsync(ct);
            await reader.CopyBodyAsync(headers, ctx.Response.Body, ct);
        }
        finally
        {
            done.Cancel();
            try { await upload; }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException) { }
        }
    }

    /// <summary>The request body to the node as HTTP/1.1 chunks, each sent as it arrives, then the last chunk.</summary>
    static async Task UploadAsync(Stream body, Stream to, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = await body.ReadAsync(buffer, ct)) > 0)
        {
            await to.WriteAsync(Encoding.ASCII.GetBytes($"{n:x}\r\n"), ct);
            await to.WriteAsync(buffer.AsMemory(0, n), ct);
            await to.WriteAsync("\r\n"u8.ToArray(), ct);
            await to.FlushAsync(ct);
        }
        await to.WriteAsync("0\r\n\r\n"u8.ToArray(), ct);
        await to.FlushAsync(ct);
    }

    /// <summary>An HTTP/1.1 response read off a stream: the head, then the body by its framing.</summary>
    sealed class ResponseReader(Stream stream)
    {
        readonly byte[] _buffer = new byte[16 * 1024];
        int _start, _end;

        async Task<bool> FillAsync(CancellationToken ct)
        {
            if (_start == _end) _start = _end = 0;
            if (_end == _buffer.Length)
            {
                if (_start == 0) throw new InvalidDataException("a response line is longer than 16 KiB");
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            var n = await stream.ReadAsync(_buffer.AsMemory(_end), ct);
            _end += n;
            return n > 0;
        }

        async Task<string?> ReadLineAsync(CancellationToken ct)
        {
            while (true)
            {
                var at = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (at >= 0)
                {
                    var line = Encoding.ASCII.GetString(_buffer, _start, at - _start).TrimEnd('\r');
                    _start = at + 1;
                    return line;
                }
                if (!await FillAsync(ct)) return null;
            }
        }

        public async Task<(int Status, Dictionary<string, string> Headers)?> ReadHeadAsync(CancellationToken ct)
        {
            var statusLine = await ReadLineAsync(ct);
            if (statusLine is null) return null;
            var parts = statusLine.Split(' ', 3);
            if (parts.Length < 2 || !int.TryParse(parts[1], out var status)) throw new InvalidDataException($"not an HTTP status line: {statusLine}");
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            while (await ReadLineAsync(ct) is { Length: > 0 } line)
            {
                var colon = line.IndexOf(':');
                if (colon > 0) headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
            return (status, headers);
        }

        public async Task CopyBodyAsync(Dictionary<string, string> headers, Stream to, CancellationToken ct)
        {
            if (headers.TryGetValue("transfer-encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            {
                while (await ReadLineAsync(ct) is { } sizeLine)
                {
                    var size = Convert.ToInt64(sizeLine.Split(';')[0].Trim(), 16);
                    if (size == 0) return;
                    await CopyAsync(size, to, ct);
                    await ReadLineAsync(ct); // the chunk's CRLF
                }
                return;
            }
            if (headers.TryGetValue("content-length", out var cl) && long.TryParse(cl, out var length))
            {
                await CopyAsync(length, to, ct);
                return;
            }
            await CopyAsync(long.MaxValue, to, ct); // Connection: close delimits it
        }

        async Task CopyAsync(long count, Stream to, CancellationToken ct)
        {
            while (count > 0)
            {
                if (_start == _end && !await FillAsync(ct)) return;
                var n = (int)Math.Min(count, _end - _start);
                await to.WriteAsync(_buffer.AsMemory(_start, n), ct);
                await to.FlushAsync(ct);
                _start += n;
                count -= n;
            }
        }
    }
}
