using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Troupe.Runtime.Networking;

/// <summary>
/// Which /24 of <see cref="Pool"/> (10.128.0.0/10: 16,384 of them) a node's pods are addressed from. Derived, not
/// leased: SHA-256 of the node's <c>TROUPE_HOME</c> (full path) and its node name, so two machines that both use the
/// default <c>~/.troupe</c> differ by their node names (unique in a cluster), and several nodes on one host differ
/// by their homes. A home that already has a CIDR (<c>network/ipam.json</c>) keeps it, so the running pods of a node
/// keep their addresses across an upgrade or a rename. Two nodes can still draw the same /24 (with 20 nodes about
/// one chance in 87); the routes reconciler of every node sees it in the advertised <c>spec.podCIDR</c>s, logs an
/// error naming both and routes to neither.
/// </summary>
public static class PodCidr
{
    /// <summary>The range every derived pod CIDR lies in.</summary>
    public static readonly Cidr Pool = Cidr.Parse("10.128.0.0/10");

    /// <summary>The /24 of the node <paramref name="nodeName"/> whose home is <paramref name="home"/>.</summary>
    public static Cidr Derive(string home, string nodeName)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{Path.TrimEndingDirectorySeparator(Path.GetFullPath(home))}\n{nodeName}"));
        var count = 1u << (24 - Pool.PrefixLength); // /24s in the pool
        var index = (uint)(hash[0] << 24 | hash[1] << 16 | hash[2] << 8 | hash[3]) % count;
        return new Cidr(Pool.Network + (index << 8), 24);
    }

    /// <summary>The CIDR a home already has (<paramref name="stored"/>), else the derived one.</summary>
    public static Cidr Choose(Cidr? stored, string home, string nodeName) => stored ?? Derive(home, nodeName);

    /// <summary>
    /// The <c>cidr</c> recorded in <c>$home/network/ipam.json</c>, or null when there is no store (or it names none).
    /// A store that cannot be read as JSON is left to <see cref="Ipam"/> to report.
    /// </summary>
    public static Cidr? Stored(string home)
    {
        var path = Path.Combine(home, "network", "ipam.json");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.TryGetProperty("cidr", out var c) && c.ValueKind == JsonValueKind.String ? Cidr.Parse(c.GetString()!) : null;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or JsonException or FormatException)
        {
            return null;
        }
    }
}
