using System.Text.Json;
using Troupe.Runtime.Drivers;

namespace Troupe.Runtime.Oci;

/// <summary>One container as <c>runc list</c>/<c>runc state</c> report it. Status is OCI's, lower case.</summary>
public sealed record OciState(string Id, int Pid, string Status, string Bundle, DateTimeOffset? Created);

/// <summary>
/// The <c>runc</c> command line with one <c>--root</c> (a node's own state folder): start, kill, delete, state, list.
/// Used by <c>RuncDriver</c>. Failures throw <see cref="RuntimeInvocationException"/> with runc's message; kill and
/// delete of a container that does not exist (or already stopped, for kill) are not failures.
/// </summary>
public sealed class Runc(string runcPath, string root)
{
    public string Path { get; } = runcPath;
    public string Root { get; } = root;

    private Task<ProcessRunner.Result> Run(params string[] args) =>
        ProcessRunner.RunAsync(Path, ["--root", Root, .. args]);

    /// <summary><c>runc start</c>: run the created container's process.</summary>
    public async Task StartAsync(string id)
    {
        var r = await Run("start", id);
        if (r.ExitCode != 0) throw new RuntimeInvocationException($"runc start {id}: {Message(r)}");
    }

    /// <summary><c>runc kill ID SIGNAL</c>; false when the container does not exist or is not running.</summary>
    public async Task<bool> KillAsync(string id, int signal)
    {
        var r = await Run("kill", id, signal.ToString());
        if (r.ExitCode == 0) return true;
        var m = Message(r);
        if (IsGone(m)) return false;
        throw new RuntimeInvocationException($"runc kill {id} {signal}: {m}");
    }

    /// <summary><c>runc delete [--force] ID</c>; no error if it does not exist.</summary>
    public async Task DeleteAsync(string id, bool force)
    {
        var r = force ? await Run("delete", "--force", id) : await Run("delete", id);
        if (r.ExitCode != 0 && !IsGone(Message(r)))
            throw new RuntimeInvocationException($"runc delete {id}: {Message(r)}", isTransient: true);
    }

    /// <summary><c>runc state ID</c>; null when runc does not know it.</summary>
    public async Task<OciState?> StateAsync(string id)
    {
        var r = await Run("state", id);
        if (r.ExitCode != 0) return IsGone(Message(r)) ? null : throw new RuntimeInvocationException($"runc state {id}: {Message(r)}");
        using var doc = JsonDocument.Parse(r.Stdout);
        return Parse(doc.RootElement);
    }

    /// <summary><c>runc list --format json</c>: every container under this root.</summary>
    public async Task<IReadOnlyList<OciState>> ListAsync()
    {
        if (!Directory.Exists(Root)) return [];
        var r = await Run("list", "--format", "json");
        if (r.ExitCode != 0) throw new RuntimeInvocationException($"runc list: {Message(r)}", isTransient: true);
        var text = r.Stdout.Trim();
        if (text is "" or "null") return [];
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.EnumerateArray().Select(Parse).ToList();
    }

    private static OciState Parse(JsonElement e) => new(
        e.GetProperty("id").GetString()!,
        e.TryGetProperty("pid", out var pid) ? pid.GetInt32() : 0,
        e.TryGetProperty("status", out var st) ? st.GetString() ?? "unknown" : "unknown",
        e.TryGetProperty("bundle", out var b) ? b.GetString() ?? "" : "",
        e.TryGetProperty("created", out var c) && DateTimeOffset.TryParse(c.GetString(), out var created) ? created : null);

    internal static bool IsGone(string message) =>
        message.Contains("does not exist", StringComparison.OrdinalIgnoreCase)
        || message.Contains("not running", StringComparison.OrdinalIgnoreCase)
        || message.Contains("process already finished", StringComparison.OrdinalIgnoreCase)
        || message.Contains("container not running", StringComparison.OrdinalIgnoreCase);

    /// <summary>runc's logrus line <c>time=... level=error msg="..."</c> reduced to its msg.</summary>
    internal static string Message(ProcessRunner.Result r) => CleanMessage(r.Stderr.Length > 0 ? r.Stderr : r.Stdout);

    internal static string CleanMessage(string text)
    {
        text = text.Trim();
        var i = text.IndexOf("msg=\"", StringComparison.Ordinal);
        if (i < 0) return text;
        var msg = text[(i + 5)..];
        var end = msg.LastIndexOf('"');
        return (end > 0 ? msg[..end] : msg).Replace("\\\"", "\"");
    }
}
