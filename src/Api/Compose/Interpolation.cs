using System.Text;

namespace Troupe.Api.Compose;

/// <summary>
/// Compose's variable interpolation in scalar values: <c>${VAR}</c>, <c>$VAR</c>, <c>${VAR:-default}</c> (unset or
/// empty), <c>${VAR-default}</c> (unset), <c>${VAR:?message}</c> / <c>${VAR?message}</c> (an error), <c>${VAR:+alt}</c>
/// / <c>${VAR+alt}</c> (the alternative when set), and <c>$$</c> for a literal <c>$</c>. Defaults may nest
/// (<c>${A:-${B}}</c>). An unset variable without a default is the empty string, as compose (which warns) has it.
/// </summary>
public static class Interpolation
{
    /// <summary>The text with its variables replaced.</summary>
    /// <param name="unset">Called with each variable that was unset and had no default (compose warns about those).</param>
    /// <exception cref="InterpolationException">A <c>:?</c> / <c>?</c> variable is unset, or the syntax is bad.</exception>
    public static string Apply(string text, IReadOnlyDictionary<string, string?> variables, Action<string>? unset = null)
    {
        if (!text.Contains('$')) return text;
        var sb = new StringBuilder(text.Length);
        var i = 0;
        Expand(text, ref i, sb, variables, unset, stopAtBrace: false);
        return sb.ToString();
    }

    static void Expand(string s, ref int i, StringBuilder sb, IReadOnlyDictionary<string, string?> vars, Action<string>? unset, bool stopAtBrace)
    {
        while (i < s.Length)
        {
            var c = s[i];
            if (stopAtBrace && c == '}') return;
            if (c != '$' || i + 1 >= s.Length) { sb.Append(c); i++; continue; }
            var n = s[i + 1];
            if (n == '$') { sb.Append('$'); i += 2; continue; }
            if (n == '{') { i += 2; Braced(s, ref i, sb, vars, unset); continue; }
            if (IsNameStart(n))
            {
                var start = i + 1;
                var end = start;
                while (end < s.Length && IsNameChar(s[end])) end++;
                var name = s[start..end];
                sb.Append(Lookup(vars, name, unset) ?? "");
                i = end;
                continue;
            }
            sb.Append(c); // a lone '$' (before a space, a digit, ...) stays, as compose leaves it
            i++;
        }
        if (stopAtBrace) throw new InterpolationException($"invalid interpolation format for \"{s}\": missing closing brace");
    }

    static void Braced(string s, ref int i, StringBuilder sb, IReadOnlyDictionary<string, string?> vars, Action<string>? unset)
    {
        var start = i;
        while (i < s.Length && IsNameChar(s[i])) i++;
        var name = s[start..i];
        if (name.Length == 0 || !IsNameStart(name[0]))
            throw new InterpolationException($"invalid interpolation format for \"{s}\": \"${{{Until(s, start)}\" is not a variable name");
        if (i >= s.Length) throw new InterpolationException($"invalid interpolation format for \"{s}\": missing closing brace");
        if (s[i] == '}')
        {
            i++;
            sb.Append(Lookup(vars, name, unset) ?? "");
            return;
        }
        var colon = s[i] == ':';
        if (colon) i++;
        if (i >= s.Length || s[i] is not ('-' or '?' or '+'))
            throw new InterpolationException($"invalid interpolation format for \"{s}\": unexpected \"{(i < s.Length ? s[i] : ' ')}\" after ${{{name}");
        var op = s[i++];
        var word = new StringBuilder();
        // The word is expanded lazily in compose; expanding it always differs only for a nested :? in an unused branch.
        Expand(s, ref i, word, vars, op == '?' ? null : unset, stopAtBrace: true);
        i++; // the closing brace
        vars.TryGetValue(name, out var value);
        var isSet = value is not null;
        var isSetNonEmpty = !string.IsNullOrEmpty(value);
        var present = colon ? isSetNonEmpty : isSet;
        switch (op)
        {
            case '-':
                sb.Append(present ? value : word.ToString());
                break;
            case '?':
                if (!present)
                    throw new InterpolationException(word.Length > 0
                        ? $"required variable {name} is missing a value: {word}"
                        : $"required variable {name} is missing a value");
                sb.Append(value);
                break;
            default: // '+'
                if (present) sb.Append(word);
                break;
        }
    }

    static string Until(string s, int start)
    {
        var end = s.IndexOf('}', start);
        return end < 0 ? s[start..] : s[start..(end + 1)];
    }

    static string? Lookup(IReadOnlyDictionary<string, string?> vars, string name, Action<string>? unset)
    {
        if (vars.TryGetValue(name, out var v) && v is not null) return v;
        unset?.Invoke(name);
        return null;
    }

