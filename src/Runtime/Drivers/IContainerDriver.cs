using System.Collections.Immutable;

namespace Troupe.Runtime.Drivers;

/// <summary>
/// What runs containers on one node: <c>runc</c> (OCI bundle monitored by conmon), <c>process</c> (a host process,
/// no isolation) or <c>fake</c> (in memory, scripted, for scale and chaos figures). Verbs follow OCI:
/// one attempt of a container is created and started, waited on, killed, and deleted.
/// Implementations are thread-safe; every method may be called from any thread.
/// </summary>
public interface IContainerDriver
{
    /// <summary><c>runc</c>, <c>process</c> or <c>fake</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Create and start one attempt of the container <paramref name="launch"/> describes. The first attempt prepares
    /// the root file system (overlay of the image layers); later attempts with the same <c>Id</c> reuse it, as
    /// <c>docker restart</c> does. Throws <see cref="ContainerStartException"/> when the command cannot be run
    /// (not found: ExitCode 127; not executable: 126) and <see cref="RuntimeInvocationException"/> on other failures,
    /// leaving nothing behind for this attempt.
    /// </summary>
    Task<StartedContainer> StartAsync(ContainerLaunch launch, CancellationToken ct = default);

    /// <summary>Completes when the current attempt of <paramref name="id"/> has exited (at once if it already has).</summary>
    Task<ContainerExit> WaitAsync(string id, CancellationToken ct = default);

    /// <summary>Send a signal (15 = SIGTERM, 9 = SIGKILL) to the container's init process; no error if it already exited.</summary>
    Task KillAsync(string id, int signal);

    /// <summary>
    /// Remove the container for good: kill it if running, delete runtime state, unmount and remove its root file
    /// system and cgroups. Log files (under <see cref="ContainerLaunch.LogPath"/>'s folder) are left to the caller.
    /// Idempotent.
    /// </summary>
    Task RemoveAsync(string id);

    /// <summary>
    /// Every container this driver knows on this node, running or stopped, with the labels it was launched with:
    /// what a restarted node adopts (running) or cleans up (stopped, unknown).
    /// </summary>
    Task<IReadOnlyList<ContainerRecord>> ListAsync();

    /// <summary>
    /// Run another process in the running container <paramref name="id"/> (<c>docker exec</c>, <c>kubectl exec</c>,
    /// exec probes): in its namespaces and cgroup, as its user, with its environment plus <see cref="ContainerExec.Env"/>.
    /// Returns the process's exit code; 127 when the command is not found and 126 when it cannot be invoked (Docker's
    /// codes). Cancelling kills the process. Throws <see cref="RuntimeInvocationException"/> when the container is not
    /// running or the runtime fails.
    /// </summary>
    Task<int> ExecAsync(string id, ContainerExec exec, CancellationToken ct = default);

    /// <summary>
    /// Copy <paramref name="stdin"/> to the stdin of the running container <paramref name="id"/>'s main process (it
    /// was launched with <see cref="ContainerLaunch.Stdin"/>) until it ends; then, with
    /// <see cref="ContainerLaunch.StdinOnce"/>, the process reads end-of-file. Completes when the input is delivered
    /// (or the container ended first). Throws <see cref="RuntimeInvocationException"/> when the container is not
    /// running or has no stdin.
    /// </summary>
    Task AttachAsync(string id, Stream stdin, CancellationToken ct = default);
}

/// <summary>
/// A process to run in a running container. <c>Stdin</c> is copied to it until it ends (null: none, the process reads
/// end-of-file); its output goes to <c>Stdout</c> and <c>Stderr</c> (one stream, <c>Stdout</c>, with <c>Tty</c>: a
/// terminal merges them, and turns <c>\n</c> into <c>\r\n</c>).
/// </summary>
public sealed record ContainerExec(ImmutableArray<string> Args, Stream Stdout, Stream Stderr)
{
    public ImmutableArray<string> Env { get; init; } = ImmutableArray<string>.Empty;
    /// <summary>Working directory inside the container; null: the container's own.</summary>
    public string? WorkingDir { get; init; }
    /// <summary><c>UID[:GID]</c>; null: the container's user.</summary>
    public string? User { get; init; }
    public bool Tty { get; init; }
    public Stream? Stdin { get; init; }
}

