using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Troupe.Api.Objects;

namespace Troupe.Actors.Nodes;

/// <summary>
/// INTERNAL API. What a PodSandbox keeps in <c>pods/&lt;uid&gt;/state.json</c> so that it survives a node restart:
/// the owner and its epoch, when the pod started, and per container its restart count, last terminated state,
/// backoff position and attempt number (the log file index).
/// </summary>
public sealed record PodSandboxState
{
    public string OwnerKey { get; init; } = "";
    public long Epoch { get; init; }
    public DateTimeOffset? StartTime { get; init; }
    public ImmutableSortedDictionary<string, ContainerRecordState> Containers { get; init; } =
        ImmutableSortedDictionary<string, ContainerRecordState>.Empty;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static PodSandboxState FromJson(string json) =>
        JsonSerializer.Deserialize<PodSandboxState>(json, Json) ?? new PodSandboxState();

    /// <summary>Read the file, or null when absent or unreadable (a torn write is treated as no state).</summary>
    public static async Task<PodSandboxState?> LoadAsync(string path)
    {
        try { return File.Exists(path) ? FromJson(await File.ReadAllTextAsync(path)) : null; }
        catch (Exception e) when (e is IOException or JsonException) { return null; }
    }
}

/// <summary>
/// One container's durable state. <c>Attempt</c>: index of the current (or next) attempt's log file.
/// <c>Terminated</c>: set when the container has finished for good (restartPolicy says no restart).
/// <c>LastExitAt</c>: the finish time of the last exit already counted, so an exit found again after a node restart
/// is not counted twice.
/// </summary>
public sealed record ContainerRecordState
{
    public int RestartCount { get; init; }
    public int Attempt { get; init; }
    public int Backoff { get; init; }
    public ContainerStateTerminated? LastTerminated { get; init; }
    public ContainerStateTerminated? Terminated { get; init; }
    public DateTimeOffset? LastExitAt { get; init; }
    public int StopSignal { get; init; } = 15;
    public string? ImageId { get; init; }
}

/// <summary>INTERNAL API. Small atomic file writes: temp file, flush, rename.</summary>
public static class AtomicFile
{
    public static async Task WriteAsync(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = path + ".tmp";
        await using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(text);
            await fs.WriteAsync(bytes);
            await fs.FlushAsync();
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }
}
