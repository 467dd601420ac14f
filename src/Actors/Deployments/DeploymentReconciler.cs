using System.Collections.Immutable;
using Troupe.Api.Objects;

namespace Troupe.Actors.Deployments;

/// <summary>
/// Pure: how many replicas each ReplicaSet (by pod-template hash) of a Deployment should have now, and the
/// Deployment's status from its ReplicaSets' counts.
/// </summary>
public static class DeploymentReconciler
{
    /// <summary>
    /// Observed counts of one ReplicaSet: pods that exist (not terminating), ready ones, available ones (ready for
    /// at least the Deployment's <c>minReadySeconds</c>; with 0, the ready ones), and terminating ones (still stopping).
    /// </summary>
    public sealed record ReplicaSetCounts(int Replicas, int Ready, int Available, int Terminating = 0)
    {
        public ReplicaSetCounts(int replicas, int ready) : this(replicas, ready, ready) { }
    }

    /// <summary>
    /// Targets per hash, as Kubernetes' deployment controller computes them, one step per call (it is called again on
    /// every change of the counts). <paramref name="previous"/>: the targets last set (a ReplicaSet not in it is taken
    /// at its live count). <c>Recreate</c>: old ReplicaSets to 0, the current one up once no old pod is left, terminating ones included.
    /// <c>RollingUpdate</c>: the current ReplicaSet grows while all targets stay within replicas + maxSurge (rounded
    /// up); old ones shrink while ready pods stay at least replicas - maxUnavailable (rounded down), the not-ready
    /// old pods first, the oldest ReplicaSet first. Paused: targets stay as they are. <paramref name="known"/>: pods on
    /// record per hash, for ReplicaSets that have not reported since a recovery.
    /// </summary>
    public static ImmutableSortedDictionary<string, int> Targets(DeploymentSpec spec, string currentHash, IEnumerable<string> hashes,
        IReadOnlyDictionary<string, ReplicaSetCounts>? counts = null, IReadOnlyDictionary<string, int>? previous = null,
        IReadOnlyDictionary<string, long>? revisions = null, IReadOnlyDictionary<string, int>? known = null)
    {
        counts ??= new Dictionary<string, ReplicaSetCounts>();
        previous ??= new Dictionary<string, int>();
        var all = hashes.Append(currentHash).Distinct().ToList();
        // what a ReplicaSet has: the target last set, else its live count, else (just recovered, nothing reported yet)
        // the pods the Deployment has on record for it
        int Cur(string h) => previous.TryGetValue(h, out var t) ? t : counts.TryGetValue(h, out var c) ? c.Replicas : known?.GetValueOrDefault(h) ?? 0;
        // availability (ready for minReadySeconds) is what a rollout may not lose
        int Ready(string h) => counts.TryGetValue(h, out var c) ? c.Available : 0;
        var b = ImmutableSortedDictionary.CreateBuilder<string, int>();
        foreach (var h in all) b[h] = Cur(h);
        if (spec.Paused) return b.ToImmutable();
        var replicas = spec.Replicas;
        // oldest first: by revision when known, else by name
        var old = all.Where(h => h != currentHash)
            .OrderBy(h => revisions?.GetValueOrDefault(h) ?? 0).ThenBy(h => h, StringComparer.Ordinal).ToList();

        if (spec.Strategy.Type == "Recreate")
        {
            foreach (var h in old) b[h] = 0;
            // an old pod still stopping counts: the new ones start once every old container is gone (never two on
            // one volume), as Kubernetes' Recreate waits for the old pods to terminate
            var oldLeft = old.Sum(h => counts.TryGetValue(h, out var c) ? c.Replicas + c.Terminating : known?.GetValueOrDefault(h) ?? 0);
            b[currentHash] = oldLeft == 0 ? replicas : Math.Min(Cur(currentHash), replicas);
            return b.ToImmutable();
        }

        var surge = IntOrPercent(spec.Strategy.RollingUpdate?.MaxSurge ?? "25%", replicas, roundUp: true);
        var unavailable = IntOrPercent(spec.Strategy.RollingUpdate?.MaxUnavailable ?? "25%", replicas, roundUp: false);
        if (surge == 0 && unavailable == 0) unavailable = 1; // the validator refuses both 0; never stall

        // scale the current ReplicaSet up within the surge (or down to replicas)
        var current = Cur(currentHash);
        if (current > replicas || old.All(h => b[h] == 0)) current = replicas;
        else if (current < replicas)
        {
            var total = all.Sum(h => b[h]);
            var room = replicas + surge - total;
            if (room > 0) current = Math.Min(replicas, current + room);
        }
        b[currentHash] = current;

        // scale the old ones down as far as availability allows
        var oldTotal = old.Sum(h => b[h]);
        if (oldTotal > 0)
        {
            var minAvailable = replicas - unavailable;
            var newUnavailable = Math.Max(0, current - Ready(currentHash));
            var budget = old.Sum(h => b[h]) + current - minAvailable - newUnavailable;
            // not-ready old pods cost no availability: they go first
            foreach (var h in old)
            {
                if (budget <= 0) break;
                var unhealthy = Math.Max(0, b[h] - Ready(h));
                var cut = Math.Min(unhealthy, budget);
                b[h] -= cut;
                budget -= cut;
            }
            var readyTotal = all.Sum(Ready);
            var canLose = Math.Max(0, readyTotal - minAvailable);
            foreach (var h in old)
            {
                if (canLose <= 0) break;
                var cut = Math.Min(b[h], canLose);
                b[h] -= cut;
                canLose -= cut;
            }
        }
        return b.ToImmutable();
    }

