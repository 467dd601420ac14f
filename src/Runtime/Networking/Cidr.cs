using System.Net;
using System.Net.Sockets;

namespace Troupe.Runtime.Networking;

/// <summary>
/// An IPv4 network such as <c>10.89.3.0/24</c>: the pod CIDR of one node. <see cref="Gateway"/> is the first host
/// address (<c>.1</c>, on the bridge); pods get the addresses after it up to the one before the broadcast address.
/// </summary>
public readonly record struct Cidr
{
    /// <summary>The network address as a host-order integer.</summary>
    public uint Network { get; }
    /// <summary>Prefix length, 8 to 30.</summary>
    public int PrefixLength { get; }

    /// <summary>A network from its address and prefix length; host bits must be zero.</summary>
    public Cidr(uint network, int prefixLength)
    {
        if (prefixLength is < 8 or > 30) throw new FormatException($"pod CIDR prefix /{prefixLength} must be between /8 and /30");
        var mask = Mask(prefixLength);
        if ((network & ~mask) != 0) throw new FormatException($"{ToAddress(network)}/{prefixLength} has host bits set (did you mean {ToAddress(network & mask)}/{prefixLength}?)");
        Network = network;
        PrefixLength = prefixLength;
    }

    /// <summary>Parse <c>a.b.c.d/n</c>; throws <see cref="FormatException"/> with a clear message.</summary>
    public static Cidr Parse(string s)
    {
        var slash = s.IndexOf('/');
        if (slash < 0 || !IPAddress.TryParse(s[..slash], out var ip) || ip.AddressFamily != AddressFamily.InterNetwork
            || !int.TryParse(s[(slash + 1)..], out var prefix))
            throw new FormatException($"'{s}' is not an IPv4 CIDR like 10.89.0.0/24");
        return new Cidr(ToUInt(ip), prefix);
    }

    /// <summary>Number of addresses in the network, network and broadcast included.</summary>
    public uint Size => 1u << (32 - PrefixLength);
    /// <summary>The network's last address.</summary>
    public uint Broadcast => Network + Size - 1;
    /// <summary>The bridge's address: network + 1.</summary>
    public IPAddress Gateway => ToAddress(Network + 1);
    /// <summary>The first address handed to a pod: network + 2.</summary>
    public uint FirstPod => Network + 2;
    /// <summary>The last address handed to a pod: broadcast - 1.</summary>
    public uint LastPod => Broadcast - 1;

    /// <summary>True when <paramref name="ip"/> is inside this network.</summary>
    public bool Contains(IPAddress ip) =>
        ip.AddressFamily == AddressFamily.InterNetwork && (ToUInt(ip) & Mask(PrefixLength)) == Network;

    /// <summary>True when the two networks share any address.</summary>
    public bool Overlaps(Cidr other)
    {
        var p = Math.Min(PrefixLength, other.PrefixLength);
        return (Network & Mask(p)) == (other.Network & Mask(p));
    }

    /// <inheritdoc/>
    public override string ToString() => $"{ToAddress(Network)}/{PrefixLength}";

    internal static uint Mask(int prefix) => prefix == 0 ? 0 : uint.MaxValue << (32 - prefix);

    internal static uint ToUInt(IPAddress ip)
    {
        var b = ip.GetAddressBytes();
        return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    }

    internal static IPAddress ToAddress(uint v) =>
        new([(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v]);
}
