using System.Collections.Immutable;

namespace Troupe.Actors.ReplicaSets;

/// <summary>Pure: what a ReplicaSet should ask for, given its target, its live pods and its in-flight expectations.</summary>
public static class ReplicaSetReconciler
{
    public sealed record Plan(int Create, int Delete);

    public sealed record Candidate(string Name, bool Ready, DateTimeOffset Created);

    /// <summary>
    /// Example: target 5, live 3, 1 creation in flight → create 1 more. Target 1, live 3, 1 deletion in flight →
    /// delete 1 more. Nothing is asked while creations are in flight and more are still missing, so one
    /// difference is never acted on twice. At most <paramref name="burst"/> pods per request.
    /// </summary>
    public static Plan Compute(int target, int live, int expectedCreations, int expectedDeletions, int burst)
    {
        var diff = target - (live + expectedCreations - expectedDeletions);
        if (diff > 0) return new Plan(Math.Min(diff, burst), 0);
        if (diff < 0) return new Plan(0, Math.Min(-diff, burst));
        return new Plan(0, 0);
    }

    /// <summary>Which pods to delete first, as Kubernetes does: not ready before ready, then the newest.</summary>
    public static ImmutableArray<string> ChooseVictims(IEnumerable<Candidate> pods, int count) =>
        pods.OrderBy(p => p.Ready).ThenByDescending(p => p.Created).ThenBy(p => p.Name, StringComparer.Ordinal)
            .Take(count).Select(p => p.Name).ToImmutableArray();
}
