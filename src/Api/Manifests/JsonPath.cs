using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Troupe.Api.Manifests;

/// <summary>
/// kubectl's <c>-o jsonpath=TEMPLATE</c> over a JSON document. Text outside braces is printed as written;
/// inside braces: paths (<c>{.items[*].metadata.name}</c>, <c>$</c> for the root, <c>..name</c> recursive,
/// <c>[N]</c>, <c>[-1]</c>, <c>[a:b]</c>, <c>[*]</c>, <c>.*</c>, <c>['key.with.dots']</c>, filters
/// <c>[?(@.status.phase=="Running")]</c>), string literals (<c>{"\n"}</c>), and
/// <c>{range EXPR}...{end}</c>. Several results of one expression are joined by a space, strings print bare,
/// objects and lists as compact JSON, missing fields as nothing (kubectl's <c>--allow-missing-template-keys</c>).
/// </summary>
public static class JsonPath
{
    /// <exception cref="FormatException">The template is malformed (unclosed brace, range without end, ...).</exception>
    /// <exception cref="JsonException">The input is not JSON.</exception>
    public static string Evaluate(string json, string template)
    {
        var nodes = Parse(template);
        using var doc = JsonDocument.Parse(json);
        var sb = new StringBuilder();
        Run(nodes, doc.RootElement, doc.RootElement, sb);
        return sb.ToString();
    }

    abstract record Node;
    sealed record Text(string Value) : Node;
    sealed record PathExpr(IReadOnlyList<Step> Steps) : Node;
    sealed record Range(PathExpr Over, IReadOnlyList<Node> Body) : Node;

    abstract record Step;
    sealed record Root : Step;
    sealed record Field(string Name) : Step;
    sealed record Recursive(string? Name) : Step;
    sealed record Wildcard : Step;
    sealed record Slice(int? Start, int? End, int StepBy, bool Single) : Step;
    sealed record Filter(IReadOnlyList<Step> Left, string? Op, string? Literal, bool LiteralIsString) : Step;

    static void Run(IReadOnlyList<Node> nodes, JsonElement root, JsonElement current, StringBuilder sb)
    {
        foreach (var n in nodes)
        {
            switch (n)
            {
                case Text t:
                    sb.Append(t.Value);
                    break;
                case PathExpr p:
                    var first = true;
                    foreach (var v in Select(p.Steps, root, current))
                    {
                        if (!first) sb.Append(' ');
                        first = false;
                        Print(v, sb);
                    }
                    break;
                case Range r:
                    foreach (var v in Select(r.Over.Steps, root, current))
                    {
                        if (v.ValueKind == JsonValueKind.Array)
                            foreach (var item in v.EnumerateArray()) Run(r.Body, root, item, sb);
                        else Run(r.Body, root, v, sb);
                    }
                    break;
            }
        }
    }

    static void Print(JsonElement v, StringBuilder sb)
    {
        switch (v.ValueKind)
        {
            case JsonValueKind.String: sb.Append(v.GetString()); break;
            case JsonValueKind.Null: break;
            case JsonValueKind.Object or JsonValueKind.Array:
                var buffer = new ArrayBufferWriter<byte>();
                using (var w = new Utf8JsonWriter(buffer)) v.WriteTo(w);
                sb.Append(Encoding.UTF8.GetString(buffer.WrittenSpan));
                break;
            default: sb.Append(v.GetRawText()); break;
        }
    }

    static List<JsonElement> Select(IReadOnlyList<Step> steps, JsonElement root, JsonElement current)
    {
        var set = new List<JsonElement> { current };
        foreach (var step in steps)
        {
            var next = new List<JsonElement>();
            foreach (var e in set) Apply(step, e, root, next);
            set = next;
        }
        return set;
    }

