using Troupe.Actors.Deployments;
using Troupe.Api.Objects;
using Xunit;

namespace Troupe.Actors.Tests.Deployments;

/// <summary>
/// The rollout step function, driven to the end as the actor drives it (one step per change of the counts), with
/// pods that become ready as soon as they exist: at no step more than replicas + maxSurge pods are wanted or fewer
/// than replicas - maxUnavailable are ready, and it ends with the new ReplicaSet at replicas and the old at 0.
/// </summary>
public sealed class RollingUpdateSpec
{
    static DeploymentSpec Spec(int replicas, string surge, string unavailable, string type = "RollingUpdate") => new()
    {
        Replicas = replicas,
        Strategy = new DeploymentStrategy { Type = type, RollingUpdate = type == "RollingUpdate" ? new RollingUpdateDeployment { MaxSurge = surge, MaxUnavailable = unavailable } : null },
    };

    /// <summary>Run the rollout from old=replicas to the end; returns the (old, new) targets of every step.</summary>
    static List<(int Old, int New)> Roll(DeploymentSpec spec, int readyDelaySteps = 0)
    {
        var targets = new Dictionary<string, int> { ["old"] = spec.Replicas };
        var live = new Dictionary<string, int> { ["old"] = spec.Replicas, ["new"] = 0 };
        var ready = new Dictionary<string, int> { ["old"] = spec.Replicas, ["new"] = 0 };
        var steps = new List<(int, int)>();
        var surge = DeploymentReconciler.IntOrPercent(spec.Strategy.RollingUpdate?.MaxSurge ?? "0", spec.Replicas, roundUp: true);
        var unavailable = DeploymentReconciler.IntOrPercent(spec.Strategy.RollingUpdate?.MaxUnavailable ?? "0", spec.Replicas, roundUp: false);
        for (var i = 0; i < 100; i++)
        {
            var counts = live.ToDictionary(kv => kv.Key, kv => new DeploymentReconciler.ReplicaSetCounts(kv.Value, ready[kv.Key]));
            var t = DeploymentReconciler.Targets(spec, "new", ["old"], counts, targets, new Dictionary<string, long> { ["old"] = 1, ["new"] = 2 });
            foreach (var (h, n) in t) targets[h] = n;
            steps.Add((t["old"], t["new"]));
            if (spec.Strategy.Type == "RollingUpdate")
            {
                Assert.True(t["old"] + t["new"] <= spec.Replicas + Math.Max(surge, 0) || t["new"] == 0, $"step {i}: {t["old"]}+{t["new"]} over the surge");
                Assert.True(Math.Min(ready["old"], t["old"]) + ready["new"] >= spec.Replicas - Math.Max(unavailable, surge == 0 ? 1 : 0),
                    $"step {i}: too few ready ({ready["old"]} old, {ready["new"]} new) for targets {t["old"]}/{t["new"]}");
            }
            if (t["old"] == 0 && t["new"] == spec.Replicas && live["old"] == 0 && ready["new"] == spec.Replicas) break;
            // the ReplicaSets follow: old pods go at once, new ones start and (after the delay) are ready
            live["old"] = t["old"];
            ready["old"] = Math.Min(ready["old"], t["old"]);
            live["new"] = t["new"];
            ready["new"] = i >= readyDelaySteps ? t["new"] : ready["new"];
        }
        return steps;
    }

    [Theory]
    [InlineData(3, "25%", "25%")]   // surge 1, unavailable 0
    [InlineData(10, "25%", "25%")]  // surge 3, unavailable 2
    [InlineData(4, "0", "1")]
    [InlineData(4, "1", "0")]
    [InlineData(5, "100%", "0")]
    [InlineData(5, "0", "100%")]
    public void A_rolling_update_must_stay_within_surge_and_availability_and_finish(int replicas, string surge, string unavailable)
    {
        var steps = Roll(Spec(replicas, surge, unavailable), readyDelaySteps: 1);
        Assert.Equal((0, replicas), steps[^1]);
        Assert.True(steps.Count > 1, "done in one step: not rolling");
    }

    [Fact]
    public void Three_replicas_with_the_defaults_go_one_pod_at_a_time()
    {
        var steps = Roll(Spec(3, "25%", "25%"));
        Assert.Equal((3, 1), steps[0]); // a surge of one, nothing unavailable
        Assert.Equal((0, 3), steps[^1]);
        Assert.All(steps, s => Assert.True(s.Old + s.New <= 4));
    }

