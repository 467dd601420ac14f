using System.Text;
using System.Text.Json;

namespace Troupe.Api.Manifests;

/// <summary>
/// Renders JSON (from the protocol's source-generated serialiser) as block-style YAML the way
/// <c>kubectl get -o yaml</c> prints it: <c>key: value</c>, list items as <c>- </c> at the key's indentation,
/// <c>{}</c> and <c>[]</c> for empty collections, strings quoted only when YAML would read them as something
/// else, multi-line strings as <c>|</c> blocks. Property order is the JSON's. No reflection.
/// </summary>
public static class YamlWriter
{
    /// <exception cref="JsonException">The input is not JSON.</exception>
    public static string FromJson(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return FromJson(doc.RootElement);
    }

    public static string FromJson(JsonElement root)
    {
        var sb = new StringBuilder(256);
        switch (root.ValueKind)
        {
            case JsonValueKind.Object when root.EnumerateObject().Any():
                ObjectBody(sb, root, 0, firstInline: false);
                break;
            case JsonValueKind.Array when root.GetArrayLength() > 0:
                ArrayBody(sb, root, 0, firstInline: false);
                break;
            default:
                Scalar(sb, root, 0, leadingSpace: false);
                break;
        }
        return sb.ToString();
    }

    static void ObjectBody(StringBuilder sb, JsonElement obj, int indent, bool firstInline)
    {
        var first = true;
        foreach (var p in obj.EnumerateObject())
        {
            if (!(first && firstInline)) sb.Append(' ', indent);
            first = false;
            sb.Append(Quote(p.Name, isKey: true)).Append(':');
            AfterKey(sb, p.Value, indent);
        }
    }

