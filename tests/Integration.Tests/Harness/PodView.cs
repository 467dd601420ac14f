using System.Text.Json;

namespace Troupe.Integration.Tests.Harness;

/// <summary>The fields of a pod from <c>get pods -o json</c> that the tests read (Kubernetes field names).</summary>
public sealed record PodView(string Name, string Phase, IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<ContainerView> Containers, string Json)
{
    public ContainerView Container => Containers.Count > 0
        ? Containers[0]
        : throw new InvalidOperationException($"pod {Name} has no status.containerStatuses: {Json}");

    public bool IsRunning => Phase == "Running" && Containers.Count > 0 && Containers.All(c => c.IsRunning);

    public string? App => Labels.TryGetValue("app", out var a) ? a : null;

    /// <summary><c>spec.nodeName</c>: the node the pod is bound to, or "" while it is not.</summary>
    public string NodeName
    {
        get
        {
            using var doc = JsonDocument.Parse(Json);
            return doc.RootElement.TryGetProperty("spec", out var spec) ? Str(spec, "nodeName") ?? "" : "";
        }
    }

    public static PodView Parse(JsonElement pod)
    {
        var meta = pod.GetProperty("metadata");
        var name = meta.GetProperty("name").GetString()!;
        var labels = new Dictionary<string, string>();
        if (meta.TryGetProperty("labels", out var l) && l.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in l.EnumerateObject()) labels[p.Name] = p.Value.GetString() ?? "";
        }
        var phase = "";
        var containers = new List<ContainerView>();
        if (pod.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.Object)
        {
            phase = Str(status, "phase") ?? "";
            if (status.TryGetProperty("containerStatuses", out var cs) && cs.ValueKind == JsonValueKind.Array)
                containers.AddRange(cs.EnumerateArray().Select(ContainerView.Parse));
        }
        return new PodView(name, phase, labels, containers, pod.GetRawText());
    }

    public static IReadOnlyList<PodView> ParseList(JsonElement list)
    {
        if (!list.TryGetProperty("items", out var items) || items.ValueKind != JsonValueKind.Array)
            throw new InvalidOperationException($"not a List (no items[]): {list.GetRawText()}");
        return items.EnumerateArray().Select(Parse).ToList();
    }

    internal static string? Str(JsonElement e, string prop) =>
        e.TryGetProperty(prop, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    internal static int? Int(JsonElement e, string prop) =>
        e.TryGetProperty(prop, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;

    public override string ToString() =>
        $"{Name} {Phase} [{string.Join(", ", Containers)}]";
}

public sealed record ContainerView(string Name, int RestartCount, bool Ready, string? ContainerId, int? Pid,
    bool Running, string? WaitingReason, string? WaitingMessage, int? ExitCode, string? TerminatedReason,
    string? TerminatedMessage, int? LastExitCode, string? LastReason, string? LastMessage)
{
    public bool IsRunning => Running && Pid is > 0;

    /// <summary>The runc container id: <c>containerID</c> without its <c>runc://</c> scheme.</summary>
    public string? RuncId => ContainerId is null ? null
        : ContainerId.Contains("://") ? ContainerId[(ContainerId.IndexOf("://", StringComparison.Ordinal) + 3)..] : ContainerId;

    public static ContainerView Parse(JsonElement c)
    {
        var running = false;
        string? waiting = null, waitingMessage = null, termReason = null, termMessage = null, lastReason = null, lastMessage = null;
        int? exit = null, lastExit = null;
        if (c.TryGetProperty("state", out var state) && state.ValueKind == JsonValueKind.Object)
        {
            running = state.TryGetProperty("running", out var r) && r.ValueKind == JsonValueKind.Object;
            if (state.TryGetProperty("waiting", out var w) && w.ValueKind == JsonValueKind.Object)
            {
                waiting = PodView.Str(w, "reason");
                waitingMessage = PodView.Str(w, "message");
            }
            if (state.TryGetProperty("terminated", out var t) && t.ValueKind == JsonValueKind.Object)
            {
                exit = PodView.Int(t, "exitCode");
                termReason = PodView.Str(t, "reason");
                termMessage = PodView.Str(t, "message");
            }
        }
        if (c.TryGetProperty("lastState", out var last) && last.ValueKind == JsonValueKind.Object &&
            last.TryGetProperty("terminated", out var lt) && lt.ValueKind == JsonValueKind.Object)
        {
            lastExit = PodView.Int(lt, "exitCode");
            lastReason = PodView.Str(lt, "reason");
            lastMessage = PodView.Str(lt, "message");
        }
        return new ContainerView(
            PodView.Str(c, "name") ?? "",
            PodView.Int(c, "restartCount") ?? 0,
            c.TryGetProperty("ready", out var ready) && ready.ValueKind == JsonValueKind.True,
            PodView.Str(c, "containerID"),
            PodView.Int(c, "pid"),
            running, waiting, waitingMessage, exit, termReason, termMessage, lastExit, lastReason, lastMessage);
    }

    public override string ToString() =>
        $"{Name}: restarts={RestartCount} pid={Pid?.ToString() ?? "-"} id={ContainerId ?? "-"} " +
        (Running ? "running" : WaitingReason is not null ? $"waiting({WaitingReason}: {WaitingMessage})"
            : ExitCode is not null ? $"terminated({ExitCode} {TerminatedReason}: {TerminatedMessage})" : "no state") +
        (LastExitCode is not null ? $" last=({LastExitCode} {LastReason}: {LastMessage})" : "");
}
