using System.Collections.Immutable;
using Troupe.Api.Objects;

namespace Troupe.Actors.Deployments;

/// <summary>
/// Pure: how many replicas each ReplicaSet (by pod-template hash) of a Deployment should have now, and the
/// Deployment's status from its ReplicaSets' counts.
/// </summary>
public static class DeploymentReconciler
{
    /// <summary>Observed counts of one ReplicaSet: pods that exist (not terminating), ready ones.</summary>
    public sealed record ReplicaSetCounts(int Replicas, int Ready);

    /// <summary>
    /// Targets per hash. The current template's ReplicaSet gets <c>spec.replicas</c>; every older one 0.
    /// (Rolling updates that honour maxSurge/maxUnavailable replace this rule in a later issue.)
    /// </summary>
    public static ImmutableSortedDictionary<string, int> Targets(DeploymentSpec spec, string currentHash, IEnumerable<string> hashes)
    {
        var b = ImmutableSortedDictionary.CreateBuilder<string, int>();
        foreach (var h in hashes) b[h] = 0;
        b[currentHash] = spec.Paused ? b.GetValueOrDefault(currentHash) : spec.Replicas;
        return b.ToImmutable();
    }

    public static DeploymentStatus Status(DeploymentSpec spec, long generation, string currentHash,
        IReadOnlyDictionary<string, ReplicaSetCounts> counts, DateTimeOffset now, DeploymentStatus? previous)
    {
        var replicas = counts.Values.Sum(c => c.Replicas);
        var ready = counts.Values.Sum(c => c.Ready);
        var updated = counts.TryGetValue(currentHash, out var cur) ? cur.Replicas : 0;
        var updatedReady = cur?.Ready ?? 0;
        var available = ready;
        var unavailable = Math.Max(0, Math.Max(spec.Replicas, replicas) - available);
        var maxUnavailable = IntOrPercent(spec.Strategy.RollingUpdate?.MaxUnavailable ?? "25%", spec.Replicas, roundUp: false);
        if (spec.Strategy.Type == "Recreate") maxUnavailable = spec.Replicas;
        var isAvailable = available >= spec.Replicas - maxUnavailable;
        var complete = updated == spec.Replicas && updatedReady == spec.Replicas && replicas == spec.Replicas;

        DeploymentCondition Cond(string type, bool status, string reason, string message)
        {
            var s = status ? "True" : "False";
            var prev = previous?.Conditions.FirstOrDefault(c => c.Type == type);
            var transition = prev is not null && prev.Status == s ? prev.LastTransitionTime : now;
            var update = prev is not null && prev.Status == s && prev.Reason == reason ? prev.LastUpdateTime : now;
            return new DeploymentCondition(type, s, reason, message, update, transition);
        }

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
                Cond("Progressing", true, complete ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
                    complete ? "ReplicaSet has successfully progressed." : "ReplicaSet is progressing."),
            ],
        };
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
