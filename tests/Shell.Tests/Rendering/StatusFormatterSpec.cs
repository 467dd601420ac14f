using Troupe.Shell.Rendering;
using Xunit;
using static Troupe.Shell.Tests.Rendering.Fixtures;

namespace Troupe.Shell.Tests.Rendering;

public sealed class StatusFormatterSpec
{
    [Theory]
    [InlineData(RunningPod, "Running")]
    [InlineData(CrashingPod, "CrashLoopBackOff")]
    [InlineData(CompletedPod, "Completed")]
    [InlineData(FailedNoReasonPod, "Signal:9")]
    [InlineData(PendingPod, "ContainerCreating")]
    [InlineData(TerminatingPod, "Terminating")]
    public void Status_must_be_kubectls_display_status(string json, string expected) =>
        Assert.Equal(expected, StatusFormatter.PodStatus(Pod(json)));

    [Fact]
    public void Status_must_show_ExitCode_when_a_terminated_container_has_no_reason_or_signal()
    {
        var json = FailedNoReasonPod.Replace(",\"signal\":9", "").Replace("137", "2");
        Assert.Equal("ExitCode:2", StatusFormatter.PodStatus(Pod(json)));
    }

    [Fact]
    public void Status_must_show_OOMKilled_from_the_terminated_reason()
    {
        var json = FailedNoReasonPod.Replace("\"signal\":9", "\"reason\":\"OOMKilled\"");
        Assert.Equal("OOMKilled", StatusFormatter.PodStatus(Pod(json)));
    }

    [Fact]
    public void Restarts_must_add_the_time_since_the_last_exit()
    {
        Assert.Equal("3 (12s ago)", StatusFormatter.Restarts(Pod(CrashingPod), Now));
        Assert.Equal("0", StatusFormatter.Restarts(Pod(RunningPod), Now));
    }
}
