using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Troupe.Api.Protocol;

namespace Troupe.Api.Objects;

/// <summary>
/// The <c>pod-template-hash</c> label of a ReplicaSet and its Pods, as Kubernetes' <c>controller.ComputeHash</c>
/// makes it: FNV-1a 32-bit over the template, the decimal of the hash, each digit mapped through
/// <c>rand.SafeEncodeString</c>'s alphabet (<c>bcdfghjklmnpqrstvwxz2456789</c>), so no vowels and no look-alikes.
/// Kubernetes hashes Go's dump of the struct; Troupe hashes the template's canonical JSON (the source-generated
/// serialiser's output with object keys sorted), so it is stable across processes, runs and machines and does
/// not depend on the order labels were written in.
/// </summary>
public static class TemplateHash
{
    const string Alphanums = "bcdfghjklmnpqrstvwxz2456789";

    public static string Compute(PodTemplateSpec template, int? collisionCount = null)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(template, ProtocolJsonContext.Default.PodTemplateSpec);
        var canonical = Canonical(json);
        var hash = Fnv1a32(canonical, 2166136261u);
        if (collisionCount is { } n)
        {
            // As Kubernetes: the collision count's little-endian bytes are added to the hash.
            Span<byte> b = stackalloc byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(b, n);
            hash = Fnv1a32(b, hash);
        }
        return SafeEncode(hash.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>FNV-1a 32-bit, continuing from <paramref name="hash"/> (2166136261 to start).</summary>
    public static uint Fnv1a32(ReadOnlySpan<byte> data, uint hash = 2166136261u)
    {
        foreach (var b in data)
        {
            hash ^= b;
            hash *= 16777619u;
        }
        return hash;
    }

    /// <summary>Kubernetes' <c>rand.SafeEncodeString</c>: each character to <c>alphanums[c % 27]</c>.</summary>
    public static string SafeEncode(string s) => string.Create(s.Length, s, static (span, src) =>
    {
        for (var i = 0; i < src.Length; i++) span[i] = Alphanums[src[i] % Alphanums.Length];
    });

    /// <summary>JSON with every object's properties sorted by ordinal name, no whitespace.</summary>
    static byte[] Canonical(byte[] json)
    {
        using var doc = JsonDocument.Parse(json);
        var buffer = new ArrayBufferWriter<byte>(json.Length);
        using (var w = new Utf8JsonWriter(buffer))
            Write(w, doc.RootElement);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// List fields added to the API objects after the hash was pinned: they count only when not empty, so an
    /// unchanged template keeps its hash (and its pods) across an upgrade. Add every new list field here.
    /// </summary>
    static readonly HashSet<string> AddedLater = new(StringComparer.Ordinal) { "volumes", "volumeMounts" };

    static void Write(Utf8JsonWriter w, JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                w.WriteStartObject();
                var props = e.EnumerateObject().ToList();
                props.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
                foreach (var p in props)
                {
                    if (AddedLater.Contains(p.Name) && p.Value.ValueKind == JsonValueKind.Array && p.Value.GetArrayLength() == 0) continue;
                    w.WritePropertyName(p.Name);
                    Write(w, p.Value);
                }
                w.WriteEndObject();
                break;
            case JsonValueKind.Array:
                w.WriteStartArray();
                foreach (var item in e.EnumerateArray()) Write(w, item);
                w.WriteEndArray();
                break;
            default:
                e.WriteTo(w);
                break;
        }
    }
}