    /// <summary>
    /// The status from the ReplicaSets' counts, with Kubernetes' conditions. <c>Progressing</c> stays True while the
    /// rollout moves (the new ReplicaSet's counts change, a new generation); once it has not moved for
    /// <c>progressDeadlineSeconds</c> it turns False with reason <c>ProgressDeadlineExceeded</c> (what
    /// <c>rollout status</c> exits 1 on); a completed rollout is True with <c>NewReplicaSetAvailable</c>.
    /// </summary>
    public static DeploymentStatus Status(DeploymentSpec spec, long generation, string currentHash,
        IReadOnlyDictionary<string, ReplicaSetCounts> counts, DateTimeOffset now, DeploymentStatus? previous, string? replicaSetName = null)
    {
        var replicas = counts.Values.Sum(c => c.Replicas);
        var ready = counts.Values.Sum(c => c.Ready);
        var available = counts.Values.Sum(c => c.Available);
        var updated = counts.TryGetValue(currentHash, out var cur) ? cur.Replicas : 0;
        var updatedAvailable = cur?.Available ?? 0;
        var unavailable = Math.Max(0, Math.Max(spec.Replicas, replicas) - available);
        var maxUnavailable = IntOrPercent(spec.Strategy.RollingUpdate?.MaxUnavailable ?? "25%", spec.Replicas, roundUp: false);
        if (spec.Strategy.Type == "Recreate") maxUnavailable = spec.Replicas;
        var isAvailable = available >= spec.Replicas - maxUnavailable;
        var complete = updated == spec.Replicas && updatedAvailable == spec.Replicas && replicas == spec.Replicas;

        DeploymentCondition Cond(string type, bool status, string reason, string message, bool touched = false)
        {
            var s = status ? "True" : "False";
            var prev = previous?.Conditions.FirstOrDefault(c => c.Type == type);
            var transition = prev is not null && prev.Status == s ? prev.LastTransitionTime : now;
            var update = prev is not null && prev.Status == s && prev.Reason == reason && !touched ? prev.LastUpdateTime : now;
            return new DeploymentCondition(type, s, reason, message, update, transition);
        }

        var rs = replicaSetName is null ? "ReplicaSet" : $"ReplicaSet \"{replicaSetName}\"";
        var prevProgressing = previous?.Conditions.FirstOrDefault(c => c.Type == "Progressing");
        // progress as Kubernetes counts it: a new spec, the new ReplicaSet growing, more pods available, old ones gone
        var moved = previous is null || previous.ObservedGeneration != generation || previous.UpdatedReplicas != updated
            || previous.AvailableReplicas < available || previous.Replicas > replicas;
        DeploymentCondition progressing;
        if (complete)
            progressing = Cond("Progressing", true, "NewReplicaSetAvailable", $"{rs} has successfully progressed.");
        else if (spec.Paused)
            progressing = Cond("Progressing", true, "DeploymentPaused", "Deployment is paused");
        else if (moved || prevProgressing is null || prevProgressing.Reason is "NewReplicaSetAvailable" or "DeploymentPaused")
            progressing = Cond("Progressing", true, "ReplicaSetUpdated", $"{rs} is progressing.", touched: true);
        else if (prevProgressing.Status == "False"
                 || now - prevProgressing.LastUpdateTime >= TimeSpan.FromSeconds(spec.ProgressDeadlineSeconds))
            progressing = Cond("Progressing", false, "ProgressDeadlineExceeded", $"{rs} has timed out progressing.");
        else
            progressing = prevProgressing;

        return new DeploymentStatus
        {
            ObservedGeneration = generation,
            Replicas = replicas,
            UpdatedReplicas = updated,
            ReadyReplicas = ready,
            AvailableReplicas = available,
            UnavailableReplicas = unavailable,
            Conditions =
            [
                Cond("Available", isAvailable, isAvailable ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                    isAvailable ? "Deployment has minimum availability." : "Deployment does not have minimum availability."),
                progressing,
            ],
        };
    }

