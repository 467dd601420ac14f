using Troupe.Actors.ReplicaSets;
using Xunit;

namespace Troupe.Actors.Tests.ReplicaSets;

public class ReplicaSetReconcilerSpec
{
    [Theory]
    [InlineData(3, 0, 0, 0, 3, 0)]   // nothing yet: create all
    [InlineData(5, 3, 1, 0, 1, 0)]   // one creation in flight: create only the rest
    [InlineData(5, 3, 2, 0, 0, 0)]   // everything already asked for: do nothing
    [InlineData(1, 3, 0, 0, 0, 2)]   // too many: delete the surplus
    [InlineData(1, 3, 0, 1, 0, 1)]   // one deletion in flight: delete one more
    [InlineData(1, 3, 0, 2, 0, 0)]
    [InlineData(1000, 0, 0, 0, 500, 0)] // burst caps one request
    public void ReplicaSetReconciler_must_never_act_twice_on_one_difference(int target, int live, int creating, int deleting, int create, int delete)
    {
        var plan = ReplicaSetReconciler.Compute(target, live, creating, deleting, burst: 500);
        Assert.Equal(create, plan.Create);
        Assert.Equal(delete, plan.Delete);
    }

    [Fact]
    public void ReplicaSetReconciler_must_delete_unready_then_newest_pods_first()
    {
        var t0 = DateTimeOffset.UnixEpoch;
        var victims = ReplicaSetReconciler.ChooseVictims(
        [
            new("old-ready", true, t0),
            new("new-ready", true, t0.AddMinutes(5)),
            new("old-unready", false, t0),
        ], 2);
        Assert.Equal<string>(["old-unready", "new-ready"], victims);
    }

    [Theory]
    [InlineData("25%", 10, false, 2)]
    [InlineData("25%", 10, true, 3)]
    [InlineData("1", 10, true, 1)]
    [InlineData("0%", 3, true, 0)]
    public void IntOrPercent_must_round_as_kubernetes(string value, int total, bool up, int expected) =>
        Assert.Equal(expected, Troupe.Actors.Deployments.DeploymentReconciler.IntOrPercent(value, total, up));
}