    static bool IsNameStart(char c) => char.IsAsciiLetter(c) || c == '_';
    static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';
}

/// <summary>An interpolation that cannot be done: a required variable is unset, or <c>${</c> is malformed.</summary>
public sealed class InterpolationException(string message) : Exception(message);

/// <summary>
/// Compose's <c>.env</c> and <c>env_file</c> format: <c>KEY=VALUE</c> lines, <c>export KEY=VALUE</c>, <c>#</c>
/// comments (whole lines, or after a space in an unquoted value), single-quoted values literal, double-quoted values
/// with <c>\n</c>, <c>\t</c>, <c>\"</c> and <c>\\</c> escapes (and possibly spanning lines), and a bare <c>KEY</c>
/// (no <c>=</c>) taken from <paramref name="lookup"/> or left out.
/// </summary>
public static class DotEnv
{
    /// <summary>The variables of <paramref name="text"/>, in order (a later line wins).</summary>
    /// <exception cref="FormatException">A line is not <c>KEY=VALUE</c> (with its line number).</exception>
    public static IReadOnlyList<KeyValuePair<string, string>> Parse(string text, Func<string, string?>? lookup = null)
    {
        var result = new List<KeyValuePair<string, string>>();
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n].TrimStart();
            if (n == 0 && line.StartsWith('\uFEFF')) line = line[1..];
            if (line.Length == 0 || line[0] == '#') continue;
            if (line.StartsWith("export ", StringComparison.Ordinal)) line = line[7..].TrimStart();
            var eq = line.IndexOf('=');
            var key = (eq < 0 ? line : line[..eq]).Trim();
            if (key.Length == 0 || key.Any(c => char.IsWhiteSpace(c) || c is '"' or '\''))
                throw new FormatException($"line {n + 1}: \"{lines[n].Trim()}\" is not KEY=VALUE");
            if (eq < 0)
            {
                if (lookup?.Invoke(key) is { } fromEnv) result.Add(new(key, fromEnv));
                continue;
            }
            var raw = line[(eq + 1)..].TrimStart();
            string value;
            if (raw.Length > 0 && raw[0] is '"' or '\'')
            {
                var quote = raw[0];
                var body = new StringBuilder();
                var rest = raw[1..];
                var startLine = n;
                while (true)
                {
                    var close = ClosingQuote(rest, quote);
                    if (close >= 0) { body.Append(rest[..close]); break; }
                    body.Append(rest).Append('\n');
                    if (++n >= lines.Length) throw new FormatException($"line {startLine + 1}: unterminated quoted value for {key}");
                    rest = lines[n];
                }
                value = quote == '"' ? Unescape(body.ToString()) : body.ToString();
            }
            else
            {
                var hash = raw.IndexOf(" #", StringComparison.Ordinal);
                value = (hash >= 0 ? raw[..hash] : raw).Trim();
            }
            result.Add(new(key, value));
        }
        return result;
    }

    static int ClosingQuote(string s, char quote)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (quote == '"' && s[i] == '\\') { i++; continue; }
            if (s[i] == quote) return i;
        }
        return -1;
    }

    static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] != '\\' || i + 1 == s.Length) { sb.Append(s[i]); continue; }
            var c = s[++i];
            sb.Append(c switch { 'n' => '\n', 't' => '\t', 'r' => '\r', _ => c });
        }
        return sb.ToString();
    }

    /// <summary>
    /// The variables a compose file is interpolated with: <c>.env</c> in <paramref name="projectDirectory"/> (when it
    /// exists), or <paramref name="envFile"/> (<c>--env-file</c>, which must exist), overlaid by
    /// <paramref name="environment"/>, which wins, as in docker compose.
    /// </summary>
    /// <exception cref="FormatException">The file has a bad line.</exception>
    /// <exception cref="FileNotFoundException"><paramref name="envFile"/> does not exist.</exception>
    public static IReadOnlyDictionary<string, string?> Variables(string projectDirectory, IReadOnlyDictionary<string, string?> environment, string? envFile = null)
    {
        var vars = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (envFile is not null && !File.Exists(envFile)) throw new FileNotFoundException($"env file {envFile} not found", envFile);
        var path = envFile ?? Path.Combine(projectDirectory, ".env");
        if (File.Exists(path))
            foreach (var (k, v) in Parse(File.ReadAllText(path), name => environment.TryGetValue(name, out var e) ? e : null))
                vars[k] = v;
        foreach (var (k, v) in environment)
            if (v is not null) vars[k] = v;
        return vars;
    }
}
