using System.Collections.Immutable;
using Troupe.Api.Objects;

namespace Troupe.Actors.Scheduling;

/// <summary>
/// The Scheduler's decision as a pure function, as Kubernetes' scheduler: filter the nodes that can run the pod
/// (worker, reachable, resource requests within free capacity, <c>nodeSelector</c> against the node's labels,
/// <c>NoSchedule</c> taints tolerated), then score the rest: fewest pods of the same owner first (spreads one
/// ReplicaSet's replicas over the nodes), then most free CPU and memory (balances the load), then the name.
/// </summary>
public static class Placement
{
    /// <summary>A node as the Scheduler sees it now (allocations include what it placed since the node last reported).</summary>
    public sealed record Candidate(
        string Name,
        bool Schedulable,
        ImmutableSortedDictionary<string, string> Labels,
        ImmutableArray<Taint> Taints,
        long CpuMillis,
        long MemoryBytes,
        int MaxPods,
        long AllocatedCpuMillis,
        long AllocatedMemoryBytes,
        int Pods,
        ImmutableDictionary<string, int> PodsByOwner);

    /// <summary>What one pod needs.</summary>
    public sealed record Request(
        string OwnerKey,
        long CpuMillis,
        long MemoryBytes,
        ImmutableSortedDictionary<string, string> NodeSelector,
        ImmutableArray<Toleration> Tolerations);

    /// <summary>
    /// Places <paramref name="count"/> pods one by one, each placement counted before the next; returns the node of each
    /// placed pod (fewer than asked when the rest fit nowhere) and, when some did not fit, why (kubectl's wording:
    /// <c>0/3 nodes are available: 2 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector.</c>).
    /// </summary>
    public static (ImmutableArray<string> Nodes, string? Reason) Place(IReadOnlyList<Candidate> nodes, Request request, int count)
    {
        var state = nodes.ToDictionary(n => n.Name);
        var placed = ImmutableArray.CreateBuilder<string>(count);
        string? reason = null;
        for (var i = 0; i < count; i++)
        {
            var fit = new List<Candidate>();
            var why = new Dictionary<string, int>();
            foreach (var n in state.Values)
            {
                if (Filter(n, request) is { } no) why[no] = why.GetValueOrDefault(no) + 1;
                else fit.Add(n);
            }
            if (fit.Count == 0)
            {
                reason = $"0/{state.Count} nodes are available: " +
                         string.Join(", ", why.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Value} {kv.Key}")) + ".";
                if (state.Count == 0) reason = "0/0 nodes are available: no worker node has joined the cluster.";
                break;
            }
            var best = fit
                .OrderBy(n => n.PodsByOwner.GetValueOrDefault(request.OwnerKey))
                .ThenByDescending(n => FreeShare(n))
                .ThenBy(n => n.Pods)
                .ThenBy(n => n.Name, StringComparer.Ordinal)
                .First();
            placed.Add(best.Name);
            state[best.Name] = best with
            {
                AllocatedCpuMillis = best.AllocatedCpuMillis + request.CpuMillis,
                AllocatedMemoryBytes = best.AllocatedMemoryBytes + request.MemoryBytes,
                Pods = best.Pods + 1,
                PodsByOwner = best.PodsByOwner.SetItem(request.OwnerKey, best.PodsByOwner.GetValueOrDefault(request.OwnerKey) + 1),
            };
        }
        return (placed.ToImmutable(), reason);
    }

    /// <summary>Why the node cannot take the pod (kubectl's phrase), or null when it can.</summary>
    public static string? Filter(Candidate n, Request r)
    {
        if (!n.Schedulable) return "node(s) were unreachable";
        foreach (var (k, v) in r.NodeSelector)
            if (!n.Labels.TryGetValue(k, out var have) || have != v) return "node(s) didn't match Pod's node affinity/selector";
        foreach (var t in n.Taints)
            if (t.Effect is "NoSchedule" or "NoExecute" && !r.Tolerations.Any(tol => tol.Tolerates(t)))
                return $"node(s) had untolerated taint {{{t.Key}: {t.Value}}}";
        if (n.Pods + 1 > n.MaxPods) return "Too many pods";
        if (r.CpuMillis > 0 && n.AllocatedCpuMillis + r.CpuMillis > n.CpuMillis) return "Insufficient cpu";
        if (r.MemoryBytes > 0 && n.MemoryBytes > 0 && n.AllocatedMemoryBytes + r.MemoryBytes > n.MemoryBytes) return "Insufficient memory";
        return null;
    }

    /// <summary>The free share of CPU and memory, averaged (Kubernetes' LeastAllocated score), 0..1.</summary>
    static double FreeShare(Candidate n)
    {
        var cpu = n.CpuMillis <= 0 ? 0 : 1 - (double)n.AllocatedCpuMillis / n.CpuMillis;
        var mem = n.MemoryBytes <= 0 ? 0 : 1 - (double)n.AllocatedMemoryBytes / n.MemoryBytes;
        return (cpu + mem) / 2;
    }

    /// <summary>
    /// What a pod asks for: each container's <c>requests</c>, or its <c>limits</c> where it has no request (as
    /// Kubernetes defaults requests to limits); init containers run one at a time, so the pod needs the larger of
    /// their largest and the sum of the app containers.
    /// </summary>
    public static (long CpuMillis, long MemoryBytes) Requests(PodSpec spec)
    {
        static (long, long) Of(Container c)
        {
            long cpu = 0, mem = 0;
            var q = c.Resources;
            if ((q.Requests.TryGetValue("cpu", out var rc) || q.Limits.TryGetValue("cpu", out rc)) && rc is not null)
                cpu = Troupe.Actors.Nodes.ResourceQuantity.ParseMillis(rc);
            if ((q.Requests.TryGetValue("memory", out var rm) || q.Limits.TryGetValue("memory", out rm)) && rm is not null)
                mem = Troupe.Actors.Nodes.ResourceQuantity.ParseBytes(rm);
            return (cpu, mem);
        }
        long sumCpu = 0, sumMem = 0, initCpu = 0, initMem = 0;
        foreach (var c in spec.Containers)
        {
            var (cpu, mem) = Of(c);
            sumCpu += cpu;
            sumMem += mem;
        }
        foreach (var c in spec.InitContainers)
        {
            var (cpu, mem) = Of(c);
            initCpu = Math.Max(initCpu, cpu);
            initMem = Math.Max(initMem, mem);
        }
        return (Math.Max(sumCpu, initCpu), Math.Max(sumMem, initMem));
    }
}
