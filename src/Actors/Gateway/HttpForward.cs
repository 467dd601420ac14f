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
        // a pod's machine that vanishes (power, network) is noticed within about 25 s instead of never
        tcp.Client.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        tcp.Client.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 10);
        tcp.Client.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 5);
        tcp.Client.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
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
        await using var connection = stream;

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
        // the shell's stdin failed (or went past a limit): the process would wait for the rest for ever, so both
        // connections end, as they would had the shell been talking to the pod's node itself
        var watch = upload.ContinueWith(t =>
        {
            if (!t.IsFaulted || done.IsCancellationRequested) return;
            ctx.Abort();
            stream.Dispose();
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        try
        {
            var reader = new ResponseReader(stream);
            (int Status, Dictionary<string, string> Headers)? answer;
            try { answer = await reader.ReadHeadAsync(ct); }
            catch (Exception e) when (e is IOException or InvalidDataException or ObjectDisposedException && !ct.IsCancellationRequested)
            {
                throw new UnreachableException($"its command API {api} did not answer: {e.Message}", e);
            }
            var (status, headers) = answer ?? throw new UnreachableException($"its command API {api} closed the connection without an answer");
            ctx.Response.StatusCode = status;
            if (headers.TryGetValue("content-type", out var type)) ctx.Response.ContentType = type;
            await ctx.Response.StartAsync(ct);
            // a body cut short (the pod's node died mid-stream) must not look like one that ended
            if (!await reader.CopyBodyAsync(headers, ctx.Response.Body, ct)) ctx.Abort();
        }
        catch (IOException) when (ctx.Response.HasStarted)
        {
            ctx.Abort();
        }
        finally
        {
            done.Cancel();
            try { await upload; }
            catch (Exception e) when (e is not OutOfMemoryException) { /* the shell's side ended; its answer is already on its way */ }
            await watch; // ends with the upload: nothing touches the request after it is over
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

        /// <summary>The body to <paramref name="to"/> by its framing; false when the connection ended before the framing did.</summary>
        public async Task<bool> CopyBodyAsync(Dictionary<string, string> headers, Stream to, CancellationToken ct)
        {
            if (headers.TryGetValue("transfer-encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            {
                while (await ReadLineAsync(ct) is { } sizeLine)
                {
                    if (!long.TryParse(sizeLine.Split(';')[0].Trim(), System.Globalization.NumberStyles.HexNumber, null, out var size))
                        throw new IOException($"not a chunk size: {sizeLine}");
                    if (size == 0) return true;
                    if (await CopyAsync(size, to, ct) < size) return false;
                    await ReadLineAsync(ct); // the chunk's CRLF
                }
                return false;
            }
            if (headers.TryGetValue("content-length", out var cl) && long.TryParse(cl, out var length))
                return await CopyAsync(length, to, ct) == length;
            await CopyAsync(long.MaxValue, to, ct); // Connection: close delimits it
            return true;
        }

        /// <summary>Up to <paramref name="count"/> bytes on, each piece flushed as it comes; how many there were.</summary>
        async Task<long> CopyAsync(long count, Stream to, CancellationToken ct)
        {
            long copied = 0;
            while (copied < count)
            {
                if (_start == _end && !await FillAsync(ct)) break;
                var n = (int)Math.Min(count - copied, _end - _start);
                await to.WriteAsync(_buffer.AsMemory(_start, n), ct);
                await to.FlushAsync(ct);
                _start += n;
                copied += n;
            }
            return copied;
        }
    }
}
