using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Troupe.Runtime.Networking;

/// <summary>
/// INTERNAL API. The few pieces of the RFC 1035 wire format <see cref="DnsServer"/> needs: a query's header and its
/// one question, answers of A/AAAA records, and the 2-byte length prefix of DNS over TCP. Every read is bounds-checked, so a
/// malformed packet gives <see cref="DnsParse.Drop"/> or <see cref="DnsParse.FormErr"/>, never an exception or a loop.
/// </summary>
internal static class DnsWire
{
    public const int HeaderLength = 12;
    /// <summary>The classic UDP limit (RFC 1035 §4.2.1); a local answer longer than this is cut and marked TC.</summary>
    public const int UdpLimit = 512;
    public const int MaxNameLength = 255;

    public const ushort TypeA = 1, TypePtr = 12, TypeAaaa = 28, TypeAny = 255, ClassIn = 1;
    public const byte NoError = 0, FormErr = 1, ServFail = 2, NxDomain = 3, NotImp = 4, Refused = 5;

    private const ushort FlagQr = 0x8000, FlagAa = 0x0400, FlagTc = 0x0200, FlagRd = 0x0100, FlagRa = 0x0080;
    private const ushort OpcodeMask = 0x7800;
    private const uint Ttl = 5;

    public static ushort Id(ReadOnlySpan<byte> msg) => BinaryPrimitives.ReadUInt16BigEndian(msg);
    public static void SetId(Span<byte> msg, ushort id) => BinaryPrimitives.WriteUInt16BigEndian(msg, id);
    public static bool IsResponse(ReadOnlySpan<byte> msg) => (msg[2] & 0x80) != 0;
    public static bool IsTruncated(ReadOnlySpan<byte> msg) => (msg[2] & 0x02) != 0;
    public static byte Rcode(ReadOnlySpan<byte> msg) => (byte)(msg[3] & 0x0F);

    /// <summary>
    /// Read the header and the first question of <paramref name="msg"/>. Responses (QR set) and anything shorter than
    /// a header are dropped: answering them could start a loop between two servers, and a reply needs an id.
    /// Other opcodes than QUERY are NotImp; no question, more than one, or a bad name is FormErr. The answer,
    /// authority and additional sections (EDNS0's OPT among them) are not read.
    /// </summary>
    public static DnsParse Parse(ReadOnlySpan<byte> msg, out DnsQuestion question)
    {
        question = default;
        if (msg.Length < HeaderLength || IsResponse(msg)) return DnsParse.Drop;
        var flags = BinaryPrimitives.ReadUInt16BigEndian(msg[2..]);
        if ((flags & OpcodeMask) != 0) return DnsParse.NotImp;
        if (BinaryPrimitives.ReadUInt16BigEndian(msg[4..]) != 1) return DnsParse.FormErr;
        if (!TryReadName(msg, HeaderLength, out var wire, out var name, out var plain, out var end)) return DnsParse.FormErr;
        if (end + 4 > msg.Length) return DnsParse.FormErr;
        question = new DnsQuestion(Id(msg), flags, wire, name, plain,
            BinaryPrimitives.ReadUInt16BigEndian(msg[end..]), BinaryPrimitives.ReadUInt16BigEndian(msg[(end + 2)..]));
        return DnsParse.Ok;
    }

    /// <summary>
    /// A domain name at <paramref name="offset"/>: <paramref name="wire"/> is it uncompressed with the case as sent
    /// (for the echoed question), <paramref name="name"/> lower-cased (ASCII only) without the trailing dot, and
    /// <paramref name="end"/> the offset after it in <paramref name="msg"/>.
    /// Compression pointers are followed only strictly backwards from the lowest offset read so far, so every jump
    /// makes progress and a pointer loop ends as a failure; with the 255-byte limit a name costs at most ~255 steps.
    /// <paramref name="plain"/> is false when a label holds a dot or a byte outside printable ASCII: such a name
    /// cannot be written as text without ambiguity, so it is never looked up.
    /// </summary>
    public static bool TryReadName(ReadOnlySpan<byte> msg, int offset, out byte[] wire, out string name, out bool plain, out int end)
    {
        wire = []; name = ""; plain = true; end = -1;
        var labels = new List<byte[]>();
        var pos = offset;
        var lowest = offset;
        var length = 1;
        while (true)
        {
            if (pos >= msg.Length) return false;
            var b = msg[pos];
            if (b == 0)
            {
                if (end < 0) end = pos + 1;
                break;
            }
            if ((b & 0xC0) == 0xC0)
            {
                if (pos + 1 >= msg.Length) return false;
                var target = ((b & 0x3F) << 8) | msg[pos + 1];
                if (end < 0) end = pos + 2;
                if (target >= lowest || target < HeaderLength) return false;
                lowest = pos = target;
                continue;
            }
            if ((b & 0xC0) != 0) return false; // 0x40/0x80: extended and reserved label types (RFC 6891 §5)
            if (pos + 1 + b > msg.Length) return false;
            length += b + 1;
            if (length > MaxNameLength) return false;
            labels.Add(msg.Slice(pos + 1, b).ToArray());
            pos += 1 + b;
        }
        var w = new byte[length];
        var text = new StringBuilder(length);
        var at = 0;
        foreach (var label in labels)
        {
            w[at++] = (byte)label.Length;
            label.CopyTo(w, at);
            at += label.Length;
            if (text.Length > 0) text.Append('.');
            foreach (var c in label)
            {
                if (c is <= 0x20 or >= 0x7F or (byte)'.') plain = false;
                text.Append(c is >= (byte)'A' and <= (byte)'Z' ? (char)(c + 32) : (char)c);
            }
        }
        wire = w;
        name = text.ToString();
        return true;
    }