    static void AfterKey(StringBuilder sb, JsonElement value, int indent)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                if (!value.EnumerateObject().Any()) { sb.Append(" {}\n"); return; }
                sb.Append('\n');
                ObjectBody(sb, value, indent + 2, firstInline: false);
                return;
            case JsonValueKind.Array:
                if (value.GetArrayLength() == 0) { sb.Append(" []\n"); return; }
                sb.Append('\n');
                ArrayBody(sb, value, indent, firstInline: false);
                return;
            default:
                Scalar(sb, value, indent + 2, leadingSpace: true);
                return;
        }
    }

    static void ArrayBody(StringBuilder sb, JsonElement array, int indent, bool firstInline)
    {
        var first = true;
        foreach (var item in array.EnumerateArray())
        {
            if (!(first && firstInline)) sb.Append(' ', indent);
            first = false;
            sb.Append('-');
            switch (item.ValueKind)
            {
                case JsonValueKind.Object when item.EnumerateObject().Any():
                    sb.Append(' ');
                    ObjectBody(sb, item, indent + 2, firstInline: true);
                    break;
                case JsonValueKind.Array when item.GetArrayLength() > 0:
                    sb.Append(' ');
                    ArrayBody(sb, item, indent + 2, firstInline: true);
                    break;
                case JsonValueKind.Object:
                    sb.Append(" {}\n");
                    break;
                case JsonValueKind.Array:
                    sb.Append(" []\n");
                    break;
                default:
                    Scalar(sb, item, indent + 2, leadingSpace: true);
                    break;
            }
        }
    }

    /// <summary>A scalar and its newline; <paramref name="blockIndent"/> is where a | block's lines go.</summary>
    static void Scalar(StringBuilder sb, JsonElement value, int blockIndent, bool leadingSpace)
    {
        if (leadingSpace) sb.Append(' ');
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                var s = value.GetString()!;
                if (s.Contains('\n') && CanBeBlock(s)) Block(sb, s, blockIndent);
                else sb.Append(Quote(s, isKey: false)).Append('\n');
                return;
            case JsonValueKind.True: sb.Append("true\n"); return;
            case JsonValueKind.False: sb.Append("false\n"); return;
            case JsonValueKind.Null or JsonValueKind.Undefined: sb.Append("null\n"); return;
            case JsonValueKind.Object: sb.Append("{}\n"); return;
            case JsonValueKind.Array: sb.Append("[]\n"); return;
            default: sb.Append(value.GetRawText()).Append('\n'); return;
        }
    }

    static bool CanBeBlock(string s)
    {
        if (s[0] is ' ' or '\t' or '\n') return false; // would need an indentation indicator
        foreach (var c in s)
            if (c != '\n' && (char.IsControl(c) || c == '\uFEFF')) return false;
        foreach (var line in s.Split('\n'))
            if (line.EndsWith(' ')) return false; // trailing spaces are fragile in blocks
        return true;
    }

    static void Block(StringBuilder sb, string s, int indent)
    {
        var trailing = 0;
        for (var i = s.Length - 1; i >= 0 && s[i] == '\n'; i--) trailing++;
        sb.Append(trailing switch { 0 => "|-", 1 => "|", _ => "|+" }).Append('\n');
        var body = trailing == 0 ? s : s[..^1];
        foreach (var line in body.Split('\n'))
        {
            if (line.Length > 0) sb.Append(' ', indent).Append(line);
            sb.Append('\n');
        }
    }

    /// <summary>The string as a plain scalar when YAML would read it back as the same string, else double-quoted.</summary>
    public static string Quote(string s, bool isKey = false) => NeedsQuotes(s, isKey) ? DoubleQuoted(s) : s;

    static bool NeedsQuotes(string s, bool isKey)
    {
        if (s.Length == 0) return true;
        if (s[0] is ' ' or '\t' || s[^1] is ' ' or '\t' or ':') return true;
        if (s[0] is '[' or ']' or '{' or '}' or ',' or '#' or '&' or '*' or '!' or '|' or '>' or '\'' or '"' or '%' or '@' or '`')
            return true;
        if (s[0] is '-' or '?' or ':' && (s.Length == 1 || s[1] == ' ')) return true;
        if (s == "<<") return true;
        foreach (var c in s)
            if (char.IsControl(c) || c is '\uFEFF' or '\u2028' or '\u2029' or '\u0085') return true;
        if (s.Contains(": ", StringComparison.Ordinal) || s.Contains(" #", StringComparison.Ordinal)) return true;
        if (isKey && s.Contains('\n')) return true;
        return ReadsAsNonString(s);
    }

    /// <summary>True when a plain scalar would be null, a boolean (YAML 1.1's too), a number or a timestamp.</summary>
    static bool ReadsAsNonString(string s)
    {
        switch (s)
        {
            case "~" or "null" or "Null" or "NULL":
            case "true" or "True" or "TRUE" or "false" or "False" or "FALSE":
            case "yes" or "Yes" or "YES" or "no" or "No" or "NO" or "on" or "On" or "ON" or "off" or "Off" or "OFF":
            case "y" or "Y" or "n" or "N":
            case ".inf" or ".Inf" or ".INF" or "-.inf" or "-.Inf" or "-.INF" or "+.inf" or ".nan" or ".NaN" or ".NAN":
                return true;
        }
        var span = s.AsSpan();
        if (span[0] is '+' or '-' or '.') span = span[1..];
        if (span.Length == 0 || !char.IsAsciiDigit(span[0]) && !(span[0] == '.' && span.Length > 1 && char.IsAsciiDigit(span[1])))
            return false;
        // Numbers (1, 1.5, 1e3, 0x1F, 0o17, 1_000, 1:30) and timestamps (2024-01-01T10:00:00Z).
        foreach (var c in span)
            if (!(char.IsAsciiHexDigit(c) || c is '.' or '_' or ':' or '+' or '-' or 'x' or 'X' or 'o' or 'O' or 'T' or 't' or 'Z' or 'z' or ' '))
                return false;
        return true;
    }

    static string DoubleQuoted(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                case '\r': sb.Append("\\r"); break;
                default:
                    if (char.IsControl(c) || c is '\uFEFF' or '\u2028' or '\u2029' or '\u0085') sb.Append("\\u").Append(((int)c).ToString("X4"));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}
