using System.Net;
using System.Text;
using System.Text.Json;

namespace Troupe.Runtime.Networking;

/// <summary>
/// The pure allocation logic of <see cref="Ipam"/>: which pod UID holds which address of one <see cref="Cidr"/>.
/// Addresses are handed out round-robin after the last one given (as CNI's host-local does), so a freed address is
/// not reused at once. Not thread-safe; <see cref="Ipam"/> serialises access with a file lock.
/// </summary>
public sealed class IpamState
{
    private readonly SortedDictionary<string, uint> _byUid = new(StringComparer.Ordinal);
    private readonly HashSet<uint> _used = [];

    /// <summary>The network addresses come from.</summary>
    public Cidr Cidr { get; }
    /// <summary>The address handed out last (host order); the next search starts after it.</summary>
    public uint Last { get; private set; }

    /// <summary>An empty state for <paramref name="cidr"/>.</summary>
    public IpamState(Cidr cidr)
    {
        Cidr = cidr;
        Last = cidr.LastPod;
    }

    /// <summary>Every allocation: pod UID → address.</summary>
    public IReadOnlyDictionary<string, IPAddress> Allocations =>
        _byUid.ToDictionary(kv => kv.Key, kv => Cidr.ToAddress(kv.Value), StringComparer.Ordinal);

    /// <summary>How many addresses are free.</summary>
    public long Free => (long)Cidr.LastPod - Cidr.FirstPod + 1 - _used.Count;

    /// <summary>The address of <paramref name="uid"/>, or null.</summary>
    public IPAddress? Get(string uid) => _byUid.TryGetValue(uid, out var v) ? Cidr.ToAddress(v) : null;

    /// <summary>
    /// The address of <paramref name="uid"/>: the one it already holds (idempotent), else the next free one.
    /// Throws <see cref="IpamExhaustedException"/> when none is free.
    /// </summary>
    public IPAddress Allocate(string uid)
    {
        if (_byUid.TryGetValue(uid, out var held)) return Cidr.ToAddress(held);
        var first = Cidr.FirstPod; var last = Cidr.LastPod;
        var candidate = Last;
        for (long i = 0; i <= last - first; i++)
        {
            candidate = candidate >= last || candidate < first ? first : candidate + 1;
            if (_used.Contains(candidate)) continue;
            Take(uid, candidate);
            Last = candidate;
            return Cidr.ToAddress(candidate);
        }
        throw new IpamExhaustedException($"no free address left in pod CIDR {Cidr} ({_used.Count} in use)");
    }

    /// <summary>Release the address of <paramref name="uid"/>; false when it held none.</summary>
    public bool Release(string uid)
    {
        if (!_byUid.Remove(uid, out var v)) return false;
        _used.Remove(v);
        return true;
    }

    /// <summary>Release every address whose pod is not in <paramref name="liveUids"/>; returns the UIDs released.</summary>
    public IReadOnlyList<string> Reconcile(IEnumerable<string> liveUids)
    {
        var live = liveUids.ToHashSet(StringComparer.Ordinal);
        var dead = _byUid.Keys.Where(u => !live.Contains(u)).ToList();
        foreach (var u in dead) Release(u);
        return dead;
    }

    private void Take(string uid, uint v)
    {
        _byUid[uid] = v;
        _used.Add(v);
    }

    /// <summary>
    /// The JSON form: <c>{"version":1,"cidr":"10.89.3.0/24","last":"10.89.3.7","allocations":{"UID":"10.89.3.2"}}</c>.
    /// </summary>
    public string ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("version", 1);
            w.WriteString("cidr", Cidr.ToString());
            w.WriteString("last", Cidr.ToAddress(Last).ToString());
            w.WriteStartObject("allocations");
            foreach (var (uid, v) in _byUid) w.WriteString(uid, Cidr.ToAddress(v).ToString());
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>
    /// Read the JSON form for <paramref name="cidr"/>. A store written for another CIDR is accepted only when it holds
    /// no allocation (then it starts afresh); otherwise <see cref="InvalidDataException"/> says so.
    /// </summary>
    public static IpamState FromJson(string json, Cidr cidr, string source = "ipam.json")
    {
        var state = new IpamState(cidr);
        if (string.IsNullOrWhiteSpace(json)) return state;
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new InvalidDataException($"{source} is not valid JSON: {e.Message}", e); }
        using (doc)
        {
            var root = doc.RootElement;
            var stored = root.TryGetProperty("cidr", out var c) ? Cidr.Parse(c.GetString() ?? "") : cidr;
            var allocations = root.TryGetProperty("allocations", out var a) && a.ValueKind == JsonValueKind.Object
                ? a.EnumerateObject().ToList() : [];
            if (stored != cidr)
            {
                if (allocations.Count == 0) return state;
                throw new InvalidDataException($"{source} holds {allocations.Count} allocation(s) in pod CIDR {stored}, but this node is configured for {cidr}; tear down its pods first");
            }
            foreach (var p in allocations)
            {
                if (!IPAddress.TryParse(p.Value.GetString(), out var ip) || !cidr.Contains(ip))
                    throw new InvalidDataException($"{source}: allocation {p.Name} = {p.Value} is not an address in {cidr}");
                var v = Cidr.ToUInt(ip);
                if (v < cidr.FirstPod || v > cidr.LastPod || state._used.Contains(v))
                    throw new InvalidDataException($"{source}: allocation {p.Name} = {ip} is reserved or given twice");
                state.Take(p.Name, v);
            }
            if (root.TryGetProperty("last", out var l) && IPAddress.TryParse(l.GetString(), out var lastIp) && cidr.Contains(lastIp))
                state.Last = Cidr.ToUInt(lastIp);
        }
        return state;
    }
}

/// <summary>The pod CIDR has no free address left.</summary>
public sealed class IpamExhaustedException(string message) : Exception(message);