    /// <summary>
    /// An answer to <paramref name="q"/>: the question echoed, then one A or AAAA record (TTL 5 s) per address of
    /// the family <paramref name="q"/> asks for (both for ANY). Records that would pass <paramref name="limit"/>
    /// are left out and TC is set, so the client asks again over TCP.
    /// </summary>
    public static byte[] Answer(DnsQuestion q, byte rcode, bool authoritative, IReadOnlyList<IPAddress> addresses, int limit)
    {
        var records = addresses.Where(a => Wanted(q.Type, a)).ToList();
        var size = HeaderLength + q.Wire.Length + 4;
        var fits = 0;
        foreach (var a in records)
        {
            var next = size + RecordLength(a);
            if (next > limit) break;
            size = next;
            fits++;
        }
        var msg = new byte[size];
        var flags = (ushort)(FlagQr | (q.Flags & FlagRd) | FlagRa | rcode);
        if (authoritative) flags |= FlagAa;
        if (fits < records.Count) flags |= FlagTc;
        WriteHeader(msg, q.Id, flags, 1, (ushort)fits);
        q.Wire.CopyTo(msg, HeaderLength);
        var at = HeaderLength + q.Wire.Length;
        BinaryPrimitives.WriteUInt16BigEndian(msg.AsSpan(at), q.Type);
        BinaryPrimitives.WriteUInt16BigEndian(msg.AsSpan(at + 2), q.Class);
        at += 4;
        foreach (var a in records.Take(fits))
        {
            var span = msg.AsSpan(at);
            BinaryPrimitives.WriteUInt16BigEndian(span, 0xC000 | HeaderLength); // the name: a pointer to the question's
            BinaryPrimitives.WriteUInt16BigEndian(span[2..], a.AddressFamily == AddressFamily.InterNetwork ? TypeA : TypeAaaa);
            BinaryPrimitives.WriteUInt16BigEndian(span[4..], ClassIn);
            BinaryPrimitives.WriteUInt32BigEndian(span[6..], Ttl);
            var rdata = a.GetAddressBytes();
            BinaryPrimitives.WriteUInt16BigEndian(span[10..], (ushort)rdata.Length);
            rdata.CopyTo(span[12..]);
            at += RecordLength(a);
        }
        return msg;
    }

    /// <summary>A header-only reply with <paramref name="rcode"/> to a query whose question could not be used.</summary>
    public static byte[] Error(ReadOnlySpan<byte> query, byte rcode)
    {
        var msg = new byte[HeaderLength];
        var flags = BinaryPrimitives.ReadUInt16BigEndian(query[2..]);
        WriteHeader(msg, Id(query), (ushort)(FlagQr | (flags & (OpcodeMask | FlagRd)) | FlagRa | rcode), 0, 0);
        return msg;
    }

    /// <summary>A message with its 2-byte length in front, as DNS over TCP sends it (RFC 1035 §4.2.2).</summary>
    public static byte[] Framed(byte[] msg)
    {
        var framed = new byte[msg.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)msg.Length);
        msg.CopyTo(framed, 2);
        return framed;
    }

    /// <summary>One 2-byte-length-prefixed message, or null at a clean end of stream.</summary>
    public static async Task<byte[]?> ReadFramedAsync(Socket s, CancellationToken ct)
    {
        var prefix = new byte[2];
        if (!await ReadExactlyAsync(s, prefix, ct)) return null;
        var msg = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        return await ReadExactlyAsync(s, msg, ct) ? msg : null;
    }

    private static async Task<bool> ReadExactlyAsync(Socket s, Memory<byte> buffer, CancellationToken ct)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await s.ReceiveAsync(buffer[read..], SocketFlags.None, ct);
            if (n == 0) return false;
            read += n;
        }
        return true;
    }

    private static bool Wanted(ushort type, IPAddress a) => type switch
    {
        TypeA => a.AddressFamily == AddressFamily.InterNetwork,
        TypeAaaa => a.AddressFamily == AddressFamily.InterNetworkV6,
        TypeAny => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6,
        _ => false,
    };

    private static int RecordLength(IPAddress a) => 12 + (a.AddressFamily == AddressFamily.InterNetwork ? 4 : 16);

    private static void WriteHeader(Span<byte> msg, ushort id, ushort flags, ushort questions, ushort answers)
    {
        BinaryPrimitives.WriteUInt16BigEndian(msg, id);
        BinaryPrimitives.WriteUInt16BigEndian(msg[2..], flags);
        BinaryPrimitives.WriteUInt16BigEndian(msg[4..], questions);
        BinaryPrimitives.WriteUInt16BigEndian(msg[6..], answers);
        msg[8..12].Clear();
    }
}

/// <summary>INTERNAL API. What <see cref="DnsWire.Parse"/> made of a packet.</summary>
internal enum DnsParse { Ok, Drop, FormErr, NotImp }

/// <summary>
/// INTERNAL API. A query's id and flags and its question: <see cref="Wire"/> is the name uncompressed as sent,
/// <see cref="Name"/> lower-cased without the trailing dot, <see cref="Plain"/> false for names that cannot be text.
/// </summary>
internal readonly record struct DnsQuestion(ushort Id, ushort Flags, byte[] Wire, string Name, bool Plain, ushort Type, ushort Class);