    static void Apply(Step step, JsonElement e, JsonElement root, List<JsonElement> into)
    {
        switch (step)
        {
            case Root:
                into.Add(root);
                break;
            case Field f:
                if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty(f.Name, out var v)) into.Add(v);
                break;
            case Wildcard:
                if (e.ValueKind == JsonValueKind.Array) into.AddRange(e.EnumerateArray());
                else if (e.ValueKind == JsonValueKind.Object) foreach (var p in e.EnumerateObject()) into.Add(p.Value);
                break;
            case Recursive r:
                Descend(e, r.Name, into);
                break;
            case Slice s:
                if (e.ValueKind != JsonValueKind.Array) break;
                var n = e.GetArrayLength();
                if (s.Single)
                {
                    var i = s.Start!.Value < 0 ? n + s.Start.Value : s.Start.Value;
                    if (i >= 0 && i < n) into.Add(e[i]);
                    break;
                }
                var from = Math.Clamp(s.Start is { } a ? a < 0 ? n + a : a : 0, 0, n);
                var to = Math.Clamp(s.End is { } b ? b < 0 ? n + b : b : n, 0, n);
                for (var i = from; i < to; i += s.StepBy) into.Add(e[i]);
                break;
            case Filter f:
                IEnumerable<JsonElement> candidates = e.ValueKind switch
                {
                    JsonValueKind.Array => e.EnumerateArray(),
                    JsonValueKind.Object => [e],
                    _ => [],
                };
                foreach (var c in candidates)
                    if (Matches(f, c, root)) into.Add(c);
                break;
        }
    }

    static void Descend(JsonElement e, string? name, List<JsonElement> into)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    if (name is null || p.Name == name) into.Add(p.Value);
                    Descend(p.Value, name, into);
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray())
                {
                    if (name is null) into.Add(item);
                    Descend(item, name, into);
                }
                break;
        }
    }

    static bool Matches(Filter f, JsonElement candidate, JsonElement root)
    {
        var left = Select(f.Left, root, candidate);
        if (f.Op is null) return left.Count > 0 && left[0].ValueKind is not (JsonValueKind.Null or JsonValueKind.False);
        foreach (var v in left)
        {
            var cmp = Compare(v, f.Literal!, f.LiteralIsString);
            var ok = f.Op switch
            {
                "==" => cmp == 0,
                "!=" => cmp != 0,
                "<" => cmp is < 0 and not int.MinValue,
                "<=" => cmp is <= 0 and not int.MinValue,
                ">" => cmp > 0,
                ">=" => cmp >= 0,
                _ => false,
            };
            if (ok) return true;
        }
        return false;
    }

    /// <summary>Order of a value and a literal; int.MinValue when they cannot be compared (and are unequal).</summary>
    static int Compare(JsonElement v, string literal, bool literalIsString)
    {
        if (!literalIsString && v.ValueKind == JsonValueKind.Number
            && double.TryParse(literal, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
            return v.GetDouble().CompareTo(d);
        var text = v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Number => v.GetRawText(),
            _ => null,
        };
        if (text is null) return int.MinValue;
        var c = string.CompareOrdinal(text, literal);
        return c == 0 ? 0 : c < 0 ? -1 : 1;
    }

    // ---- parsing ----

    static List<Node> Parse(string template)
    {
        var pos = 0;
        return ParseNodes(template, ref pos, inRange: false, out _);
    }

    static List<Node> ParseNodes(string t, ref int pos, bool inRange, out bool ended)
    {
        ended = false;
        var nodes = new List<Node>();
        var text = new StringBuilder();
        while (pos < t.Length)
        {
            var c = t[pos];
            if (c != '{')
            {
                text.Append(c);
                pos++;
                continue;
            }
            var close = FindClose(t, pos);
            if (close < 0) throw new FormatException($"jsonpath: unclosed '{{' at position {pos + 1} in {t}");
            if (text.Length > 0) { nodes.Add(new Text(text.ToString())); text.Clear(); }
            var inner = t[(pos + 1)..close].Trim();
            pos = close + 1;
            if (inner == "end")
            {
                if (!inRange) throw new FormatException("jsonpath: {end} without {range}");
                if (text.Length > 0) nodes.Add(new Text(text.ToString()));
                ended = true;
                return nodes;
            }
            if (inner.StartsWith("range ", StringComparison.Ordinal) || inner.StartsWith("range\t", StringComparison.Ordinal))
            {
                var over = ParsePath(inner[6..].Trim());
                var body = ParseNodes(t, ref pos, inRange: true, out var closed);
                if (!closed) throw new FormatException("jsonpath: {range} without {end}");
                nodes.Add(new Range(over, body));
                continue;
            }
            if (inner.Length > 0 && inner[0] is '"' or '\'')
            {
                nodes.Add(new Text(Unquote(inner)));
                continue;
            }
            if (inner.Length == 0) continue;
            nodes.Add(ParsePath(inner));
        }
        if (text.Length > 0) nodes.Add(new Text(text.ToString()));
        return nodes;
    }

    static int FindClose(string t, int open)
    {
        char? quote = null;
        var depth = 0;
        for (var i = open + 1; i < t.Length; i++)
        {
            var c = t[i];
            if (quote is { } q)
            {
                if (c == '\\') i++;
                else if (c == q) quote = null;
                continue;
            }
            if (c is '"' or '\'') quote = c;
            else if (c == '[') depth++;
            else if (c == ']') depth--;
            else if (c == '}' && depth <= 0) return i;
        }
        return -1;
    }

    static string Unquote(string s)
    {
        var q = s[0];
        if (s.Length < 2 || s[^1] != q) throw new FormatException($"jsonpath: unterminated string {s}");
        var sb = new StringBuilder();
        for (var i = 1; i < s.Length - 1; i++)
        {
            var c = s[i];
            if (c != '\\' || i + 1 >= s.Length - 1) { sb.Append(c); continue; }
            var e = s[++i];
            sb.Append(e switch { 'n' => '\n', 't' => '\t', 'r' => '\r', '0' => '\0', _ => e });
        }
        return sb.ToString();
    }

    static PathExpr ParsePath(string s)
    {
        var steps = new List<Step>();
        var i = 0;
        if (s.StartsWith('$')) { steps.Add(new Root()); i = 1; }
        else if (s.StartsWith('@')) i = 1;
        else if (s.Length > 0 && s[0] != '.' && s[0] != '[') s = "." + s; // kubectl accepts {metadata.name}
        while (i < s.Length)
        {
            var c = s[i];
            if (c == '.')
            {
                if (i + 1 < s.Length && s[i + 1] == '.')
                {
                    i += 2;
                    if (i < s.Length && s[i] == '[') { steps.Add(new Recursive(null)); continue; }
                    var name = ReadName(s, ref i);
                    steps.Add(new Recursive(name is "*" or "" ? null : name));
                    continue;
                }
                i++;
                if (i >= s.Length) break; // "{.}" is the current node
                if (s[i] == '*') { steps.Add(new Wildcard()); i++; continue; }
                if (s[i] == '[') continue;
                steps.Add(new Field(ReadName(s, ref i)));
                continue;
            }
            if (c == '[')
            {
                var close = MatchingBracket(s, i);
                var inner = s[(i + 1)..close].Trim();
                i = close + 1;
                steps.Add(ParseBracket(inner, s));
                continue;
            }
            throw new FormatException($"jsonpath: unexpected '{c}' in {s}");
        }
        return new PathExpr(steps);
    }

    static string ReadName(string s, ref int i)
    {
        var start = i;
        while (i < s.Length && s[i] is not ('.' or '[')) i++;
        return s[start..i].Trim();
    }

    static int MatchingBracket(string s, int open)
    {
        char? quote = null;
        var depth = 0;
        for (var i = open; i < s.Length; i++)
        {
            var c = s[i];
            if (quote is { } q)
            {
                if (c == '\\') i++;
                else if (c == q) quote = null;
                continue;
            }
            if (c is '"' or '\'') quote = c;
            else if (c == '[') depth++;
            else if (c == ']' && --depth == 0) return i;
        }
        throw new FormatException($"jsonpath: unclosed '[' in {s}");
    }

    static Step ParseBracket(string inner, string whole)
    {
        if (inner == "*") return new Wildcard();
        if (inner.Length > 1 && inner[0] is '\'' or '"') return new Field(Unquote(inner));
        if (inner.StartsWith("?(", StringComparison.Ordinal) && inner.EndsWith(')'))
            return ParseFilter(inner[2..^1].Trim(), whole);
        var parts = inner.Split(':');
        if (parts.Length == 1)
            return new Slice(Int(parts[0], whole), null, 1, Single: true);
        if (parts.Length > 3) throw new FormatException($"jsonpath: bad slice [{inner}] in {whole}");
        int? Opt(string p) => p.Trim().Length == 0 ? null : Int(p, whole);
        var stepBy = parts.Length == 3 && Opt(parts[2]) is { } st ? st : 1;
        if (stepBy <= 0) throw new FormatException($"jsonpath: slice step must be positive in {whole}");
        return new Slice(Opt(parts[0]), Opt(parts[1]), stepBy, Single: false);
    }

    static int Int(string s, string whole) =>
        int.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new FormatException($"jsonpath: \"{s}\" is not an index in {whole}");

    static Step ParseFilter(string expr, string whole)
    {
        string[] ops = ["==", "!=", "<=", ">=", "<", ">"];
        foreach (var op in ops)
        {
            var at = IndexOutsideQuotes(expr, op);
            if (at < 0) continue;
            var left = expr[..at].Trim();
            var right = expr[(at + op.Length)..].Trim();
            var isString = right.Length > 1 && right[0] is '"' or '\'';
            var literal = isString ? Unquote(right) : right;
            return new Filter(ParsePath(left).Steps, op, literal, isString);
        }
        return new Filter(ParsePath(expr).Steps, null, null, false);
    }

    static int IndexOutsideQuotes(string s, string op)
    {
        char? quote = null;
        for (var i = 0; i + op.Length <= s.Length; i++)
        {
            var c = s[i];
            if (quote is { } q) { if (c == q) quote = null; continue; }
            if (c is '"' or '\'') { quote = c; continue; }
            if (string.CompareOrdinal(s, i, op, 0, op.Length) == 0) return i;
        }
        return -1;
    }
}
