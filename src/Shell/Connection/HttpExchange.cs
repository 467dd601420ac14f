using System.Net.Sockets;
using System.Text;

namespace Troupe.Shell.Connection;

/// <summary>
/// One HTTP/1.1 request and its response over a connected socket (unix, TCP or TLS over TCP), written by hand: HttpClient and
/// SocketsHttpHandler cost more start-up time than the whole command should take. Understands Content-Length,
/// chunked transfer encoding and read-to-close bodies; that is all the node's Kestrel sends.
/// INTERNAL API.
/// </summary>
internal sealed class HttpExchange : IDisposable
{
    readonly Socket _socket;
    readonly Stream _stream;
    readonly string? _authorization;
    readonly string? _silence;
    readonly byte[] _buf = new byte[64 * 1024];
    int _pos, _len;
    bool _eof;

    long _remaining;       // bytes left in the body (Content-Length) or in the current chunk
    bool _chunked, _toClose, _done;

    public int Status { get; private set; }

    readonly CancellationTokenRegistration _cancel;

    /// <summary>
    /// Over <paramref name="socket"/>, or over <paramref name="stream"/> on it (TLS); <paramref name="authorization"/>
    /// goes with every request. Cancelling <paramref name="cancel"/> closes the socket, ending a blocked read (Ctrl-C in
    /// <c>troupe shell</c>). <paramref name="silence"/> says what a connection closed without an answer (or answered
    /// with something other than HTTP) may mean.
    /// </summary>
    public HttpExchange(Socket socket, CancellationToken cancel = default, Stream? stream = null, string? authorization = null, string? silence = null)
    {
        _socket = socket;
        _cancel = cancel.Register(socket.Dispose);
        _stream = stream ?? new NetworkStream(socket, ownsSocket: false);
        _authorization = authorization;
        _silence = silence;
    }

    public void Send(string method, string target, ReadOnlySpan<byte> body, string? contentType)
    {
        var headBytes = Head(method, target, body.Length, contentType, null);
        var all = new byte[headBytes.Length + body.Length];
        headBytes.CopyTo(all, 0);
        body.CopyTo(all.AsSpan(headBytes.Length));
        _stream.Write(all);
    }

    /// <summary>Sends a request whose body is <paramref name="body"/> (read to its end, <paramref name="length"/> bytes), with extra headers.</summary>
    public void Send(string method, string target, Stream body, long length, string contentType, IReadOnlyList<(string Name, string Value)> headers)
    {
        var head = Head(method, target, length, contentType, headers);
        _stream.Write(head);
        body.CopyTo(_stream, 64 * 1024);
    }

    /// <summary>
    /// Sends the head of a request whose body follows in chunks (<see cref="WriteChunk"/>, then <see cref="EndChunks"/>),
    /// written from another thread while this one reads the response: stdin of an exec.
    /// </summary>
    public void SendChunkedHead(string method, string target, string contentType, IReadOnlyList<(string Name, string Value)> headers)
    {
        var head = Head(method, target, -1, contentType, headers);
        _stream.Write(head);
    }

    public void WriteChunk(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return;
        var prefix = Encoding.ASCII.GetBytes($"{data.Length:x}\r\n");
        var all = new byte[prefix.Length + data.Length + 2];
        prefix.CopyTo(all, 0);
        data.CopyTo(all.AsSpan(prefix.Length));
        all[^2] = (byte)'\r';
        all[^1] = (byte)'\n';
        _stream.Write(all);
    }

    public void EndChunks()
    {
        var end = "0\r\n\r\n"u8.ToArray();
        _stream.Write(end);
    }

    /// <summary>The head; a negative <paramref name="length"/> announces a chunked body.</summary>
    byte[] Head(string method, string target, long length, string? contentType, IReadOnlyList<(string Name, string Value)>? headers)
    {
        var head = new StringBuilder(160)
            .Append(method).Append(' ').Append(target).Append(" HTTP/1.1\r\nHost: troupe\r\nConnection: close\r\n");
        if (contentType is not null) head.Append("Content-Type: ").Append(contentType).Append("\r\n");
        if (length < 0) head.Append("Transfer-Encoding: chunked\r\n");
        else if (method == "POST" || length > 0) head.Append("Content-Length: ").Append(length).Append("\r\n");
        if (_authorization is not null) head.Append("Authorization: ").Append(_authorization).Append("\r\n");
        foreach (var (name, value) in headers ?? []) head.Append(name).Append(": ").Append(value).Append("\r\n");
        head.Append("\r\n");
        return Encoding.ASCII.GetBytes(head.ToString());
    }

