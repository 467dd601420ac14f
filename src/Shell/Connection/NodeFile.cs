using System.Text.Json;

namespace Troupe.Shell.Connection;

/// <summary>
/// <c>$TROUPE_HOME/node.json</c> as the node writes it once it accepts commands:
/// <c>{"pid":N,"address":"host:port","api":null,"socket":"/path/troupe.sock","name":..,"driver":..}</c>.
/// </summary>
public sealed record NodeFile(int Pid, string? Address, string? Api, string Socket, string? Name, string? Driver)
{
    public static string PathIn(string home) => System.IO.Path.Combine(home, "node.json");

    /// <summary>The node file in <paramref name="home"/>, or null when there is none or it cannot be read.</summary>
    public static NodeFile? Read(string home)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(PathIn(home)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            var pid = root.TryGetProperty("pid", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : 0;
            return new NodeFile(pid, Str(root, "address"), Str(root, "api"),
                Str(root, "socket") ?? System.IO.Path.Combine(home, "troupe.sock"), Str(root, "name"), Str(root, "driver"));
        }
        catch (JsonException) { return null; }
    }

    static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

/// <summary>Is a process alive? (Linux: <c>/proc/PID</c>, not a zombie.)</summary>
public static class Processes
{
    public static bool IsAlive(int pid)
    {
        if (pid <= 0) return false;
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            return close < 0 || close + 2 >= stat.Length || stat[close + 2] != 'Z';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }
}
