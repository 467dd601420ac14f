namespace Troupe.Actors.Catalog;

/// <summary>
/// kubectl's <c>-l</c> label selector: <c>a=b</c>, <c>a==b</c>, <c>a!=b</c>, <c>a in (x,y)</c>, <c>a notin (x)</c>,
/// <c>a</c> (exists), <c>!a</c> (does not exist), joined by commas.
/// </summary>
public sealed class LabelQuery
{
    readonly List<Func<IReadOnlyDictionary<string, string>, bool>> _requirements = new();

    public bool Matches(IReadOnlyDictionary<string, string> labels) => _requirements.All(r => r(labels));

    public static bool TryParse(string text, out LabelQuery? query, out string? error)
    {
        query = new LabelQuery();
        error = null;
        foreach (var part in SplitTopLevel(text))
        {
            var p = part.Trim();
            if (p.Length == 0) continue;
            int i;
            if (p.StartsWith('!'))
            {
                var key = p[1..].Trim();
                query._requirements.Add(l => !l.ContainsKey(key));
            }
            else if ((i = p.IndexOf("!=", StringComparison.Ordinal)) > 0)
            {
                var (k, v) = (p[..i].Trim(), p[(i + 2)..].Trim());
                query._requirements.Add(l => !l.TryGetValue(k, out var have) || have != v);
            }
            else if ((i = p.IndexOf('=')) > 0)
            {
                var k = p[..i].Trim();
                var v = p[(i + 1)..].TrimStart('=').Trim();
                query._requirements.Add(l => l.TryGetValue(k, out var have) && have == v);
            }
            else if (p.Contains(" in ", StringComparison.Ordinal) || p.Contains(" notin ", StringComparison.Ordinal))
            {
                var notin = p.Contains(" notin ", StringComparison.Ordinal);
                var op = notin ? " notin " : " in ";
                var k = p[..p.IndexOf(op, StringComparison.Ordinal)].Trim();
                var rest = p[(p.IndexOf(op, StringComparison.Ordinal) + op.Length)..].Trim();
                if (!rest.StartsWith('(') || !rest.EndsWith(')')) { error = $"\"{p}\": values must be in parentheses"; query = null; return false; }
                var values = rest[1..^1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet();
                query._requirements.Add(notin
                    ? l => !l.TryGetValue(k, out var have) || !values.Contains(have)
                    : l => l.TryGetValue(k, out var have) && values.Contains(have));
            }
            else if (p.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or '/'))
            {
                query._requirements.Add(l => l.ContainsKey(p));
            }
            else { error = $"\"{p}\": not a label requirement"; query = null; return false; }
        }
        return true;
    }

    static IEnumerable<string> SplitTopLevel(string s)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '(') depth++;
            else if (s[i] == ')') depth--;
            else if (s[i] == ',' && depth == 0) { yield return s[start..i]; start = i + 1; }
        }
        yield return s[start..];
    }
}
