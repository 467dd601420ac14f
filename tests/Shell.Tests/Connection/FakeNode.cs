using System.Net.Sockets;
using System.Text;
using Troupe.Api.Protocol;

namespace Troupe.Shell.Tests.Connection;

/// <summary>
/// A node's HTTP API on a unix socket in a TROUPE_HOME, answering as the handler says (chunked, as Kestrel
/// sends it), with a node.json naming this process. Records what it was sent.
/// </summary>
public sealed class FakeNode : IDisposable
{
    readonly Socket _listener;
    readonly CancellationTokenSource _stop = new();
    readonly Task _loop;

    public List<ITroupeMessage> Received { get; } = [];
    public List<string> Gets { get; } = [];

    /// <summary>Answers a message.</summary>
    public Func<ITroupeMessage, ITroupeMessage> Handler { get; set; } = m => m is Ping ? new Pong("fake", "9.9.9", "127.0.0.1:1", "fake") : CommandRejected.Invalid("unexpected");

    /// <summary>Answers a GET: status and the body's pieces (each sent as one chunk).</summary>
    public Func<string, (int Status, string[] Pieces)> GetHandler { get; set; } = _ => (404, ["not found"]);

    public FakeNode(string home)
    {
        var socket = Path.Combine(home, "troupe.sock");
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(socket));
        _listener.Listen(16);
        File.WriteAllText(Path.Combine(home, "node.json"),
            $$"""{"pid":{{Environment.ProcessId}},"address":"127.0.0.1:1","api":null,"socket":"{{socket}}","name":"fake","driver":"fake"}""");
        _loop = Task.Run(Loop);
    }

    async Task Loop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket s;
            try { s = await _listener.AcceptAsync(_stop.Token); }
            catch (Exception) { return; }
            try { Serve(s); }
            catch (Exception) { }
            finally { s.Dispose(); }
        }
    }

    void Serve(Socket s)
    {
        using var stream = new NetworkStream(s);
        var head = new StringBuilder();
        while (!head.ToString().EndsWith("\r\n\r\n"))
        {
            var b = stream.ReadByte();
            if (b < 0) return;
            head.Append((char)b);
        }
        var lines = head.ToString().Split("\r\n");
        var parts = lines[0].Split(' ');
        var length = lines.Where(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            .Select(l => int.Parse(l[15..].Trim())).FirstOrDefault();
        var body = new byte[length];
        var read = 0;
        while (read < length) read += stream.Read(body, read, length - read);

        int status;
        string[] pieces;
        if (parts[0] == "POST")
        {
            var m = ProtocolJson.Deserialize(body);
            lock (Received) Received.Add(m);
            status = 200;
            var json = ProtocolJson.Serialize(Handler(m));
            pieces = [json[..(json.Length / 2)], json[(json.Length / 2)..]];
        }
        else
        {
            lock (Gets) Gets.Add(parts[1]);
            (status, pieces) = GetHandler(parts[1]);
        }
        var w = new StringBuilder($"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
        stream.Write(Encoding.ASCII.GetBytes(w.ToString()));
        foreach (var p in pieces)
        {
            var bytes = Encoding.UTF8.GetBytes(p);
            if (bytes.Length == 0) continue;
            stream.Write(Encoding.ASCII.GetBytes($"{bytes.Length:x}\r\n"));
            stream.Write(bytes);
            stream.Write("\r\n"u8);
            stream.Flush();
        }
        stream.Write("0\r\n\r\n"u8);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        try { _loop.Wait(2000); } catch (AggregateException) { }
    }
}