    /// <summary>
    /// When an unfinished rollout would pass its progress deadline (null: it is complete, paused or already failed),
    /// so the Deployment can look again then even if nothing else happens.
    /// </summary>
    public static DateTimeOffset? ProgressDeadline(DeploymentSpec spec, DeploymentStatus status) =>
        status.Conditions.FirstOrDefault(c => c.Type == "Progressing") is { Status: "True", Reason: "ReplicaSetUpdated" } p
            ? p.LastUpdateTime + TimeSpan.FromSeconds(spec.ProgressDeadlineSeconds)
            : null;

    /// <summary>
    /// Old revisions beyond <c>revisionHistoryLimit</c> that can go: no target, no live pod and none on record; the
    /// oldest go first, the newest <c>limit</c> old ones are kept for <c>rollout undo</c>.
    /// </summary>
    public static ImmutableArray<string> Prunable(DeploymentSpec spec, string currentHash, IReadOnlyDictionary<string, long> revisions,
        IReadOnlyDictionary<string, int> targets, IReadOnlyDictionary<string, ReplicaSetCounts> counts, IReadOnlyDictionary<string, int> known)
    {
        var old = revisions.Keys.Where(h => h != currentHash).OrderByDescending(h => revisions[h]).ToList();
        return old.Skip(spec.RevisionHistoryLimit)
            .Where(h => targets.GetValueOrDefault(h) == 0 && (counts.TryGetValue(h, out var c) ? c.Replicas + c.Terminating : 0) == 0 && known.GetValueOrDefault(h) == 0)
            .ToImmutableArray();
    }

    /// <summary>
    /// Kubernetes' int-or-percent: <c>"25%"</c> of 10 replicas is 2 when rounding down (maxUnavailable) and 3 when
    /// rounding up (maxSurge); a plain number is taken as is.
    /// </summary>
    public static int IntOrPercent(string value, int total, bool roundUp)
    {
        if (value.EndsWith('%') && int.TryParse(value[..^1], out var pct))
            return roundUp ? (int)Math.Ceiling(total * pct / 100.0) : (int)Math.Floor(total * pct / 100.0);
        return int.TryParse(value, out var n) ? n : 0;
    }
}
