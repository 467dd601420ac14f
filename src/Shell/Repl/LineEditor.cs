using System.Text;

namespace Troupe.Shell.Repl;

/// <summary>
/// What Tab may put in place of the word before the cursor.
/// </summary>
/// <param name="Start">Where that word begins in the line (its first character as typed, quotes included).</param>
/// <param name="Word">The word as far as it is typed, unquoted.</param>
/// <param name="Candidates">The words it may become, sorted; none when nothing fits.</param>
internal sealed record Completion(int Start, string Word, IReadOnlyList<string> Candidates)
{
    public static Completion None(int at) => new(at, "", []);
}

/// <summary>
/// A one-line editor in the manner of readline's emacs mode, for <c>troupe shell</c> on a terminal:
/// <list type="bullet">
/// <item>Left/Right (Ctrl-B/F), Alt-B/F and Ctrl-Left/Right by words, Home/End (Ctrl-A/E);</item>
/// <item>Backspace, Delete, Ctrl-D on a character; Ctrl-U/K to the start/end, Ctrl-W and Alt-Backspace the word
/// before, Alt-D the word after; Ctrl-Y yanks back what was cut last;</item>
/// <item>Up/Down (Ctrl-P/N) walk the <see cref="History"/>, keeping the line being typed to come back to;</item>
/// <item>Tab completes: one candidate in place (with a blank after it), several to their common prefix, and
/// when that adds nothing, the candidates are listed under the line and the prompt drawn again;</item>
/// <item>Ctrl-C drops the line (<c>^C</c>, an empty line is returned), Ctrl-D on an empty line ends input
/// (null), Ctrl-L clears the screen.</item>
/// </list>
/// A line longer than the terminal scrolls sideways under the cursor. INTERNAL API.
/// </summary>
internal sealed class LineEditor(ITerminal terminal, History history, Func<string, Completion>? complete = null)
{
    readonly StringBuilder _line = new();
    int _cursor, _scroll;
    string _prompt = "";
    string _cut = "";

    /// <summary>Reads one line; null at the end of input.</summary>
    public string? ReadLine(string prompt)
    {
        _prompt = prompt;
        _line.Clear();
        _cursor = _scroll = 0;
        var recalled = history.Count; // the history line shown; Count: the one being typed
        var draft = "";
        using var raw = terminal.Raw();
        Redraw();
        while (true)
        {
            var key = Normalize(terminal.ReadKey());
            switch (key.Kind)
            {
                case KeyKind.Text:
                    Insert(key.Text);
                    break;
                case KeyKind.Enter:
                    terminal.Write("\r\n");
                    var line = _line.ToString();
                    history.Add(line);
                    return line;
                case KeyKind.EndOfInput:
                    terminal.Write("\r\n");
                    return null;
                case KeyKind.Tab:
                    Complete();
                    break;
                case KeyKind.Backspace:
                    if (_cursor > 0) Remove(_cursor - 1, _cursor);
                    break;
                case KeyKind.Delete:
                    if (_cursor < _line.Length) Remove(_cursor, _cursor + 1);
                    break;
                case KeyKind.Left: Move(_cursor - 1); break;
                case KeyKind.Right: Move(_cursor + 1); break;
                case KeyKind.Home: Move(0); break;
                case KeyKind.End: Move(_line.Length); break;
                case KeyKind.WordLeft: Move(WordStart()); break;
                case KeyKind.WordRight: Move(WordEnd()); break;
                case KeyKind.DeleteWordLeft: Cut(WordStart(), _cursor); break;
                case KeyKind.DeleteWordRight: Cut(_cursor, WordEnd()); break;
                case KeyKind.Up or KeyKind.Down:
                    var to = recalled + (key.Kind == KeyKind.Up ? -1 : 1);
                    if (to < 0 || to > history.Count) break;
                    if (recalled == history.Count) draft = _line.ToString();
                    recalled = to;
                    Replace(to == history.Count ? draft : history[to]);
                    break;
                case KeyKind.Control:
                    switch (key.Text)
                    {
                        case "u": Cut(0, _cursor); break;
                        case "k": Cut(_cursor, _line.Length); break;
                        case "w": Cut(WordStart(), _cursor); break;
                        case "y": Insert(_cut); break;
                        case "l":
                            terminal.Write("\x1b[H\x1b[2J");
                            Redraw();
                            break;
                        case "c":
                            terminal.Write("^C\r\n");
                            return "";
                        case "d":
                            if (_line.Length == 0)
                            {
                                terminal.Write("\r\n");
                                return null;
                            }
                            if (_cursor < _line.Length) Remove(_cursor, _cursor + 1);
                            break;
                    }
                    break;
            }
        }
    }

    /// <summary>The line as it stands and where the cursor is in it (specs look).</summary>
    internal (string Line, int Cursor) State => (_line.ToString(), _cursor);

