using System.Text;
using System.Text.Json;

namespace Troupe.Api.Dockerfiles;

internal sealed class LineParseException(string message) : Exception(message);

/// <summary>BuildKit's <c>split_command.go</c> and <c>line_parsers.go</c>: one logical line into a <see cref="Node"/>.</summary>
internal static class LineParsers
{
    public static Node NodeFromLine(string line, char escape)
    {
        var trimmed = line.AsSpan().Trim();
        var split = IndexOfDockerWhitespace(trimmed);
        string cmd, args = "";
        var flags = new List<string>();
        if (split < 0) cmd = trimmed.ToString();
        else
        {
            cmd = trimmed[..split].ToString();
            var restStart = split;
            while (restStart < trimmed.Length && IsDockerWhitespace(trimmed[restStart])) restStart++;
            args = ExtractFlags(trimmed[restStart..].ToString(), escape, flags).Trim();
        }
        var node = new Node { Cmd = cmd, Flags = flags, Original = line };
        switch (cmd.ToLowerInvariant())
        {
            case "add" or "copy" or "volume": MaybeJsonToList(node, args); break;
            case "cmd" or "entrypoint" or "run" or "shell": MaybeJson(node, args); break;
            case "arg": node.Values = ParseWords(args, escape); break;
            case "env": NameVal(node, args, "ENV", escape); break;
            case "label": NameVal(node, args, "LABEL", escape); break;
            case "expose" or "from": node.Values = SplitWhitespace(args); break;
            case "maintainer" or "stopsignal" or "user" or "workdir": if (args.Length > 0) node.Values = [args]; break;
            case "healthcheck": HealthConfig(node, args); break;
            case "onbuild": if (args.Length > 0) node.Child = NodeFromLine(args, escape); break;
        }
        return node;
    }

    private static bool IsDockerWhitespace(char c) => c is '\t' or '\v' or '\f' or '\r' or ' ';

    private static int IndexOfDockerWhitespace(ReadOnlySpan<char> s)
    {
        for (var i = 0; i < s.Length; i++) if (IsDockerWhitespace(s[i])) return i;
        return -1;
    }

    private static List<string> SplitWhitespace(string s)
    {
        var words = new List<string>();
        var start = -1;
        for (var i = 0; i <= s.Length; i++)
        {
            if (i < s.Length && !IsDockerWhitespace(s[i])) { if (start < 0) start = i; continue; }
            if (start >= 0) { words.Add(s[start..i]); start = -1; }
        }
        return words;
    }

    /// <summary>extractBuilderFlags: leading <c>--words</c>, unquoted, up to the first word not starting with
    /// <c>--</c> or a bare <c>--</c>. Returns the rest of the line.</summary>
    private static string ExtractFlags(string line, char escape, List<string> words)
    {
        var sb = new StringBuilder();
        var inWord = false;
        char quote = '\0';
        var blankOk = false;
        for (var pos = 0; pos <= line.Length; pos++)
        {
            var ch = pos < line.Length ? line[pos] : '\0';
            if (!inWord)
            {
                if (pos == line.Length) break;
                if (char.IsWhiteSpace(ch)) continue;
                if (ch != '-' || pos + 1 == line.Length || line[pos + 1] != '-') return line[pos..];
                inWord = true;
            }
            if (pos == line.Length)
            {
                var w = sb.ToString();
                if (w != "--" && (blankOk || w.Length > 0)) words.Add(w);
                break;
            }
            if (quote == '\0')
            {
                if (char.IsWhiteSpace(ch))
                {
                    var w = sb.ToString();
                    inWord = false;
                    if (w == "--") return line[pos..];
                    if (blankOk || w.Length > 0) words.Add(w);
                    sb.Clear();
                    blankOk = false;
                    continue;
                }
                if (ch is '\'' or '"') { quote = ch; blankOk = true; continue; }
                if (ch == escape)
                {
                    if (pos + 1 == line.Length) continue;
                    ch = line[++pos];
                }
                sb.Append(ch);
                continue;
            }
            if (ch == quote) { quote = '\0'; continue; }
            if (ch == escape)
            {
                if (pos + 1 == line.Length) { quote = '\0'; continue; }
                ch = line[++pos];
            }
            sb.Append(ch);
        }
        return "";
    }

    /// <summary>parseWords: words split at unquoted whitespace, quotes and escapes kept.</summary>
    private static List<string> ParseWords(string rest, char escape)
    {
        var words = new List<string>();
        var sb = new StringBuilder();
        var inWord = false;
        char quote = '\0';
        var blankOk = false;
        for (var pos = 0; pos <= rest.Length; pos++)
        {
            var ch = pos < rest.Length ? rest[pos] : '\0';
            if (!inWord && quote == '\0')
            {
                if (pos == rest.Length) break;
                if (char.IsWhiteSpace(ch)) continue;
                inWord = true;
            }
            if (pos == rest.Length)
            {
                if (blankOk || sb.Length > 0) words.Add(sb.ToString());
                break;
            }
            if (quote == '\0')
            {
                if (char.IsWhiteSpace(ch))
                {
                    inWord = false;
                    if (blankOk || sb.Length > 0) words.Add(sb.ToString());
                    sb.Clear();
                    blankOk = false;
                    continue;
                }
                if (ch is '\'' or '"') { quote = ch; blankOk = true; }
                if (ch == escape)
                {
                    if (pos + 1 == rest.Length) continue;
                    sb.Append(ch);
                    ch = rest[++pos];
                }
                sb.Append(ch);
                continue;
            }
            // The opening quote was appended above; from here on we are inside it.
            if (ch == quote) { quote = '\0'; sb.Append(ch); continue; }
            if (ch == escape && quote != '\'')
            {
                if (pos + 1 == rest.Length) { quote = '\0'; continue; }
                sb.Append(ch);
                ch = rest[++pos];
            }
            sb.Append(ch);
        }
        return words;
    }

