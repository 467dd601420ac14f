using System.Collections.Immutable;
using Troupe.Api.Objects;

namespace Troupe.Actors.Nodes;

/// <summary>Where one pod container is in its life on the node.</summary>
public enum ContainerStage
{
    /// <summary>Image being prepared or the attempt being created (waiting: ContainerCreating, ErrImagePull, ...).</summary>
    Creating,
    Running,
    /// <summary>Between two attempts (waiting: CrashLoopBackOff).</summary>
    Waiting,
    /// <summary>Finished for good (restartPolicy said no restart, or the pod is stopping).</summary>
    Terminated,
}

/// <summary>INTERNAL API. One container as the PodSandbox sees it; the input of <see cref="PodStatusBuilder"/>.</summary>
public sealed record ContainerView(
    string Name,
    string Image,
    string? ImageId,
    ContainerStage Stage,
    int RestartCount,
    string? WaitingReason = null,
    string? WaitingMessage = null,
    DateTimeOffset? StartedAt = null,
    int? Pid = null,
    string? ContainerId = null,
    ContainerStateTerminated? Terminated = null,
    ContainerStateTerminated? LastTerminated = null,
    bool Ready = true,
    bool Started = true);

/// <summary>
/// INTERNAL API. Pure: a pod's <see cref="PodStatus"/> from its containers, as the kubelet computes it.
/// Phase: every container finished for good → Succeeded (all exit 0) or Failed; else any container that has
/// never run yet (creating, or waiting with no last state) → Pending; else Running (a container in
/// CrashLoopBackOff keeps the pod Running).
/// </summary>
public static class PodStatusBuilder
{
    public static string Phase(IReadOnlyList<ContainerView> containers)
    {
        if (containers.Count == 0) return "Pending";
        if (containers.All(c => c.Stage == ContainerStage.Terminated))
            return containers.All(c => c.Terminated?.ExitCode == 0) ? "Succeeded" : "Failed";
        if (containers.Any(c => c.Stage is ContainerStage.Creating or ContainerStage.Waiting
                                && c.LastTerminated is null && c.RestartCount == 0))
            return "Pending";
        return "Running";
    }

    public static ContainerStatus Container(ContainerView c) => new()
    {
        Name = c.Name,
        Image = c.Image,
        ImageID = c.ImageId,
        RestartCount = c.RestartCount,
        // running and, when it has probes, past its startup probe and passing its readiness probe
        Ready = c.Stage == ContainerStage.Running && c.Ready,
        Started = c.Stage == ContainerStage.Running && c.Started,
        ContainerID = c.Stage is ContainerStage.Running or ContainerStage.Terminated ? c.ContainerId : null,
        Pid = c.Stage == ContainerStage.Running ? c.Pid : null,
        State = c.Stage switch
        {
            ContainerStage.Running => new ContainerState { Running = new ContainerStateRunning(c.StartedAt ?? DateTimeOffset.UnixEpoch) },
            ContainerStage.Terminated => new ContainerState { Terminated = c.Terminated },
            _ => new ContainerState { Waiting = new ContainerStateWaiting(c.WaitingReason ?? "ContainerCreating", c.WaitingMessage) },
        },
        LastState = c.LastTerminated is null ? new ContainerState() : new ContainerState { Terminated = c.LastTerminated },
    };

    public static PodStatus Build(IReadOnlyList<ContainerView> containers, string? hostIP, DateTimeOffset? startTime)
    {
        var phase = Phase(containers);
        static bool IsReady(ContainerView c) => c.Stage == ContainerStage.Running && c.Ready;
        var ready = containers.Count > 0 && containers.All(IsReady);
        var readyText = ready ? "True" : "False";
        string? notReadyReason = ready ? null : phase is "Succeeded" or "Failed" ? "PodCompleted" : "ContainersNotReady";
        string? notReadyMessage = ready || notReadyReason == "PodCompleted" ? null
            : $"containers with unready status: [{string.Join(" ", containers.Where(c => !IsReady(c)).Select(c => c.Name))}]";
        return new PodStatus
        {
            Phase = phase,
            HostIP = hostIP,
            StartTime = startTime,
            Conditions =
            [
                new PodCondition("Initialized", "True"),
                new PodCondition("Ready", readyText, null, notReadyReason, notReadyMessage),
                new PodCondition("ContainersReady", readyText, null, notReadyReason, notReadyMessage),
                new PodCondition("PodScheduled", "True"),
            ],
            ContainerStatuses = containers.Select(Container).ToImmutableArray(),
        };
    }
}
