using System.Collections.Immutable;
using System.Globalization;
using YamlDotNet.RepresentationModel;
using Core = YamlDotNet.Core;

namespace Troupe.Api.Manifests;

/// <summary>What a scalar means under the YAML 1.2 core schema (plain scalars only; quoted ones are strings).</summary>
internal enum ScalarKind { Null, Bool, Int, Float, String }

/// <summary>
/// Reads typed values out of one document's node tree, by hand (no reflection): records where every field
/// was written and collects type errors instead of throwing, so one pass reports them all.
/// </summary>
internal sealed class NodeReader(string file, List<ManifestProblem> problems, List<ManifestProblem> warnings)
{
    readonly ImmutableDictionary<string, (int, int)>.Builder positions = ImmutableDictionary.CreateBuilder<string, (int, int)>();

    public string File => file;

    public SourceMap Finish(YamlNode root)
    {
        var map = new SourceMap(file, (int)root.Start.Line, (int)root.Start.Column, positions.ToImmutable());
        positions.Clear();
        return map;
    }

    public void Error(YamlNode node, string path, string message) =>
        problems.Add(new ManifestProblem(file, (int)node.Start.Line, (int)node.Start.Column, path, message));

    public void Warn(YamlNode node, string path, string message) =>
        warnings.Add(new ManifestProblem(file, (int)node.Start.Line, (int)node.Start.Column, path, message));

    void Mark(YamlNode node, string path) => positions[path] = ((int)node.Start.Line, (int)node.Start.Column);

    void MarkIfNew(YamlNode node, string path) => positions.TryAdd(path, ((int)node.Start.Line, (int)node.Start.Column));

    public static ScalarKind Classify(YamlScalarNode s)
    {
        if (!s.Tag.IsEmpty)
        {
            switch (s.Tag.Value)
            {
                case "tag:yaml.org,2002:str": return ScalarKind.String;
                case "tag:yaml.org,2002:int": return ScalarKind.Int;
                case "tag:yaml.org,2002:float": return ScalarKind.Float;
                case "tag:yaml.org,2002:bool": return ScalarKind.Bool;
                case "tag:yaml.org,2002:null": return ScalarKind.Null;
            }
        }
        if (s.Style != Core.ScalarStyle.Plain) return ScalarKind.String;
        var v = s.Value ?? "";
        switch (v)
        {
            case "" or "~" or "null" or "Null" or "NULL": return ScalarKind.Null;
            case "true" or "True" or "TRUE" or "false" or "False" or "FALSE": return ScalarKind.Bool;
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "-.inf" or "+.Inf" or "-.Inf" or ".nan" or ".NaN" or ".NAN":
                return ScalarKind.Float;
        }
        return LooksInteger(v) || v.StartsWith("0x", StringComparison.Ordinal) && v.Length > 2 && v.AsSpan(2).ContainsAnyExcept("0123456789abcdefABCDEF") is false
            ? ScalarKind.Int
            : LooksFloat(v) ? ScalarKind.Float : ScalarKind.String;
    }

    static bool LooksInteger(string v)
    {
        var i = v.Length > 0 && v[0] is '+' or '-' ? 1 : 0;
        if (i == v.Length) return false;
        for (; i < v.Length; i++)
            if (v[i] is < '0' or > '9') return false;
        return true;
    }

    static bool LooksFloat(string v)
    {
        var i = v.Length > 0 && v[0] is '+' or '-' ? 1 : 0;
        var digits = 0;
        var dot = false;
        for (; i < v.Length; i++)
        {
            if (v[i] is >= '0' and <= '9') digits++;
            else if (v[i] == '.' && !dot) dot = true;
            else break;
        }
        if (digits == 0) return false;
        if (i == v.Length) return true;
        if (v[i] is not ('e' or 'E')) return false;
        i++;
        if (i < v.Length && v[i] is '+' or '-') i++;
        if (i == v.Length) return false;
        for (; i < v.Length; i++)
            if (v[i] is < '0' or > '9') return false;
        return true;
    }