    private static void NameVal(Node node, string rest, string key, char escape)
    {
        var words = ParseWords(rest, escape);
        if (words.Count == 0) return;
        if (!words[0].Contains('='))
        {
            var split = IndexOfDockerWhitespace(rest);
            if (split < 0) throw new LineParseException($"{key} must have two arguments");
            var valueStart = split;
            while (valueStart < rest.Length && IsDockerWhitespace(rest[valueStart])) valueStart++;
            node.Values = [rest[..split], rest[valueStart..], ""];
            return;
        }
        var values = new List<string>(words.Count * 3);
        foreach (var word in words)
        {
            var eq = word.IndexOf('=');
            if (eq < 0) throw new LineParseException($"Syntax error - can't find = in {GoQuote(word)}. Must be of the form: name=value");
            values.Add(word[..eq]);
            values.Add(word[(eq + 1)..]);
            values.Add("=");
        }
        node.Values = values;
    }

    private static void MaybeJson(Node node, string rest)
    {
        if (rest.Length == 0) return;
        if (TryJson(rest, out var items)) { node.Values = items; node.Json = true; }
        else node.Values = [rest];
    }

    private static void MaybeJsonToList(Node node, string rest)
    {
        if (TryJson(rest, out var items)) { node.Values = items; node.Json = true; }
        else node.Values = SplitWhitespace(rest);
    }

    private static void HealthConfig(Node node, string rest)
    {
        var sep = 0;
        while (sep < rest.Length && !char.IsWhiteSpace(rest[sep])) sep++;
        if (sep == 0) return;
        var next = sep;
        while (next < rest.Length && char.IsWhiteSpace(rest[next])) next++;
        var cmd = new Node { Cmd = "", Flags = [], Original = "" };
        MaybeJson(cmd, rest[next..]);
        node.Values = [rest[..sep], .. cmd.Values];
        node.Json = cmd.Json;
    }

    /// <summary>parseJSON: true when <paramref name="rest"/> is a whole valid JSON array of strings; false when it
    /// is not JSON (the caller falls back to the shell form); throws when it is a JSON array of other things.</summary>
    private static bool TryJson(string rest, out List<string> items)
    {
        items = [];
        var s = rest.AsSpan().TrimStart();
        if (s.Length == 0 || s[0] != '[') return false;
        var bytes = Encoding.UTF8.GetBytes(s.ToString());
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        var notString = false;
        try
        {
            while (reader.Read())
            {
                if (reader.CurrentDepth == 1)
                {
                    if (reader.TokenType == JsonTokenType.String) items.Add(reader.GetString()!);
                    else if (reader.TokenType is not (JsonTokenType.EndArray or JsonTokenType.EndObject)) notString = true;
                }
            }
        }
        catch (JsonException) { items = []; return false; }
        if (notString) throw new LineParseException("when using JSON array syntax, arrays must be comprised of strings only");
        return true;
    }

    /// <summary>ParseHeredoc: a word such as <c>&lt;&lt;EOF</c>, <c>&lt;&lt;-'EOT'</c> or <c>3&lt;&lt;X</c>; null if it is not one.</summary>
    public static Heredoc? ParseHeredoc(string word)
    {
        var i = 0;
        while (i < word.Length && char.IsAsciiDigit(word[i])) i++;
        var fd = i == 0 ? 0 : int.Parse(word.AsSpan(0, i), System.Globalization.CultureInfo.InvariantCulture);
        if (!word.AsSpan(i).StartsWith("<<")) return null;
        i += 2;
        var chomp = i < word.Length && word[i] == '-';
        if (chomp) i++;
        while (i < word.Length && char.IsWhiteSpace(word[i])) i++;
        var rest = word[i..];
        if (rest.Length == 0 || rest.Contains('<')) return null;
        var raw = ShellWords.SplitRaw(rest);
        if (raw.Count != 1) return null;
        var name = ShellWords.Unquote(raw[0]);
        var expand = CountQuotes(name) == CountQuotes(raw[0]);
        return new Heredoc(name, "", expand, chomp, fd);
    }

    private static int CountQuotes(string s)
    {
        var n = 0;
        foreach (var c in s) if (c is '\'' or '"') n++;
        return n;
    }

    /// <summary>ChompHeredocContent: leading tabs removed from every line.</summary>
    public static string ChompLeadingTabs(string s)
    {
        if (!s.Contains('\t')) return s;
        var sb = new StringBuilder(s.Length);
        var atLineStart = true;
        foreach (var c in s)
        {
            if (atLineStart && c == '\t') continue;
            atLineStart = c == '\n';
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Go's %q for ordinary strings.</summary>
    internal static string GoQuote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
