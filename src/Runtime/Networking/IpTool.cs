using System.Text.Json;
using Troupe.Runtime.Oci;

namespace Troupe.Runtime.Networking;

/// <summary>INTERNAL API. Runs iproute2's <c>ip</c> (and <c>nsenter</c>/<c>unshare</c>) and reads its JSON output.</summary>
internal static class IpTool
{
    public const string Ip = "ip", Nsenter = "nsenter", Unshare = "unshare";

    /// <summary>Run <c>ip ARGS</c>; throws <see cref="NetworkSetupException"/> with ip's message on failure.</summary>
    public static async Task<string> RunAsync(params string[] args) => await CheckedAsync(Ip, args);

    /// <summary>Run <c>ip ARGS</c> inside the network namespace at <paramref name="netns"/>.</summary>
    public static Task<string> InNetnsAsync(string netns, params string[] args) =>
        CheckedAsync(Nsenter, [$"--net={netns}", "--", Ip, .. args]);

    /// <summary>
    /// Run several <c>ip</c> commands (one per line, without the leading <c>ip</c>) in one process with
    /// <c>ip -batch</c>, inside <paramref name="netns"/> when given: one process instead of one per command.
    /// </summary>
    public static async Task BatchAsync(string? netns, params string[][] commands)
    {
        var file = Path.Combine(Path.GetTempPath(), $"troupe-ip-{Guid.NewGuid():N}.batch");
        await File.WriteAllLinesAsync(file, commands.Select(c => string.Join(' ', c.Select(Quote))));
        try
        {
            if (netns is null) await CheckedAsync(Ip, ["-batch", file]);
            else await CheckedAsync(Nsenter, [$"--net={netns}", "--", Ip, "-batch", file]);
        }
        finally { File.Delete(file); }
    }

    private static string Quote(string a) =>
        a.Length > 0 && a.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '/' or ':' or '-' or '_') ? a : "\"" + a.Replace("\"", "\\\"") + "\"";

    /// <summary>Run <c>ip ARGS</c>; returns ip's exit code and stderr instead of throwing.</summary>
    public static async Task<ProcessRunner.Result> TryAsync(params string[] args) =>
        await ProcessRunner.RunAsync(Ip, args, TimeSpan.FromSeconds(15));

    public static async Task<string> CheckedAsync(string file, string[] args)
    {
        var r = await ProcessRunner.RunAsync(file, args, TimeSpan.FromSeconds(15));
        if (r.ExitCode != 0)
            throw new NetworkSetupException($"{file} {string.Join(' ', args)} failed (exit {r.ExitCode}): {r.Stderr.Trim()}");
        return r.Stdout;
    }

    /// <summary>A link as <c>ip -j link</c> reports it.</summary>
    public sealed record Link(string Name, string? Master, string? Alias, string? Kind, bool Up);

    /// <summary>Every link of the host's (the caller's) network namespace.</summary>
    public static async Task<IReadOnlyList<Link>> LinksAsync()
    {
        var json = await RunAsync("-j", "-d", "link", "show");
        using var doc = JsonDocument.Parse(json);
        var links = new List<Link>();
        foreach (var l in doc.RootElement.EnumerateArray())
        {
            string? Str(JsonElement e, string p) => e.TryGetProperty(p, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var kind = l.TryGetProperty("linkinfo", out var li) ? Str(li, "info_kind") : null;
            var up = l.TryGetProperty("flags", out var f) && f.EnumerateArray().Any(x => x.GetString() == "UP");
            links.Add(new Link(Str(l, "ifname")!, Str(l, "master"), Str(l, "ifalias"), kind, up));
        }
        return links;
    }

    /// <summary>IPv4 subnets of every link: (link, address/prefix), single addresses (/31, /32) and /0-/7 left out.</summary>
    public static async Task<IReadOnlyList<(string Link, Cidr Net, string Address)>> Ipv4AddressesAsync() =>
        [.. from a in await Ipv4AddressListAsync()
            // a single address (/31, /32: a Service's ClusterIP on a bridge, a point-to-point link) is no subnet
            where a.PrefixLength is >= 8 and <= 30
            select (a.Link, new Cidr(Cidr.ToUInt(a.Address) & Cidr.Mask(a.PrefixLength), a.PrefixLength), a.Address.ToString())];

    /// <summary>Every IPv4 address of every link (<c>ip -j -4 addr show</c>), /32s included, with its prefix length.</summary>
    public static async Task<IReadOnlyList<(string Link, System.Net.IPAddress Address, int PrefixLength)>> Ipv4AddressListAsync()
    {
        var json = await RunAsync("-j", "-4", "addr", "show");
        using var doc = JsonDocument.Parse(json);
        var result = new List<(string, System.Net.IPAddress, int)>();
        foreach (var l in doc.RootElement.EnumerateArray())
        {
            if (!l.TryGetProperty("addr_info", out var infos)) continue;
            var name = l.GetProperty("ifname").GetString()!;
            foreach (var a in infos.EnumerateArray())
            {
                if (!a.TryGetProperty("local", out var local) || !a.TryGetProperty("prefixlen", out var plen)) continue;
                if (!System.Net.IPAddress.TryParse(local.GetString(), out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork) continue;
                result.Add((name, ip, plen.GetInt32()));
            }
        }
        return result;
    }

    /// <summary>True when ip's stderr says the device does not exist.</summary>
    public static bool IsNoSuchDevice(string stderr) =>
        stderr.Contains("Cannot find device", StringComparison.OrdinalIgnoreCase)
        || stderr.Contains("does not exist", StringComparison.OrdinalIgnoreCase);
}

/// <summary>Setting up or tearing down pod networking failed (a bridge, veth, namespace or address step).</summary>
public sealed class NetworkSetupException(string message, Exception? inner = null) : Exception(message, inner);
