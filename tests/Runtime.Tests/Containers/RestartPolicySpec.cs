using Troupe.Runtime.Containers;
using Troupe.Runtime.Drivers;
using Xunit;

namespace Troupe.Runtime.Tests.Containers;

public sealed class RestartPolicySpec
{
    private static ContainerExit Exit(int code, bool oom = false) => new("c", code, DateTimeOffset.UnixEpoch, oom);

    [Theory]
    [InlineData("Always", 0, false, RestartDecision.Restart)]
    [InlineData("Always", 1, false, RestartDecision.Restart)]
    [InlineData("Always", 137, true, RestartDecision.Restart)]
    [InlineData("OnFailure", 0, false, RestartDecision.Terminate)]
    [InlineData("OnFailure", 1, false, RestartDecision.Restart)]
    [InlineData("OnFailure", 127, false, RestartDecision.Restart)]
    [InlineData("OnFailure", 0, true, RestartDecision.Restart)]
    [InlineData("Never", 0, false, RestartDecision.Terminate)]
    [InlineData("Never", 1, false, RestartDecision.Terminate)]
    [InlineData("Never", 137, true, RestartDecision.Terminate)]
    public void RestartPolicy_must_decide_by_policy_and_exit(string policy, int code, bool oom, RestartDecision expected) =>
        Assert.Equal(expected, RestartPolicy.Decide(policy, Exit(code, oom)));

    [Fact]
    public void RestartPolicy_must_refuse_an_unknown_policy()
    {
        var ex = Assert.Throws<ArgumentException>(() => RestartPolicy.Decide("always", Exit(0)));
        Assert.Contains("always", ex.Message);
        Assert.False(RestartPolicy.IsValid("Sometimes"));
        Assert.True(RestartPolicy.IsValid("OnFailure"));
    }

    [Theory]
    [InlineData(0, false, "Completed")]
    [InlineData(2, false, "Error")]
    [InlineData(137, true, "OOMKilled")]
    public void ContainerExit_must_name_the_kubernetes_reason(int code, bool oom, string reason) =>
        Assert.Equal(reason, Exit(code, oom).Reason);
}
