using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Troupe.Runtime.Networking;
using Xunit;

namespace Troupe.Runtime.Tests.Networking;

/// <summary>
/// The pods' DNS server on loopback, port 0, with real sockets: local answers, NXDOMAIN in the zone, forwarding to
/// a fake upstream, malformed packets, TCP, and the resolv.conf helpers.
/// </summary>
[Trait("Category", "net")]
public sealed class DnsServerSpec
{
    private const ushort A = 1, Aaaa = 28, Any = 255;
    private static readonly IPEndPoint Loopback0 = new(IPAddress.Loopback, 0);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    private static readonly IPAddress[] WebIps = [IPAddress.Parse("10.96.0.10"), IPAddress.Parse("10.96.0.11")];
    private readonly ConcurrentQueue<string> _looked = new();

    private IReadOnlyList<IPAddress>? Lookup(string name)
    {
        _looked.Enqueue(name);
        return name switch
        {
            "web.default.svc.cluster.local" => WebIps,
            "db" => [IPAddress.Parse("10.89.3.7")],
            "many.default.svc.cluster.local" => Enumerable.Range(1, 40).Select(i => IPAddress.Parse($"10.96.1.{i}")).ToArray(),
            "boom.default.svc.cluster.local" => throw new InvalidOperationException("boom"),
            _ => null,
        };
    }

    private DnsServer Start(IReadOnlyList<IPEndPoint>? upstreams = null, TimeSpan? timeout = null) =>
        DnsServer.Start(Loopback0, Lookup, upstreams ?? [], upstreamTimeout: timeout);

    [Fact]
    public async Task DnsServer_must_answer_a_known_name_with_its_A_records_and_AA()
    {
        await using var dns = Start();
        var r = Reply.Of(await AskUdpAsync(dns, Query(0x1234, "web.default.svc.cluster.local", A)));
        Assert.Equal(0x1234, r.Id);
        Assert.True(r.IsResponse);
        Assert.True(r.Authoritative);
        Assert.True(r.RecursionDesired);
        Assert.False(r.Truncated);
        Assert.Equal(0, r.Rcode);
        Assert.Equal(WebIps, r.Addresses);
        Assert.All(r.Ttls, ttl => Assert.Equal(5u, ttl));
        Assert.Equal("web.default.svc.cluster.local", r.QuestionName);
        // a single label, as a client would send it without the search list
        Assert.Equal([IPAddress.Parse("10.89.3.7")], Reply.Of(await AskUdpAsync(dns, Query(1, "db", A))).Addresses);
        // ANY: the A records
        Assert.Equal(WebIps, Reply.Of(await AskUdpAsync(dns, Query(2, "web.default.svc.cluster.local", Any))).Addresses);
    }

    [Fact]
    public async Task DnsServer_must_answer_AAAA_of_a_known_name_with_no_records()
    {
        await using var dns = Start();
        var r = Reply.Of(await AskUdpAsync(dns, Query(7, "web.default.svc.cluster.local", Aaaa)));
        Assert.Equal(0, r.Rcode);
        Assert.True(r.Authoritative);
        Assert.Empty(r.Addresses);
        Assert.Equal(Aaaa, r.QuestionType);
    }

    [Fact]
    public async Task DnsServer_must_answer_NXDOMAIN_for_unknown_names_in_the_zone_without_forwarding()
    {
        using var upstream = new FakeUpstream();
        await using var dns = Start([upstream.EndPoint]);
        foreach (var name in new[] { "nope.default.svc.cluster.local", "cluster.local", "example.com.default.svc.cluster.local" })
        {
            var r = Reply.Of(await AskUdpAsync(dns, Query(9, name, A)));
            Assert.Equal(3, r.Rcode);
            Assert.True(r.Authoritative);
            Assert.Empty(r.Addresses);
        }
        Assert.Equal(0, upstream.Received);
    }