    [Fact]
    public void Recreate_must_bring_the_new_pods_up_only_once_the_old_ones_are_gone()
    {
        var spec = Spec(3, "", "", "Recreate");
        var first = DeploymentReconciler.Targets(spec, "new", ["old"], new Dictionary<string, DeploymentReconciler.ReplicaSetCounts>
            { ["old"] = new(3, 3) }, new Dictionary<string, int> { ["old"] = 3 });
        Assert.Equal((0, 0), (first["old"], first["new"]));
        // the old pods are stopping, not gone: their containers may still hold the volume
        var stopping = DeploymentReconciler.Targets(spec, "new", ["old"], new Dictionary<string, DeploymentReconciler.ReplicaSetCounts>
            { ["old"] = new(0, 0, 0, Terminating: 3) }, new Dictionary<string, int> { ["old"] = 0, ["new"] = 0 });
        Assert.Equal((0, 0), (stopping["old"], stopping["new"]));
        var later = DeploymentReconciler.Targets(spec, "new", ["old"], new Dictionary<string, DeploymentReconciler.ReplicaSetCounts>
            { ["old"] = new(0, 0) }, new Dictionary<string, int> { ["old"] = 0, ["new"] = 0 });
        Assert.Equal((0, 3), (later["old"], later["new"]));
    }

    [Fact]
    public void Just_after_a_recovery_the_pods_on_record_stand_for_counts_not_reported_yet()
    {
        var t = DeploymentReconciler.Targets(Spec(3, "25%", "25%"), "new", ["old"], known: new Dictionary<string, int> { ["old"] = 3 });
        Assert.Equal((3, 1), (t["old"], t["new"]));
    }

    [Fact]
    public void A_plain_scale_and_a_pause_must_not_roll()
    {
        var scaled = DeploymentReconciler.Targets(Spec(5, "25%", "25%"), "new", [], new Dictionary<string, DeploymentReconciler.ReplicaSetCounts> { ["new"] = new(2, 2) },
            new Dictionary<string, int> { ["new"] = 2 });
        Assert.Equal(5, scaled["new"]);
        var paused = DeploymentReconciler.Targets(Spec(5, "25%", "25%") with { Paused = true }, "new", ["old"], null, new Dictionary<string, int> { ["old"] = 5, ["new"] = 0 });
        Assert.Equal((5, 0), (paused["old"], paused["new"]));
    }

    [Fact]
    public void Old_pods_must_stay_until_new_ones_are_available_not_just_ready()
    {
        // minReadySeconds: the new pod is ready but not yet available, so the old one may not go (maxUnavailable 0)
        var spec = Spec(1, "1", "0");
        var counts = new Dictionary<string, DeploymentReconciler.ReplicaSetCounts>
        {
            ["old"] = new(1, 1, 1),
            ["new"] = new(1, 1, 0),
        };
        var revisions = new Dictionary<string, long> { ["old"] = 1, ["new"] = 2 };
        var waiting = DeploymentReconciler.Targets(spec, "new", ["old"], counts, new Dictionary<string, int> { ["old"] = 1, ["new"] = 1 }, revisions);
        Assert.Equal(1, waiting["old"]);
        counts["new"] = new(1, 1, 1);
        var done = DeploymentReconciler.Targets(spec, "new", ["old"], counts, new Dictionary<string, int> { ["old"] = 1, ["new"] = 1 }, revisions);
        Assert.Equal(0, done["old"]);
    }

