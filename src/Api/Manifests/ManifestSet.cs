using System.Collections.Immutable;
using Troupe.Api.Objects;

namespace Troupe.Api.Manifests;

/// <summary>One object read from a manifest, with where each of its fields was written.</summary>
public sealed record ManifestEntry(KubeObject Object, SourceMap Source)
{
    /// <summary><c>file:line</c> of the object's document.</summary>
    public string Location => Source.Line > 0 ? $"{Source.File}:{Source.Line}" : Source.File;
}

/// <summary>A document of a kind Troupe knows but does not run, skipped because the caller asked to.</summary>
public sealed record SkippedObject(string Kind, string ApiVersion, string Namespace, string Name, string File, int Line)
{
    /// <summary><c>file:line: Service/web (v1)</c>.</summary>
    public override string ToString() => $"{File}:{Line}: {Kind}/{Name} ({ApiVersion})";
}

/// <summary>
/// What <see cref="ManifestReader"/> read: the objects in the order written, those skipped as unsupported,
/// and warnings (fields Kubernetes does not know, probably typos).
/// </summary>
public sealed class ManifestSet
{
    public ManifestSet(ImmutableArray<ManifestEntry> entries, ImmutableArray<SkippedObject> skippedObjects,
        ImmutableArray<ManifestProblem> warnings)
    {
        Entries = entries;
        SkippedObjects = skippedObjects;
        Warnings = warnings;
        Objects = entries.Select(e => e.Object).ToImmutableArray();
        Skipped = skippedObjects.Select(s => s.ToString()).ToImmutableArray();
    }

    public static ManifestSet Empty { get; } = new([], [], []);

    public ImmutableArray<KubeObject> Objects { get; }
    public ImmutableArray<ManifestEntry> Entries { get; }

    /// <summary>The skipped documents as <c>file:line: Kind/name (apiVersion)</c>.</summary>
    public ImmutableArray<string> Skipped { get; }
    public ImmutableArray<SkippedObject> SkippedObjects { get; }
    public ImmutableArray<ManifestProblem> Warnings { get; }

    /// <summary>This set followed by <paramref name="other"/> (several files in one apply).</summary>
    public ManifestSet Concat(ManifestSet other) =>
        new(Entries.AddRange(other.Entries), SkippedObjects.AddRange(other.SkippedObjects), Warnings.AddRange(other.Warnings));
}
