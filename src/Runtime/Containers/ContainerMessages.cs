using Akka.Actor;
using Troupe.Runtime.Drivers;

namespace Troupe.Runtime.Containers;

/// <summary>
/// ContainerActor → parent: the attempt runs. <c>ContainerId</c> is the driver's id (the same for every attempt
/// of one pod container); <c>Pid</c> the host pid of its init process.
/// </summary>
public sealed record ContainerStarted(string Name, int Pid, DateTimeOffset StartedAt, string ContainerId);

/// <summary>
/// ContainerActor → parent: the attempt ended on its own. Sent just before the actor fails with
/// <see cref="ContainerExitedException"/>; the parent's supervisor strategy sees the failure first (system
/// messages overtake ordinary ones), so this message is informational.
/// </summary>
public sealed record ContainerExited(string Name, ContainerExit Exit);

/// <summary>
/// Parent → ContainerActor: stop the attempt gracefully. Sends the stop signal, and SIGKILL once
/// <c>GracePeriod</c> has passed. Replies <see cref="ContainerStopped"/> to the parent, then the actor stops
/// (it does not fail).
/// </summary>
public sealed record StopContainer(TimeSpan GracePeriod);

/// <summary>
/// Parent → ContainerActor: send <c>Signal</c> (null: the stop signal) to the running attempt and, with
/// <c>KillAfter</c>, SIGKILL if it still runs then. Unlike <see cref="StopContainer"/> the exit is reported as any
/// exit is (<see cref="ContainerExited"/> and the failure), so the parent records it; <c>docker stop</c> and
/// <c>docker kill</c> are this.
/// </summary>
public sealed record SignalContainer(int? Signal, TimeSpan? KillAfter);

/// <summary>
/// ContainerActor → parent: the attempt is gone after a <see cref="StopContainer"/>. <c>Exit</c> is null when
/// the attempt never started.
/// </summary>
public sealed record ContainerStopped(string Name, ContainerExit? Exit);

/// <summary>
/// Parent → ContainerActor: the driver's wait for the attempt failed or was lost; give up on it. Rarely needed.
/// </summary>
public sealed class StopWatching
{
    public static readonly StopWatching Instance = new();
    private StopWatching() { }
}

/// <summary>
/// How a ContainerActor fails when its attempt ends (or cannot start): the PodSandbox's decider reads
/// <see cref="Exit"/> and asks <see cref="RestartPolicy"/>. <c>StartFailed</c>: the command could not be run
/// (126/127 as Docker, or another runtime error); <c>Message</c> says why.
/// </summary>
public sealed class ContainerExitedException(string name, ContainerExit exit, DateTimeOffset? startedAt,
    bool startFailed = false, string? message = null)
    : Exception(message ?? $"container {name} exited with code {exit.ExitCode} ({exit.Reason})")
{
    public string Name { get; } = name;
    public ContainerExit Exit { get; } = exit;
    /// <summary>When the attempt started; null when it never did.</summary>
    public DateTimeOffset? StartedAt { get; } = startedAt;
    public bool StartFailed { get; } = startFailed;
    /// <summary>The driver's explanation for a start failure, else null.</summary>
    public string? Detail { get; } = message;
}
