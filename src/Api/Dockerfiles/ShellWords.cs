using System.Text;

namespace Troupe.Api.Dockerfiles;

/// <summary>The Dockerfile word rules (BuildKit's <c>shell.Lex</c>): quotes, escapes and variables.
/// Outside quotes the escape character makes the next character literal; inside <c>'...'</c> nothing is special;
/// inside <c>"..."</c> it escapes only <c>"</c>, <c>$</c> and itself (other escapes are kept as written).
/// Supported substitutions: <c>$VAR</c>, <c>${VAR}</c>, <c>${VAR:-w}</c>, <c>${VAR-w}</c>, <c>${VAR:+w}</c>,
/// <c>${VAR+w}</c>, <c>${VAR:?msg}</c>, <c>${VAR?msg}</c>; an unset variable expands to nothing.</summary>
public static class ShellWords
{
    /// <summary>Expands variables in <paramref name="text"/> and removes its quotes and escapes.
    /// Throws <see cref="FormatException"/> on a bad substitution or a <c>${VAR:?msg}</c> that fires.</summary>
    public static string Expand(string text, IReadOnlyDictionary<string, string> vars, char escape = '\\')
    {
        var lexer = new Lexer(text, escape, vars);
        return lexer.Word(stopOn: '\0');
    }

    /// <summary>Removes quotes and escapes but leaves <c>$VAR</c> as written (what <c>build --check</c> prints).</summary>
    public static string Unquote(string text, char escape = '\\')
    {
        if (text.IndexOfAny(['\'', '"', escape]) < 0) return text;
        var lexer = new Lexer(text, escape, null);
        return lexer.Word(stopOn: '\0');
    }

    /// <summary>Splits at unquoted whitespace keeping quotes and escapes as written (BuildKit's RawQuotes and
    /// RawEscapes mode, used to find heredoc words).</summary>
    public static List<string> SplitRaw(string text, char escape = '\\')
    {
        var words = new List<string>();
        var sb = new StringBuilder();
        var inWord = false;
        char quote = '\0';
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote == '\0' && char.IsWhiteSpace(c))
            {
                if (inWord) { words.Add(sb.ToString()); sb.Clear(); inWord = false; }
                continue;
            }
            inWord = true;
            sb.Append(c);
            if (quote == '\0')
            {
                if (c == '\'' || c == '"') quote = c;
                else if (c == escape && i + 1 < text.Length) sb.Append(text[++i]);
            }
            else if (c == quote) quote = '\0';
            else if (c == escape && quote == '"' && i + 1 < text.Length) sb.Append(text[++i]);
        }
        if (inWord) words.Add(sb.ToString());
        return words;
    }

    private sealed class Lexer(string text, char escape, IReadOnlyDictionary<string, string>? vars)
    {
        private int _pos;

        public string Word(char stopOn)
        {
            var sb = new StringBuilder();
            while (_pos < text.Length)
            {
                var c = text[_pos];
                if (stopOn != '\0' && c == stopOn) { _pos++; return sb.ToString(); }
                if (c == '\'') { _pos++; SingleQuoted(sb); }
                else if (c == '"') { _pos++; DoubleQuoted(sb); }
                else if (c == '$' && vars is not null) { _pos++; Dollar(sb); }
                else if (c == escape)
                {
                    _pos++;
                    if (_pos < text.Length) sb.Append(text[_pos++]);
                }
                else { sb.Append(c); _pos++; }
            }
            if (stopOn != '\0') throw new FormatException($"unexpected end of statement while looking for matching {stopOn}: {text}");
            return sb.ToString();
        }

        private void SingleQuoted(StringBuilder sb)
        {
            var end = text.IndexOf('\'', _pos);
            if (end < 0) throw new FormatException($"unexpected end of statement while looking for matching single-quote: {text}");
            sb.Append(text, _pos, end - _pos);
            _pos = end + 1;
        }

        private void DoubleQuoted(StringBuilder sb)
        {
            while (_pos < text.Length)
            {
                var c = text[_pos];
                if (c == '"') { _pos++; return; }
                if (c == '$' && vars is not null) { _pos++; Dollar(sb); continue; }
                if (c == escape)
                {
                    if (_pos + 1 >= text.Length) { _pos++; continue; }
                    var n = text[_pos + 1];
                    if (n == '"' || n == '$' || n == escape) { sb.Append(n); _pos += 2; continue; }
                }
                sb.Append(c);
                _pos++;
            }
            throw new FormatException($"unexpected end of statement while looking for matching double-quote: {text}");
        }

        private void Dollar(StringBuilder sb)
        {
            if (_pos >= text.Length) { sb.Append('$'); return; }
            if (text[_pos] != '{')
            {
                var name = Name();
                if (name.Length == 0) { sb.Append('$'); return; }
                sb.Append(Lookup(name, out _));
                return;
            }
            _pos++;
            var varName = Name();
            if (varName.Length == 0) throw new FormatException($"bad substitution: {text}");
            if (_pos >= text.Length) throw new FormatException($"missing '}}' in substitution: {text}");
            var c = text[_pos];
            if (c == '}') { _pos++; sb.Append(Lookup(varName, out _)); return; }
            var colon = c == ':';
            if (colon)
            {
                _pos++;
                if (_pos >= text.Length) throw new FormatException($"missing '}}' in substitution: {text}");
                c = text[_pos];
            }
            if (c != '-' && c != '+' && c != '?') throw new FormatException($"unsupported modifier ({c}) in substitution: {text}");
            _pos++;
            var word = Word(stopOn: '}');
            var value = Lookup(varName, out var set);
            var present = colon ? set && value.Length > 0 : set;
            switch (c)
            {
                case '-': sb.Append(present ? value : word); break;
                case '+': sb.Append(present ? word : ""); break;
                default:
                    if (!present) throw new FormatException($"{varName}: {(word.Length > 0 ? word : "is not allowed to be unset")}");
                    sb.Append(value);
                    break;
            }
        }

        private string Name()
        {
            var start = _pos;
            while (_pos < text.Length && (char.IsAsciiLetterOrDigit(text[_pos]) || text[_pos] == '_')) _pos++;
            return text[start.._pos];
        }

        private string Lookup(string name, out bool set)
        {
            set = vars!.TryGetValue(name, out var v);
            return v ?? "";
        }
    }
}
