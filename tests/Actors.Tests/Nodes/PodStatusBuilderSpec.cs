using Troupe.Actors.Nodes;
using Troupe.Api.Objects;
using Xunit;

namespace Troupe.Actors.Tests.Nodes;

public sealed class PodStatusBuilderSpec
{
    private static readonly DateTimeOffset T = DateTimeOffset.Parse("2026-01-01T00:00:00Z");
    private static ContainerStateTerminated Exit(int code) => new() { ExitCode = code, Reason = code == 0 ? "Completed" : "Error" };

    private static ContainerView Creating(string n = "a") => new(n, "busybox", null, ContainerStage.Creating, 0, "ContainerCreating");
    private static ContainerView Running(string n = "a", int restarts = 0) =>
        new(n, "busybox", "sha256:1", ContainerStage.Running, restarts, StartedAt: T, Pid: 42, ContainerId: "runc://x-a");
    private static ContainerView BackOff(string n = "a") =>
        new(n, "busybox", null, ContainerStage.Waiting, 3, "CrashLoopBackOff", "back-off 4s", LastTerminated: Exit(1));
    private static ContainerView Done(int code, string n = "a") =>
        new(n, "busybox", null, ContainerStage.Terminated, 0, Terminated: Exit(code), ContainerId: "runc://x-a");

    [Fact]
    public void PodStatusBuilder_must_compute_the_phase_as_the_kubelet()
    {
        Assert.Equal("Pending", PodStatusBuilder.Phase([]));
        Assert.Equal("Pending", PodStatusBuilder.Phase([Creating()]));
        Assert.Equal("Pending", PodStatusBuilder.Phase([Running("a"), Creating("b")]));
        Assert.Equal("Running", PodStatusBuilder.Phase([Running()]));
        Assert.Equal("Running", PodStatusBuilder.Phase([BackOff()]));
        Assert.Equal("Running", PodStatusBuilder.Phase([Running("a"), Done(0, "b")]));
        Assert.Equal("Succeeded", PodStatusBuilder.Phase([Done(0, "a"), Done(0, "b")]));
        Assert.Equal("Failed", PodStatusBuilder.Phase([Done(0, "a"), Done(2, "b")]));
    }

    [Fact]
    public void PodStatusBuilder_must_describe_a_running_container()
    {
        var s = PodStatusBuilder.Build([Running(restarts: 2)], "10.0.0.5", T);
        var c = Assert.Single(s.ContainerStatuses);
        Assert.True(c.Ready);
        Assert.Equal(42, c.Pid);
        Assert.Equal("runc://x-a", c.ContainerID);
        Assert.Equal(T, c.State.Running!.StartedAt);
        Assert.Equal(2, c.RestartCount);
        Assert.Equal("10.0.0.5", s.HostIP);
        Assert.Equal(T, s.StartTime);
        Assert.Contains(s.Conditions, x => x is { Type: "Ready", Status: "True" });
    }

    [Fact]
    public void PodStatusBuilder_must_describe_crash_loop_back_off_with_the_last_state()
    {
        var s = PodStatusBuilder.Build([BackOff()], null, T);
        var c = s.ContainerStatuses[0];
        Assert.False(c.Ready);
        Assert.Null(c.Pid);
        Assert.Null(c.ContainerID);
        Assert.Equal("CrashLoopBackOff", c.State.Waiting!.Reason);
        Assert.Equal(1, c.LastState.Terminated!.ExitCode);
        Assert.Contains(s.Conditions, x => x is { Type: "Ready", Status: "False", Reason: "ContainersNotReady" });
    }
}
