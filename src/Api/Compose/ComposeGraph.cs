using System.Collections.Immutable;

namespace Troupe.Api.Compose;

/// <summary>One service to start, after the services it waits for have met their conditions.</summary>
/// <param name="Service">The compose service's name.</param>
/// <param name="WaitFor">Its active dependencies and what to wait for of each (started, healthy, completed successfully).</param>
public sealed record ComposeStartStep(string Service, ImmutableSortedDictionary<string, ComposeDependency> WaitFor);

/// <summary>The <c>depends_on</c> graph of a read (so acyclic) <see cref="ComposeFile"/>.</summary>
public static class ComposeGraph
{
    /// <summary>
    /// Every active service once, each after all it depends on (dependencies left out by profiles are dropped);
    /// among services free to start at the same time, by name. <c>compose up</c> applies in this order; <c>down</c>
    /// stops in the reverse.
    /// </summary>
    public static ImmutableArray<ComposeStartStep> StartOrder(ComposeFile file)
    {
        var pending = file.Services.ToDictionary(
            kv => kv.Key,
            kv => kv.Value.DependsOn.Keys.Where(file.Services.ContainsKey).ToHashSet(StringComparer.Ordinal),
            StringComparer.Ordinal);
        var order = ImmutableArray.CreateBuilder<ComposeStartStep>(pending.Count);
        while (pending.Count > 0)
        {
            var ready = pending.Where(kv => kv.Value.Count == 0).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
            if (ready.Count == 0)
                throw new InvalidOperationException("the depends_on graph has a cycle (ComposeReader refuses those)");
            foreach (var name in ready)
            {
                pending.Remove(name);
                var s = file.Services[name];
                order.Add(new ComposeStartStep(name, s.DependsOn.Where(d => file.Services.ContainsKey(d.Key))
                    .ToImmutableSortedDictionary(d => d.Key, d => d.Value, StringComparer.Ordinal)));
                foreach (var deps in pending.Values) deps.Remove(name);
            }
        }
        return order.MoveToImmutable();
    }
}