    [Fact]
    public async Task DnsServer_must_lower_case_the_name_for_lookup_and_echo_it_as_sent()
    {
        await using var dns = Start();
        var r = Reply.Of(await AskUdpAsync(dns, Query(3, "WEB.Default.SVC.cluster.LOCAL", A)));
        Assert.Equal(WebIps, r.Addresses);
        Assert.Equal("WEB.Default.SVC.cluster.LOCAL", r.QuestionName);
        Assert.Contains("web.default.svc.cluster.local", _looked);
        Assert.DoesNotContain(_looked, n => n.Any(char.IsUpper));
    }

    [Fact]
    public async Task DnsServer_must_forward_other_names_and_relay_the_answer_with_the_clients_id()
    {
        using var upstream = new FakeUpstream();
        await using var dns = Start([upstream.EndPoint]);
        var query = Query(0xBEEF, "example.com", A, withOpt: true);
        var answer = Reply.Of(await AskUdpAsync(dns, query));
        Assert.Equal(0xBEEF, answer.Id);
        Assert.Equal([FakeUpstream.Address], answer.Addresses);
        // the upstream got the query as sent, OPT record included, under an id of the server's
        var seen = Assert.Single(upstream.Queries);
        Assert.Equal(query.AsSpan(2).ToArray(), seen.AsSpan(2).ToArray());
    }

