using System.Collections.Immutable;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;
using Troupe.Runtime.Drivers;

namespace Troupe.Actors.Nodes;

/// <summary>INTERNAL API. A pod folder found under <c>$TROUPE_HOME/pods/</c>; <c>Pod</c> null when pod.json is missing or unreadable.</summary>
public sealed record PodOnDisk(string Uid, Pod? Pod, PodSandboxState? State);

/// <summary>
/// INTERNAL API. What a starting node does with what it finds: adopt these pods (a PodSandbox each, in adopt
/// mode), remove these containers (ours, but no pod knows them), remove these pod folders (no containers left).
/// </summary>
public sealed record RecoveryPlan(
    ImmutableArray<PodOnDisk> Adopt,
    ImmutableArray<string> RemoveContainers,
    ImmutableArray<string> RemoveDirs);

/// <summary>
/// INTERNAL API. Crash recovery of one node: pure planning (<see cref="Plan"/>) over what the driver lists and what
/// the pod folders hold, plus the IO that gathers them (<see cref="ScanAsync"/>). Containers are ours when their
/// <c>troupe.node</c> label names this node; anything else (another node's, a builder's) is never touched.
/// </summary>
public static class Inventory
{
    public static RecoveryPlan Plan(string nodeName, IReadOnlyList<ContainerRecord> records, IReadOnlyList<PodOnDisk> pods)
    {
        static string? Label(ContainerRecord r, string key) => r.Labels.TryGetValue(key, out var v) ? v : null;
        var ours = records.Where(r => Label(r, ContainerLaunchBuilder.LabelNode) == nodeName
                                      && Label(r, ContainerLaunchBuilder.LabelPodUid) is not null).ToList();
        var adopt = ImmutableArray.CreateBuilder<PodOnDisk>();
        var removeDirs = ImmutableArray.CreateBuilder<string>();
        var removeContainers = ImmutableArray.CreateBuilder<string>();
        var known = new Dictionary<string, Pod>();
        foreach (var p in pods)
        {
            if (p.Pod is null) { removeDirs.Add(p.Uid); continue; }
            var mine = ours.Where(r => Label(r, ContainerLaunchBuilder.LabelPodUid) == p.Uid).ToList();
            if (mine.Count == 0) { removeDirs.Add(p.Uid); continue; }
            known[p.Uid] = p.Pod;
            adopt.Add(p);
        }
        foreach (var r in ours)
        {
            var uid = Label(r, ContainerLaunchBuilder.LabelPodUid)!;
            var name = Label(r, ContainerLaunchBuilder.LabelContainerName);
            if (!known.TryGetValue(uid, out var pod) || pod.Spec.Containers.All(c => c.Name != name))
                removeContainers.Add(r.Id);
        }
        return new RecoveryPlan(adopt.ToImmutable(), removeContainers.ToImmutable(), removeDirs.ToImmutable());
    }

    /// <summary>Read every pod folder under <see cref="NodeSettings.PodsDir"/>.</summary>
    public static async Task<IReadOnlyList<PodOnDisk>> ScanAsync(NodeSettings settings)
    {
        var result = new List<PodOnDisk>();
        if (!Directory.Exists(settings.PodsDir)) return result;
        foreach (var dir in Directory.EnumerateDirectories(settings.PodsDir))
        {
            var uid = Path.GetFileName(dir);
            Pod? pod = null;
            try
            {
                var file = settings.PodFile(uid);
                if (File.Exists(file)) pod = ProtocolJson.DeserializeObject(await File.ReadAllTextAsync(file)) as Pod;
            }
            catch (Exception e) when (e is IOException or System.Text.Json.JsonException) { pod = null; }
            if (pod is not null && pod.Metadata.Uid != uid) pod = pod with { Metadata = pod.Metadata with { Uid = uid } };
            result.Add(new PodOnDisk(uid, pod, await PodSandboxState.LoadAsync(settings.StateFile(uid))));
        }
        return result;
    }

    /// <summary>Total memory from <c>/proc/meminfo</c> in bytes, or null off Linux.</summary>
    public static async Task<long?> MemoryBytesAsync()
    {
        try
        {
            foreach (var line in await File.ReadAllLinesAsync("/proc/meminfo"))
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
                {
                    var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[1]) * 1024;
                }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}