    /// <summary>The control keys that are other keys by another name (emacs mode's).</summary>
    static Key Normalize(Key key) => key.Kind != KeyKind.Control ? key : key.Text switch
    {
        "a" => Key.Of(KeyKind.Home),
        "e" => Key.Of(KeyKind.End),
        "b" => Key.Of(KeyKind.Left),
        "f" => Key.Of(KeyKind.Right),
        "h" => Key.Of(KeyKind.Backspace),
        "p" => Key.Of(KeyKind.Up),
        "n" => Key.Of(KeyKind.Down),
        "i" => Key.Of(KeyKind.Tab),
        "j" or "m" => Key.Of(KeyKind.Enter),
        _ => key,
    };

    void Insert(string text)
    {
        _line.Insert(_cursor, text);
        _cursor += text.Length;
        Redraw();
    }

    void Remove(int from, int to)
    {
        _line.Remove(from, to - from);
        _cursor = from;
        Redraw();
    }

    void Cut(int from, int to)
    {
        if (to <= from) return;
        _cut = _line.ToString(from, to - from);
        Remove(from, to);
    }

    void Move(int to)
    {
        _cursor = Math.Clamp(to, 0, _line.Length);
        Redraw();
    }

    void Replace(string line)
    {
        _line.Clear().Append(line);
        _cursor = line.Length;
        Redraw();
    }

    /// <summary>The start of the word before the cursor (blanks before it skipped), as Ctrl-W and Alt-B see words.</summary>
    int WordStart()
    {
        var i = _cursor;
        while (i > 0 && _line[i - 1] == ' ') i--;
        while (i > 0 && _line[i - 1] != ' ') i--;
        return i;
    }

    int WordEnd()
    {
        var i = _cursor;
        while (i < _line.Length && _line[i] == ' ') i++;
        while (i < _line.Length && _line[i] != ' ') i++;
        return i;
    }

    void Complete()
    {
        var c = complete?.Invoke(_line.ToString(0, _cursor));
        if (c is null || c.Candidates.Count == 0)
        {
            terminal.Write("\a");
            return;
        }
        if (c.Candidates.Count == 1)
        {
            var word = c.Candidates[0];
            Splice(c.Start, ShellWords.Escape(word) + (word.EndsWith('/') || word.EndsWith('=') ? "" : " "));
            return;
        }
        var common = CommonPrefix(c.Candidates);
        if (common.Length > c.Word.Length && common.StartsWith(c.Word, StringComparison.Ordinal))
        {
            Splice(c.Start, ShellWords.Escape(common));
            return;
        }
        terminal.Write("\r\n" + Columns(c.Candidates, Math.Max(terminal.Width, 20)));
        Redraw();
    }

    /// <summary>The typed word from <paramref name="start"/> to the cursor becomes <paramref name="text"/>.</summary>
    void Splice(int start, string text)
    {
        _line.Remove(start, _cursor - start).Insert(start, text);
        _cursor = start + text.Length;
        Redraw();
    }

    static string CommonPrefix(IReadOnlyList<string> words)
    {
        var prefix = words[0];
        foreach (var w in words.Skip(1))
        {
            var n = 0;
            while (n < prefix.Length && n < w.Length && prefix[n] == w[n]) n++;
            prefix = prefix[..n];
        }
        return prefix;
    }

    /// <summary>The candidates in columns across the terminal, as bash lists them (each row ends with CR LF: raw mode).</summary>
    internal static string Columns(IReadOnlyList<string> words, int width)
    {
        const int Most = 200;
        var shown = words.Take(Most).ToList();
        var cell = shown.Max(w => w.Length) + 2;
        var perRow = Math.Max(1, width / cell);
        var rows = (shown.Count + perRow - 1) / perRow;
        var b = new StringBuilder();
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < perRow; c++)
            {
                var i = c * rows + r; // down the columns first, as bash does
                if (i >= shown.Count) break;
                b.Append(c == perRow - 1 || i + rows >= shown.Count ? shown[i] : shown[i].PadRight(cell));
            }
            b.Append("\r\n");
        }
        if (words.Count > Most) b.Append($"... and {words.Count - Most} more\r\n");
        return b.ToString();
    }

    /// <summary>
    /// Draws the prompt and the part of the line that fits, and puts the cursor where it is in the line. The
    /// shown part scrolls so that the cursor stays on screen (one row, however long the line).
    /// </summary>
    void Redraw()
    {
        var room = Math.Max(terminal.Width - _prompt.Length - 1, 8);
        if (_cursor < _scroll) _scroll = _cursor;
        if (_cursor > _scroll + room) _scroll = _cursor - room;
        if (_scroll > 0 && _line.Length - _scroll < room) _scroll = Math.Max(0, Math.Min(_cursor, _line.Length - room));
        var shown = _line.ToString(_scroll, Math.Min(room, _line.Length - _scroll));
        var column = _prompt.Length + _cursor - _scroll;
        terminal.Write("\r" + _prompt + shown + "\x1b[K\r" + (column > 0 ? $"\x1b[{column}C" : ""));
    }
}