    [Fact]
    public async Task DnsServer_must_try_the_next_upstream_and_answer_SERVFAIL_when_none_answers()
    {
        using var silent = new UdpClient(Loopback0);
        using var upstream = new FakeUpstream();
        await using (var dns = Start([(IPEndPoint)silent.Client.LocalEndPoint!, upstream.EndPoint], TimeSpan.FromMilliseconds(300)))
            Assert.Equal([FakeUpstream.Address], Reply.Of(await AskUdpAsync(dns, Query(5, "example.com", A))).Addresses);

        await using var lonely = Start([(IPEndPoint)silent.Client.LocalEndPoint!], TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();
        var r = Reply.Of(await AskUdpAsync(lonely, Query(6, "example.com", A)));
        Assert.Equal(2, r.Rcode);
        Assert.Equal(6, r.Id);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task DnsServer_must_refuse_names_outside_the_zone_without_upstreams()
    {
        await using var dns = Start();
        Assert.Equal(5, Reply.Of(await AskUdpAsync(dns, Query(5, "example.com", A))).Rcode);
    }

    [Fact]
    public async Task DnsServer_must_answer_other_queries_while_a_forward_is_pending()
    {
        using var silent = new UdpClient(Loopback0);
        await using var dns = Start([(IPEndPoint)silent.Client.LocalEndPoint!], TimeSpan.FromSeconds(3));
        using var client = new UdpClient(Loopback0);
        await client.SendAsync(Query(1, "example.com", A), dns.UdpEndPoint);
        await silent.ReceiveAsync(new CancellationTokenSource(Patience).Token); // the forward is out
        var clock = Stopwatch.StartNew();
        var r = Reply.Of(await AskUdpAsync(dns, Query(2, "web.default.svc.cluster.local", A)));
        Assert.Equal(WebIps, r.Addresses);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
        // and a TCP query too
        Assert.Equal(WebIps, Reply.Of(await AskTcpAsync(dns, Query(3, "web.default.svc.cluster.local", A))).Addresses);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1.5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task DnsServer_must_survive_malformed_packets_and_answer_afterwards()
    {
        await using var dns = Start();
        using var client = new UdpClient(Loopback0);
        var random = new Random(42);
        for (var i = 0; i < 300; i++)
        {
            var junk = new byte[random.Next(0, 80)];
            random.NextBytes(junk);
            await client.SendAsync(junk, dns.UdpEndPoint);
            // now and then a good query: the server still answers, and the burst never overruns its socket buffer
            // (the kernel would drop the next datagram, which is no fault of the server's)
            if (i % 25 == 24) Assert.Equal(WebIps, Reply.Of(await AskUdpAsync(dns, Query(0x0F00, "web.default.svc.cluster.local", A))).Addresses);
        }
        // a compression pointer loop: the name at 12 points at itself
        var loop = Header(0x1111, questions: 1).Concat(new byte[] { 3, (byte)'a', (byte)'b', (byte)'c', 0xC0, 12, 0, 1, 0, 1 }).ToArray();
        Assert.Equal(1, Reply.Of(await AskUdpAsync(dns, loop)).Rcode);
        // a pointer forwards, past the end
        var forward = Header(0x1112, questions: 1).Concat(new byte[] { 0xC0, 200, 0, 1, 0, 1 }).ToArray();
        Assert.Equal(1, Reply.Of(await AskUdpAsync(dns, forward)).Rcode);
        // a question cut short: a label longer than the packet, then no type and class
        var cut = Query(0x1113, "web.default.svc.cluster.local", A);
        Assert.Equal(1, Reply.Of(await AskUdpAsync(dns, cut[..20])).Rcode);
        Assert.Equal(1, Reply.Of(await AskUdpAsync(dns, cut[..^3])).Rcode);
        // no question at all; another opcode (STATUS)
        Assert.Equal(1, Reply.Of(await AskUdpAsync(dns, Header(0x1114, questions: 0))).Rcode);
        var status = Query(0x1115, "web", A);
        status[2] |= 2 << 3;
        Assert.Equal(4, Reply.Of(await AskUdpAsync(dns, status)).Rcode);
        // the lookup throwing: SERVFAIL
        Assert.Equal(2, Reply.Of(await AskUdpAsync(dns, Query(0x1116, "boom.default.svc.cluster.local", A))).Rcode);
        // TCP: garbage on one connection, a frame longer than what follows on another
        foreach (var bytes in new[] { new byte[] { 0, 3, 1, 2, 3 }, new byte[] { 0xFF, 0xFF, 1, 2 } })
        {
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await tcp.ConnectAsync(dns.TcpEndPoint);
            await tcp.SendAsync(bytes);
            tcp.Shutdown(SocketShutdown.Send);
        }
        // still answering, on both
        var good = Query(0x2222, "web.default.svc.cluster.local", A);
        var r = Reply.Of(await AskUdpAsync(dns, good));
        Assert.Equal(0x2222, r.Id);
        Assert.Equal(WebIps, r.Addresses);
        Assert.Equal(WebIps, Reply.Of(await AskTcpAsync(dns, good)).Addresses);
    }

    [Fact]
    public async Task DnsServer_must_answer_over_TCP_and_forward_TCP_queries()
    {
        using var upstream = new FakeUpstream();
        await using var dns = Start([upstream.EndPoint]);
        Assert.Equal(dns.UdpEndPoint.Port, dns.TcpEndPoint.Port);
        var r = Reply.Of(await AskTcpAsync(dns, Query(0x4242, "web.default.svc.cluster.local", A)));
        Assert.Equal(0x4242, r.Id);
        Assert.True(r.Authoritative);
        Assert.Equal(WebIps, r.Addresses);
        var f = Reply.Of(await AskTcpAsync(dns, Query(0x4343, "example.com", A)));
        Assert.Equal(0x4343, f.Id);
        Assert.Equal([FakeUpstream.Address], f.Addresses);
    }

    [Fact]
    public async Task DnsServer_must_ask_again_over_TCP_when_the_upstream_truncates_a_TCP_clients_answer()
    {
        using var upstream = new FakeUpstream(truncateUdp: true);
        await using var dns = Start([upstream.EndPoint]);
        var viaUdp = Reply.Of(await AskUdpAsync(dns, Query(1, "example.com", A)));
        Assert.True(viaUdp.Truncated); // relayed as it came: the client asks over TCP itself
        Assert.Equal(0, upstream.TcpQueries);
        var viaTcp = Reply.Of(await AskTcpAsync(dns, Query(2, "example.com", A)));
        Assert.False(viaTcp.Truncated);
        Assert.Equal(2, viaTcp.Id);
        Assert.Equal([FakeUpstream.Address], viaTcp.Addresses);
        Assert.Equal(1, upstream.TcpQueries);
    }

    [Fact]
    public async Task DnsServer_must_truncate_long_UDP_answers_and_give_them_whole_over_TCP()
    {
        await using var dns = Start();
        var query = Query(8, "many.default.svc.cluster.local", A);
        var udp = await AskUdpAsync(dns, query);
        Assert.True(udp.Length <= 512);
        var r = Reply.Of(udp);
        Assert.True(r.Truncated);
        Assert.InRange(r.Addresses.Count, 1, 39);
        var whole = Reply.Of(await AskTcpAsync(dns, query));
        Assert.False(whole.Truncated);
        Assert.Equal(40, whole.Addresses.Count);
    }

    [Fact]
    public async Task DnsServer_must_refuse_a_taken_port_and_stop_at_once_on_dispose()
    {
        using var silent = new UdpClient(Loopback0);
        var dns = Start([(IPEndPoint)silent.Client.LocalEndPoint!], TimeSpan.FromSeconds(30));
        var e = Assert.Throws<PortInUseException>(() => DnsServer.Start(dns.UdpEndPoint, Lookup, []));
        Assert.Equal($"port {dns.UdpEndPoint.Port} is already in use on 127.0.0.1", e.Message);
        using var client = new UdpClient(Loopback0);
        await client.SendAsync(Query(1, "example.com", A), dns.UdpEndPoint);
        await silent.ReceiveAsync(new CancellationTokenSource(Patience).Token);
        var clock = Stopwatch.StartNew();
        await dns.DisposeAsync();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"dispose took {clock.Elapsed}");
        // both ports are free again
        await using var again = DnsServer.Start(dns.UdpEndPoint, Lookup, []);
        Assert.Equal(dns.TcpEndPoint, again.TcpEndPoint);
    }

    /// <summary>A real resolver's view: busybox nslookup (it takes SERVER:PORT) asks A and AAAA and prints the addresses.</summary>
    [SkippableFact]
    public async Task DnsServer_must_answer_busybox_nslookup()
    {
        Skip.IfNot(File.Exists("/usr/bin/busybox"), "/usr/bin/busybox missing");
        await using var dns = Start();
        var server = $"127.0.0.1:{dns.UdpEndPoint.Port}";
        var known = await NetTestSupport.Run("/usr/bin/busybox", "nslookup", "web.default.svc.cluster.local", server);
        Assert.True(known.Code == 0, known.Stdout + known.Stderr);
        Assert.Contains("Address: 10.96.0.10", known.Stdout);
        Assert.Contains("Address: 10.96.0.11", known.Stdout);
        var unknown = await NetTestSupport.Run("/usr/bin/busybox", "nslookup", "nope.default.svc.cluster.local", server);
        Assert.NotEqual(0, unknown.Code);
        Assert.Contains("NXDOMAIN", unknown.Stdout + unknown.Stderr);
    }

    [Fact]
    public void UpstreamsFromResolvConf_must_read_nameserver_lines_and_skip_garbage()
    {
        const string text = """
            # Generated by NetworkManager
            search lan example.org
            nameserver 192.168.1.1
            nameserver  fe80::1%2   # link-local
            ;nameserver 9.9.9.9
            nameserver 2001:db8::53
            nameserver not-an-address
            nameserver
            nameserver 192.168.1.1
            options edns0 trust-ad
            	nameserver	1.1.1.1
            """;
        var ups = DnsServer.UpstreamsFromResolvConf(text.Replace("\n", "\r\n"));
        Assert.Equal(["192.168.1.1:53", "[fe80::1%2]:53", "[2001:db8::53]:53", "1.1.1.1:53"], ups.Select(u => u.ToString()));
        Assert.Empty(DnsServer.UpstreamsFromResolvConf(""));
    }

    [Fact]
    public void PodResolvConf_must_name_the_server_and_the_kubernetes_search_list()
    {
        Assert.Equal(
            "nameserver 10.89.3.1\nsearch shop.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n",
            DnsServer.PodResolvConf(IPAddress.Parse("10.89.3.1"), "shop"));
        Assert.Equal("nameserver 10.0.0.1\nsearch a.svc.troupe.test svc.troupe.test troupe.test\noptions ndots:5\n",
            DnsServer.PodResolvConf(IPAddress.Parse("10.0.0.1"), "a", "troupe.test."));
        Assert.Throws<ArgumentException>(() => DnsServer.PodResolvConf(IPAddress.Loopback, ""));
        Assert.Throws<ArgumentException>(() => DnsServer.PodResolvConf(IPAddress.Loopback, "a b"));
    }

    // ---- helpers ----

    private static async Task<byte[]> AskUdpAsync(DnsServer dns, byte[] query)
    {
        using var client = new UdpClient(Loopback0);
        await client.SendAsync(query, dns.UdpEndPoint);
        using var timeout = new CancellationTokenSource(Patience);
        return (await client.ReceiveAsync(timeout.Token)).Buffer;
    }

    private static async Task<byte[]> AskTcpAsync(DnsServer dns, byte[] query)
    {
        using var timeout = new CancellationTokenSource(Patience);
        using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await tcp.ConnectAsync(dns.TcpEndPoint, timeout.Token);
        var framed = new byte[query.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
        query.CopyTo(framed, 2);
        await tcp.SendAsync(framed, SocketFlags.None, timeout.Token);
        await using var stream = new NetworkStream(tcp);
        var prefix = new byte[2];
        await stream.ReadExactlyAsync(prefix, timeout.Token);
        var reply = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        await stream.ReadExactlyAsync(reply, timeout.Token);
        return reply;
    }

    private static byte[] Header(ushort id, ushort questions, ushort flags = 0x0100, ushort additional = 0)
    {
        var h = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(h, id);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(2), flags);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(4), questions);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(10), additional);
        return h;
    }

