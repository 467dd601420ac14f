using System.Text;

namespace Troupe.Shell.Repl;

/// <summary>
/// Splits a line of <c>troupe shell</c> into words as a POSIX shell does, without expansion: blanks separate
/// words; <c>'...'</c> keeps everything; <c>"..."</c> keeps everything but <c>\"</c>, <c>\\</c>, <c>\$</c> and
/// <c>\`</c>; outside quotes a backslash keeps the next character; <c>#</c> at the start of a word begins a comment.
/// <c>''</c> is an empty word. No variables, globs, pipes or redirections. INTERNAL API.
/// </summary>
internal static class ShellWords
{
    /// <summary>The words of a line as the scan left them.</summary>
    /// <param name="Words">Every word, the last one perhaps unfinished.</param>
    /// <param name="Starts">Where each word begins in the line (its first quote or character).</param>
    /// <param name="InWord">True when the line ends inside a word (no blank after the last one): completion extends that word.</param>
    /// <param name="Error">Why the line cannot run (an open quote, a backslash at the end), or null.</param>
    internal sealed record Scan(IReadOnlyList<string> Words, IReadOnlyList<int> Starts, bool InWord, string? Error);

    /// <summary>The words of a complete line, or a usage error (exit 2) for an unterminated quote.</summary>
    public static IReadOnlyList<string> Split(string line)
    {
        var scan = Read(line);
        if (scan.Error is not null) throw ShellException.Usage(scan.Error);
        return scan.Words;
    }

    /// <summary>Scans <paramref name="line"/> (perhaps half typed: the completer scans up to the cursor).</summary>
    public static Scan Read(string line)
    {
        var words = new List<string>();
        var starts = new List<int>();
        var word = new StringBuilder();
        var inWord = false;
        char quote = '\0';
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote == '\'')
            {
                if (c == '\'') quote = '\0';
                else word.Append(c);
                continue;
            }
            if (quote == '"')
            {
                if (c == '"') quote = '\0';
                else if (c == '\\' && i + 1 < line.Length && line[i + 1] is '"' or '\\' or '$' or '`') word.Append(line[++i]);
                else word.Append(c);
                continue;
            }
            if (c is ' ' or '\t' or '\n' or '\r')
            {
                if (inWord) words.Add(word.ToString());
                word.Clear();
                inWord = false;
                continue;
            }
            if (!inWord)
            {
                if (c == '#') break; // a comment, to the end of the line
                inWord = true;
                starts.Add(i);
            }
            if (c == '\\')
            {
                if (i + 1 == line.Length)
                {
                    words.Add(word.ToString());
                    return new Scan(words, starts, true, "a backslash ends the line (nothing to escape)");
                }
                word.Append(line[++i]);
            }
            else if (c is '\'' or '"') quote = c;
            else word.Append(c);
        }
        if (inWord) words.Add(word.ToString());
        var error = quote == '\0' ? null : $"unterminated {(quote == '\'' ? "single" : "double")} quote";
        return new Scan(words, starts, inWord, error);
    }

    /// <summary>
    /// A word (or the start of one) as the user would type it back: each character a shell treats specially gets
    /// a backslash, so a completed prefix can still be extended.
    /// </summary>
    public static string Escape(string word)
    {
        var b = new StringBuilder(word.Length);
        foreach (var c in word)
        {
            if (!(char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':' or '=' or ',' or '@' or '+' or '%')) b.Append('\\');
            b.Append(c);
        }
        return b.ToString();
    }
}