    [Fact]
    public void Progressing_must_turn_false_once_the_rollout_has_not_moved_for_progressDeadlineSeconds()
    {
        var spec = Spec(2, "1", "0") with { ProgressDeadlineSeconds = 10 };
        var t0 = DateTimeOffset.UnixEpoch;
        var stuck = new Dictionary<string, DeploymentReconciler.ReplicaSetCounts> { ["old"] = new(2, 2), ["new"] = new(1, 0) };
        DeploymentCondition Progressing(DeploymentStatus s) => s.Conditions.Single(c => c.Type == "Progressing");

        var s1 = DeploymentReconciler.Status(spec, 2, "new", stuck, t0, null, "web-new");
        Assert.Equal(("True", "ReplicaSetUpdated"), (Progressing(s1).Status, Progressing(s1).Reason));
        Assert.Equal("ReplicaSet \"web-new\" is progressing.", Progressing(s1).Message);
        Assert.Equal(t0 + TimeSpan.FromSeconds(10), DeploymentReconciler.ProgressDeadline(spec, s1));

        // nothing moves for 9 s: still progressing, the deadline unchanged
        var s2 = DeploymentReconciler.Status(spec, 2, "new", stuck, t0.AddSeconds(9), s1, "web-new");
        Assert.Equal("ReplicaSetUpdated", Progressing(s2).Reason);
        Assert.Equal(t0, Progressing(s2).LastUpdateTime);

        // a pod becomes available: progress, the deadline moves on
        var moving = new Dictionary<string, DeploymentReconciler.ReplicaSetCounts> { ["old"] = new(2, 2), ["new"] = new(1, 1) };
        var s3 = DeploymentReconciler.Status(spec, 2, "new", moving, t0.AddSeconds(9), s2, "web-new");
        Assert.Equal(t0.AddSeconds(9), Progressing(s3).LastUpdateTime);

        // then stuck past the deadline
        var s4 = DeploymentReconciler.Status(spec, 2, "new", moving, t0.AddSeconds(19), s3, "web-new");
        Assert.Equal(("False", "ProgressDeadlineExceeded"), (Progressing(s4).Status, Progressing(s4).Reason));
        Assert.Equal("ReplicaSet \"web-new\" has timed out progressing.", Progressing(s4).Message);
        Assert.Null(DeploymentReconciler.ProgressDeadline(spec, s4));
        // and it stays failed while nothing moves
        Assert.Equal("ProgressDeadlineExceeded", Progressing(DeploymentReconciler.Status(spec, 2, "new", moving, t0.AddSeconds(30), s4, "web-new")).Reason);

        // a new spec is progress again; a completed rollout is NewReplicaSetAvailable
        Assert.Equal("ReplicaSetUpdated", Progressing(DeploymentReconciler.Status(spec, 3, "new", moving, t0.AddSeconds(31), s4, "web-new")).Reason);
        var complete = new Dictionary<string, DeploymentReconciler.ReplicaSetCounts> { ["new"] = new(2, 2) };
        var s5 = DeploymentReconciler.Status(spec, 2, "new", complete, t0.AddSeconds(40), s4, "web-new");
        Assert.Equal(("True", "NewReplicaSetAvailable"), (Progressing(s5).Status, Progressing(s5).Reason));
    }

    [Fact]
    public void Only_old_revisions_beyond_the_history_limit_with_no_pod_left_must_be_pruned()
    {
        var spec = Spec(1, "1", "0") with { RevisionHistoryLimit = 2 };
        var revisions = new Dictionary<string, long> { ["r1"] = 1, ["r2"] = 2, ["r3"] = 3, ["r4"] = 4, ["r5"] = 5 };
        var none = new Dictionary<string, int>();
        var counts = new Dictionary<string, DeploymentReconciler.ReplicaSetCounts> { ["r5"] = new(1, 1) };
        // current r5; keep r4, r3; r1 and r2 go
        Assert.Equal(["r2", "r1"], DeploymentReconciler.Prunable(spec, "r5", revisions, none, counts, none).ToArray());
        // r1 still has a pod on record (terminating): it stays for now
        Assert.Equal(["r2"], DeploymentReconciler.Prunable(spec, "r5", revisions, none, counts, new Dictionary<string, int> { ["r1"] = 1 }).ToArray());
        Assert.Equal(["r2"], DeploymentReconciler.Prunable(spec, "r5", revisions, new Dictionary<string, int> { ["r1"] = 1 }, counts, none).ToArray());
        // r1's last pod is stopping: pruning it now would let a Recreate start the new pods beside it
        var stopping = new Dictionary<string, DeploymentReconciler.ReplicaSetCounts>(counts) { ["r1"] = new(0, 0, 0, Terminating: 1) };
        Assert.Equal(["r2"], DeploymentReconciler.Prunable(spec, "r5", revisions, none, stopping, none).ToArray());
        Assert.Empty(DeploymentReconciler.Prunable(spec with { RevisionHistoryLimit = 10 }, "r5", revisions, none, counts, none).ToArray());
        Assert.Equal(["r4", "r3", "r2", "r1"], DeploymentReconciler.Prunable(spec with { RevisionHistoryLimit = 0 }, "r5", revisions, none, counts, none).ToArray());
    }
}