    /// <summary>A standard query with RD, optionally with an EDNS0 OPT record (payload 1232) in the additional section.</summary>
    internal static byte[] Query(ushort id, string name, ushort type, bool withOpt = false)
    {
        var m = new List<byte>(Header(id, 1, additional: (ushort)(withOpt ? 1 : 0)));
        foreach (var label in name.Split('.'))
        {
            m.Add((byte)label.Length);
            m.AddRange(Encoding.ASCII.GetBytes(label));
        }
        m.AddRange([0, (byte)(type >> 8), (byte)type, 0, 1]);
        if (withOpt) m.AddRange([0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0]);
        return m.ToArray();
    }

    /// <summary>What the tests look at in a reply: header bits, the first question, A/AAAA answers.</summary>
    private sealed record Reply(ushort Id, ushort Flags, string QuestionName, ushort QuestionType, List<IPAddress> Addresses, List<uint> Ttls)
    {
        public bool IsResponse => (Flags & 0x8000) != 0;
        public bool Authoritative => (Flags & 0x0400) != 0;
        public bool Truncated => (Flags & 0x0200) != 0;
        public bool RecursionDesired => (Flags & 0x0100) != 0;
        public int Rcode => Flags & 0xF;

        public static Reply Of(byte[] m)
        {
            var id = BinaryPrimitives.ReadUInt16BigEndian(m);
            var flags = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(2));
            var qd = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(4));
            var an = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(6));
            var at = 12;
            var labels = new List<string>();
            ushort qtype = 0;
            if (qd > 0)
            {
                while (m[at] != 0)
                {
                    labels.Add(Encoding.ASCII.GetString(m, at + 1, m[at]));
                    at += 1 + m[at];
                }
                qtype = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(at + 1));
                at += 5;
            }
            var addresses = new List<IPAddress>();
            var ttls = new List<uint>();
            for (var i = 0; i < an; i++)
            {
                while (m[at] != 0 && (m[at] & 0xC0) != 0xC0) at += 1 + m[at];
                at += m[at] == 0 ? 1 : 2;
                var type = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(at));
                ttls.Add(BinaryPrimitives.ReadUInt32BigEndian(m.AsSpan(at + 4)));
                var length = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(at + 8));
                if (type is A or Aaaa) addresses.Add(new IPAddress(m.AsSpan(at + 10, length)));
                at += 10 + length;
            }
            return new Reply(id, flags, string.Join('.', labels), qtype, addresses, ttls);
        }
    }

    /// <summary>
    /// An upstream resolver on loopback answering every query with one A record, 93.184.216.34; with
    /// <c>truncateUdp</c> its UDP answers have TC and no record, and it answers whole over TCP on the same port.
    /// </summary>
    private sealed class FakeUpstream : IDisposable
    {
        public static readonly IPAddress Address = IPAddress.Parse("93.184.216.34");
        private UdpClient _socket = new(Loopback0);
        private readonly TcpListener? _tcp;
        private readonly bool _truncateUdp;
        private readonly CancellationTokenSource _stop = new();
        public readonly ConcurrentQueue<byte[]> Queries = new();
        public int Received => Queries.Count;
        public int TcpQueries;
        public IPEndPoint EndPoint => (IPEndPoint)_socket.Client.LocalEndPoint!;

        public FakeUpstream(bool truncateUdp = false)
        {
            _truncateUdp = truncateUdp;
            if (truncateUdp)
            {
                // TCP on the UDP socket's port: another test may hold that TCP port, so take another pair then
                for (var attempt = 0; ; attempt++)
                {
                    var tcp = new TcpListener(EndPoint);
                    try
                    {
                        tcp.Start();
                        _tcp = tcp;
                        break;
                    }
                    catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse && attempt < 20)
                    {
                        _socket.Dispose();
                        _socket = new UdpClient(Loopback0);
                    }
                }
                _ = Task.Run(ServeTcpAsync);
            }
            _ = Task.Run(ServeAsync);
        }

        private async Task ServeAsync()
        {
            try
            {
                while (true)
                {
                    var r = await _socket.ReceiveAsync(_stop.Token);
                    Queries.Enqueue(r.Buffer);
                    var answer = Answer(r.Buffer);
                    if (_truncateUdp)
                    {
                        answer = answer[..^16];
                        answer[2] |= 0x02;
                        answer[7] = 0;
                    }
                    await _socket.SendAsync(answer, r.RemoteEndPoint, _stop.Token);
                }
            }
            catch (Exception) { } // stopped
        }

        private async Task ServeTcpAsync()
        {
            try
            {
                while (true)
                {
                    using var c = await _tcp!.AcceptTcpClientAsync(_stop.Token);
                    var stream = c.GetStream();
                    var prefix = new byte[2];
                    await stream.ReadExactlyAsync(prefix, _stop.Token);
                    var query = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
                    await stream.ReadExactlyAsync(query, _stop.Token);
                    Interlocked.Increment(ref TcpQueries);
                    var answer = Answer(query);
                    await stream.WriteAsync(new byte[] { (byte)(answer.Length >> 8), (byte)answer.Length }, _stop.Token);
                    await stream.WriteAsync(answer, _stop.Token);
                }
            }
            catch (Exception) { } // stopped
        }

        /// <summary>The question of <paramref name="query"/> (OPT dropped) with QR, RA and one A record.</summary>
        private static byte[] Answer(byte[] query)
        {
            var end = 12;
            while (query[end] != 0) end += 1 + query[end];
            end += 5;
            var m = new List<byte>(query[..end]);
            m[2] = (byte)(m[2] | 0x80);
            m[3] = 0x80;
            m[6] = 0; m[7] = 1; m[10] = 0; m[11] = 0;
            m.AddRange([0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
            m.AddRange(Address.GetAddressBytes());
            return m.ToArray();
        }

        public void Dispose()
        {
            _stop.Cancel();
            _tcp?.Stop();
            _socket.Dispose();
        }
    }
}