    static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s => Classify(s) switch
        {
            ScalarKind.Null => "null",
            ScalarKind.Bool => $"boolean {s.Value}",
            ScalarKind.Int or ScalarKind.Float => $"number {s.Value}",
            _ => $"string \"{s.Value}\"",
        },
        _ => "an alias",
    };

    public static bool IsNull(YamlNode? node) => node is null || node is YamlScalarNode s && Classify(s) == ScalarKind.Null;

    /// <summary>
    /// The entries of a mapping as (key, value, path), keys checked to be strings. Merge keys
    /// (<c>&lt;&lt;: *defaults</c>, or a list of them) are resolved as Kubernetes' YAML reader does: keys written
    /// in the mapping win over merged ones, earlier merged mappings over later ones.
    /// </summary>
    public IEnumerable<(string Key, YamlNode Value, string Path)> Entries(YamlMappingNode map, string path)
    {
        List<YamlMappingNode>? merges = null;
        HashSet<string>? seen = null;
        foreach (var (k, v) in map.Children)
        {
            if (k is not YamlScalarNode ks || ks.Value is null)
            {
                Error(k, path, $"keys must be strings, got {Describe(k)}");
                continue;
            }
            if (ks.Value == "<<" && ks.Style == Core.ScalarStyle.Plain)
            {
                merges ??= [];
                if (v is YamlMappingNode mm) merges.Add(mm);
                else if (v is YamlSequenceNode ms && ms.Children.All(c => c is YamlMappingNode))
                    merges.AddRange(ms.Children.Cast<YamlMappingNode>());
                else Error(v, path, "a merge key (<<) must refer to a mapping or a list of mappings");
                continue;
            }
            var p = FieldPath.Key(path, ks.Value);
            MarkEntry(k, v, p);
            if (merges is not null || seen is not null) (seen ??= []).Add(ks.Value);
            yield return (ks.Value, v, p);
        }
        if (merges is null) yield break;
        seen ??= [];
        foreach (var (k, _) in map.Children)
            if (k is YamlScalarNode { Value: { } name } && name != "<<") seen.Add(name);
        foreach (var source in merges)
        {
            if (++mergeDepth > 16 || ++mergeVisits > 10_000)
            {
                Error(source, path, "merge keys (<<) nest or repeat too much");
                mergeDepth--;
                yield break;
            }
            foreach (var (key, value, _) in Entries(source, path))
            {
                if (!seen.Add(key)) continue;
                var p = FieldPath.Key(path, key);
                yield return (key, value, p);
            }
            mergeDepth--;
        }
    }

    int mergeDepth, mergeVisits;

    /// <summary>A scalar is located at its value; a mapping or list that starts on a later line, at its key.</summary>
    void MarkEntry(YamlNode key, YamlNode value, string path)
    {
        if (value is YamlScalarNode || value.Start.Line == key.Start.Line) Mark(value, path);
        else Mark(key, path);
    }

    public YamlMappingNode? Map(YamlNode? node, string path)
    {
        if (IsNull(node)) return null;
        MarkIfNew(node!, path);
        if (node is YamlMappingNode m) return m;
        Error(node!, path, $"must be a mapping, got {Describe(node!)}");
        return null;
    }

    public YamlSequenceNode? Seq(YamlNode? node, string path)
    {
        if (IsNull(node)) return null;
        MarkIfNew(node!, path);
        if (node is YamlSequenceNode s) return s;
        Error(node!, path, $"must be a list, got {Describe(node!)}");
        return null;
    }

    public string? Str(YamlNode? node, string path)
    {
        if (IsNull(node)) return null;
        Mark(node!, path);
        if (node is YamlScalarNode s && Classify(s) == ScalarKind.String) return s.Value ?? "";
        if (node is YamlScalarNode n)
            Error(node, path, $"must be a string, got {Describe(node)}; quote it: \"{n.Value}\"");
        else
            Error(node!, path, $"must be a string, got {Describe(node!)}");
        return null;
    }

    /// <summary>A string, or a number written plainly (quantities, int-or-string): the text as written.</summary>
    public string? Text(YamlNode? node, string path)
    {
        if (IsNull(node)) return null;
        Mark(node!, path);
        if (node is YamlScalarNode s && Classify(s) is ScalarKind.String or ScalarKind.Int or ScalarKind.Float) return s.Value ?? "";
        Error(node!, path, $"must be a string or a number, got {Describe(node!)}");
        return null;
    }

    public long? Long(YamlNode? node, string path, long min = long.MinValue, long max = long.MaxValue)
    {
        if (IsNull(node)) return null;
        Mark(node!, path);
        if (node is YamlScalarNode s)
        {
            var kind = Classify(s);
            if (kind == ScalarKind.Int && LooksInteger(s.Value!))
            {
                if (long.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max)
                    return v;
                Error(node, path, $"must be an integer between {min} and {max}, got {s.Value}");
                return null;
            }
            if (kind == ScalarKind.String)
            {
                Error(node, path, $"must be an integer, got string \"{s.Value}\"" +
                    (LooksInteger(s.Value ?? "") ? $"; write it without quotes: {s.Value}" : ""));
                return null;
            }
        }
        Error(node!, path, $"must be an integer, got {Describe(node!)}");
        return null;
    }

    public int? Int(YamlNode? node, string path) => (int?)Long(node, path, int.MinValue, int.MaxValue);

    /// <summary>
    /// A file mode (<c>defaultMode</c>, <c>mode</c>): YAML 1.1 reads <c>0644</c> and <c>0o644</c> as octal, as
    /// Kubernetes' reader does (420), a plain <c>420</c> as decimal.
    /// </summary>
    public int? Mode(YamlNode? node, string path)
    {
        if (node is YamlScalarNode { Value: { Length: > 1 } v } s && s.Style == YamlDotNet.Core.ScalarStyle.Plain
            && (v.StartsWith("0o", StringComparison.Ordinal) || v[0] == '0'))
        {
            var digits = v.StartsWith("0o", StringComparison.Ordinal) ? v[2..] : v[1..];
            if (digits.Length > 0 && digits.All(c => c is >= '0' and <= '7'))
            {
                Mark(node, path);
                try { return Convert.ToInt32(digits, 8); }
                catch (OverflowException) { }
            }
        }
        return Int(node, path);
    }

    public bool? Bool(YamlNode? node, string path)
    {
        if (IsNull(node)) return null;
        Mark(node!, path);
        if (node is YamlScalarNode s && Classify(s) == ScalarKind.Bool)
            return s.Value is "true" or "True" or "TRUE";
        Error(node!, path, $"must be true or false, got {Describe(node!)}");
        return null;
    }

    /// <summary>A mapping of string to string (labels, annotations, nodeSelector).</summary>
    public ImmutableSortedDictionary<string, string> StringMap(YamlNode? node, string path, bool allowNumbers = false)
    {
        var map = Map(node, path);
        if (map is null) return ImmutableSortedDictionary<string, string>.Empty;
        var b = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (k, v, p) in Entries(map, path))
        {
            var s = allowNumbers ? Text(v, p) : Str(v, p);
            if (s is null && IsNull(v)) s = "";
            if (s is not null) b[k] = s;
        }
        return b.ToImmutable();
    }

    public ImmutableArray<string> StringList(YamlNode? node, string path)
    {
        var seq = Seq(node, path);
        if (seq is null) return ImmutableArray<string>.Empty;
        var b = ImmutableArray.CreateBuilder<string>(seq.Children.Count);
        var i = 0;
        foreach (var item in seq.Children)
        {
            var p = FieldPath.Index(path, i++);
            var s = Str(item, p);
            if (s is not null) b.Add(s);
            else if (IsNull(item)) Error(item, p, "must be a string, got null");
        }
        return b.ToImmutable();
    }

    /// <summary>The items of a list that must each be a mapping, with their paths.</summary>
    public IEnumerable<(YamlMappingNode Item, string Path)> MapList(YamlNode? node, string path)
    {
        var seq = Seq(node, path);
        if (seq is null) yield break;
        var i = 0;
        foreach (var item in seq.Children)
        {
            var p = FieldPath.Index(path, i++);
            if (IsNull(item)) { Mark(item, p); Error(item, p, "must be a mapping, got null"); continue; }
            var m = Map(item, p);
            if (m is not null) yield return (m, p);
        }
    }
}
