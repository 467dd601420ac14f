using System.Collections.Immutable;

namespace Troupe.Api.Manifests;

/// <summary>
/// Where each field of one object was written: its JSON path (relative to the object, as
/// <see cref="FieldPath"/> builds it) to a 1-based line and column. Fields that were not written are
/// located at their nearest written ancestor, so a missing <c>image</c> points at its container.
/// </summary>
public sealed class SourceMap
{
    readonly ImmutableDictionary<string, (int Line, int Column)> positions;

    public SourceMap(string file, int line, int column, ImmutableDictionary<string, (int Line, int Column)> positions)
    {
        File = file;
        Line = line;
        Column = column;
        this.positions = positions;
    }

    /// <summary>A map for an object with no source (built in code or received over the wire).</summary>
    public static SourceMap None(string source = "") => new(source, 0, 0, ImmutableDictionary<string, (int, int)>.Empty);

    public string File { get; }

    /// <summary>Where the object's document starts.</summary>
    public int Line { get; }
    public int Column { get; }

    /// <summary>The position of <paramref name="path"/>, or of its nearest written ancestor, or of the object.</summary>
    public (int Line, int Column) Locate(string path)
    {
        for (var p = path; p.Length > 0; p = FieldPath.Parent(p))
            if (positions.TryGetValue(p, out var at)) return at;
        return (Line, Column);
    }

    /// <summary>True when <paramref name="path"/> itself was written.</summary>
    public bool Has(string path) => positions.ContainsKey(path);

    /// <summary>A problem located at <paramref name="path"/>.</summary>
    public ManifestProblem Problem(string path, string message)
    {
        var (line, column) = Locate(path);
        return new ManifestProblem(File, line, column, path, message);
    }
}

/// <summary>JSON paths as error messages show them: <c>spec.template.spec.containers[0].ports[1].containerPort</c>,
/// <c>metadata.labels["app.kubernetes.io/name"]</c>.</summary>
public static class FieldPath
{
    /// <summary><paramref name="parent"/>.<paramref name="key"/>, or <c>parent["key"]</c> when the key is not a plain word.</summary>
    public static string Key(string parent, string key)
    {
        var plain = key.Length > 0 && (char.IsAsciiLetter(key[0]) || key[0] == '_');
        foreach (var c in key)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-')) { plain = false; break; }
        if (!plain) return $"{parent}[\"{key.Replace("\\", "\\\\").Replace("\"", "\\\"")}\"]";
        return parent.Length == 0 ? key : $"{parent}.{key}";
    }

    /// <summary><paramref name="parent"/>[<paramref name="index"/>].</summary>
    public static string Index(string parent, int index) => $"{parent}[{index}]";

    /// <summary>The path one level up, or "" at the top.</summary>
    public static string Parent(string path)
    {
        if (path.EndsWith(']'))
        {
            var open = path.EndsWith("\"]") ? path.LastIndexOf("[\"", StringComparison.Ordinal) : path.LastIndexOf('[');
            return open <= 0 ? "" : path[..open];
        }
        var dot = path.LastIndexOf('.');
        return dot < 0 ? "" : path[..dot];
    }
}