    /// <summary>Reads the status line and headers.</summary>
    public void ReadHead()
    {
        var hint = _silence is null ? "" : $" ({_silence})";
        var status = ReadLine() ?? throw new IOException("the node closed the connection without answering" + hint);
        // HTTP/1.1 200 OK
        var sp = status.IndexOf(' ');
        if (sp < 0 || !int.TryParse(status.AsSpan(sp + 1, Math.Min(3, status.Length - sp - 1)), out var code))
            // a TLS server may answer plain HTTP with an alert record (0x15) rather than silence
            throw new IOException(status.Length > 0 && status[0] is '\x15' or '\x16'
                ? "the node answered with TLS, not HTTP" + hint
                : $"malformed HTTP status line \"{status}\"" + hint);
        Status = code;
        long? length = null;
        while (true)
        {
            var line = ReadLine() ?? throw new IOException("the node closed the connection in the middle of its headers");
            if (line.Length == 0) break;
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            var name = line.AsSpan(0, colon).Trim();
            var value = line.AsSpan(colon + 1).Trim();
            if (name.Equals("content-length", StringComparison.OrdinalIgnoreCase) && long.TryParse(value, out var l)) length = l;
            else if (name.Equals("transfer-encoding", StringComparison.OrdinalIgnoreCase) &&
                     value.Contains("chunked", StringComparison.OrdinalIgnoreCase)) _chunked = true;
        }
        if (_chunked) _remaining = 0;
        else if (length is { } n) { _remaining = n; _done = n == 0; }
        else if (code is 204 or 304) _done = true;
        else _toClose = true;
        // a TLS API wants the cluster's token: its one line says which way it was wrong
        if (code == 401)
            throw ShellException.User($"the node refused the request (HTTP 401): {NodeClient.OneLine(Encoding.UTF8.GetString(ReadBody()))}");
    }

    /// <summary>The next piece of the body (decoded), or an empty segment at its end.</summary>
    public ArraySegment<byte> ReadBodyPiece()
    {
        if (_done) return ArraySegment<byte>.Empty;
        if (_toClose)
        {
            if (_pos == _len && !Fill()) { _done = true; return ArraySegment<byte>.Empty; }
            var seg = new ArraySegment<byte>(_buf, _pos, _len - _pos);
            _pos = _len;
            return seg;
        }
        if (_chunked && _remaining == 0)
        {
            var sizeLine = ReadLine() ?? throw new IOException("the node closed the connection in the middle of a chunk");
            if (sizeLine.Length == 0) sizeLine = ReadLine() ?? throw new IOException("the node closed the connection in the middle of a chunk");
            var semi = sizeLine.IndexOf(';');
            var hex = (semi >= 0 ? sizeLine[..semi] : sizeLine).Trim();
            if (!long.TryParse(hex, System.Globalization.NumberStyles.HexNumber, null, out var size))
                throw new IOException($"malformed chunk size \"{sizeLine}\"");
            if (size == 0)
            {
                while (ReadLine() is { Length: > 0 }) { } // trailers
                _done = true;
                return ArraySegment<byte>.Empty;
            }
            _remaining = size;
        }
        if (_pos == _len && !Fill()) throw new IOException("the node closed the connection in the middle of its answer");
        var take = (int)Math.Min(_remaining, _len - _pos);
        var piece = new ArraySegment<byte>(_buf, _pos, take);
        _pos += take;
        _remaining -= take;
        if (!_chunked && _remaining == 0) _done = true;
        return piece;
    }

    /// <summary>The whole body.</summary>
    public byte[] ReadBody()
    {
        using var ms = new MemoryStream();
        while (true)
        {
            var p = ReadBodyPiece();
            if (p.Count == 0) return ms.ToArray();
            ms.Write(p.AsSpan());
        }
    }

    string? ReadLine()
    {
        var sb = (StringBuilder?)null;
        while (true)
        {
            var idx = Array.IndexOf(_buf, (byte)'\n', _pos, _len - _pos);
            if (idx >= 0)
            {
                var end = idx > _pos && _buf[idx - 1] == '\r' ? idx - 1 : idx;
                var part = Encoding.ASCII.GetString(_buf, _pos, end - _pos);
                _pos = idx + 1;
                return sb is null ? part : sb.Append(part).ToString();
            }
            (sb ??= new StringBuilder()).Append(Encoding.ASCII.GetString(_buf, _pos, _len - _pos));
            _pos = _len;
            if (!Fill()) return sb.Length > 0 ? sb.ToString() : null;
        }
    }

    bool Fill()
    {
        if (_eof) return false;
        if (_pos == _len) _pos = _len = 0;
        if (_len == _buf.Length)
        {
            Buffer.BlockCopy(_buf, _pos, _buf, 0, _len - _pos);
            _len -= _pos;
            _pos = 0;
        }
        var n = _stream.Read(_buf, _len, _buf.Length - _len);
        if (n == 0) { _eof = true; return false; }
        _len += n;
        return true;
    }

    public void Dispose()
    {
        _cancel.Dispose();
        _stream.Dispose();
        _socket.Dispose();
    }
}