/// <summary>
/// One container attempt to launch. <c>Args</c> is the final argv (entrypoint and command already merged),
/// <c>Env</c> the final environment (<c>K=V</c>), <c>Layers</c> the unpacked image layer folders, bottom first.
/// <c>LogPath</c>: the file this attempt's stdout and stderr go to, in the Kubernetes CRI log format
/// (<c>2024-01-01T00:00:00.000000000Z stdout F line</c>). Limits are null when unset. <c>Labels</c> are kept
/// with the container and returned by <see cref="IContainerDriver.ListAsync"/>.
/// </summary>
public sealed record ContainerLaunch
{
    public required string Id { get; init; }
    public required ImmutableArray<string> Args { get; init; }
    public ImmutableArray<string> Env { get; init; } = ImmutableArray<string>.Empty;
    public string WorkingDir { get; init; } = "/";
    public string Hostname { get; init; } = "";
    public uint Uid { get; init; }
    public uint Gid { get; init; }
    public ImmutableArray<string> Layers { get; init; } = ImmutableArray<string>.Empty;
    public required string LogPath { get; init; }
    public long? MemoryLimitBytes { get; init; }
    /// <summary>CPU limit in millicores (500 = half a core).</summary>
    public long? CpuMillis { get; init; }
    public long? PidsLimit { get; init; }
    /// <summary>cgroup path relative to each hierarchy's root, e.g. <c>troupe/node1/POD-UID/CONTAINER</c>.</summary>
    public string? CgroupPath { get; init; }
    /// <summary>Join this network namespace (a bind-mounted nsfs path, e.g. <c>$TROUPE_HOME/netns/UID</c> from <c>Networking.PodNetwork</c>); null: a new, empty one.</summary>
    public string? NetworkNamespacePath { get; init; }
    /// <summary>The container's <c>/etc/resolv.conf</c>; null: the host's resolvers (loopback ones left out).</summary>
    public string? ResolvConf { get; init; }
    /// <summary>Keep the main process's stdin open for <see cref="IContainerDriver.AttachAsync"/> (else it reads /dev/null).</summary>
    public bool Stdin { get; init; }
    /// <summary>Close that stdin when the first attached input ends (<c>docker run -i</c>).</summary>
    public bool StdinOnce { get; init; }
    /// <summary>Give the main process a terminal (its output then is one stream, with <c>\r\n</c> line ends).</summary>
    public bool Tty { get; init; }
    /// <summary>Run an init (catatonit) as PID 1 that forwards signals and reaps zombies.</summary>
    public bool Init { get; init; }
    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    /// <summary>Host directories bind-mounted into the container (volumes).</summary>
    public ImmutableArray<BindMount> Mounts { get; init; } = ImmutableArray<BindMount>.Empty;
}

/// <summary>A host directory (<c>Source</c>, absolute) at <c>Destination</c> inside the container.</summary>
public sealed record BindMount(string Source, string Destination, bool ReadOnly);

/// <summary>A started attempt: the container's init process on the host, and when it started.</summary>
public sealed record StartedContainer(string Id, int Pid, DateTimeOffset StartedAt);

/// <summary>
/// How an attempt ended. <c>ExitCode</c> as a shell reports it (128 + signal for a signal);
/// <c>OomKilled</c> when the memory limit killed it.
/// </summary>
public sealed record ContainerExit(string Id, int ExitCode, DateTimeOffset FinishedAt, bool OomKilled = false, int? Signal = null)
{
    /// <summary>Kubernetes' reason: Completed (0), OOMKilled, else Error.</summary>
    public string Reason => OomKilled ? "OOMKilled" : ExitCode == 0 ? "Completed" : "Error";
}

/// <summary>A container found on the node. <c>Status</c>: Created, Running, Paused, Stopped (OCI).</summary>
public sealed record ContainerRecord(string Id, string Status, int? Pid, DateTimeOffset? StartedAt,
    ImmutableSortedDictionary<string, string> Labels, ContainerExit? Exit);

/// <summary>The container's command could not be run (Docker's 126/127) or the launch was invalid.</summary>
public sealed class ContainerStartException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>A runtime call (runc, conmon, mount) failed. <c>IsTransient</c>: worth retrying.</summary>
public sealed class RuntimeInvocationException(string message, bool isTransient = false, Exception? inner = null)
    : Exception(message, inner)
{
    public bool IsTransient { get; } = isTransient;
}
