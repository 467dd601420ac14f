namespace Troupe.Shell.Repl;

/// <summary>
/// The lines typed in <c>troupe shell</c>, oldest first: loaded from <c>$TROUPE_HOME/shell_history</c> at start,
/// each new line appended to it. Blank lines and a repeat of the line before are not kept (bash's ignoredups);
/// the file is cut back to the newest <see cref="Limit"/> lines when it is loaded. INTERNAL API.
/// </summary>
internal sealed class History
{
    public const int Limit = 1000;

    readonly List<string> _lines;
    readonly string? _file;

    History(List<string> lines, string? file)
    {
        _lines = lines;
        _file = file;
    }

    /// <summary>A history that lives only as long as the session (specs).</summary>
    public static History InMemory(params string[] lines) => new([.. lines], null);

    /// <summary>The file's lines (none when it does not exist or cannot be read).</summary>
    public static History Load(string file)
    {
        var lines = new List<string>();
        try
        {
            if (File.Exists(file))
            {
                lines.AddRange(File.ReadAllLines(file).Where(l => l.Trim().Length > 0));
                if (lines.Count > Limit)
                {
                    lines.RemoveRange(0, lines.Count - Limit);
                    File.WriteAllLines(file, lines);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return new History(lines, file);
    }

    public int Count => _lines.Count;

    public string this[int index] => _lines[index];

    /// <summary>Keeps a line typed (its trailing blanks dropped, as Tab leaves one).</summary>
    public void Add(string line)
    {
        line = line.TrimEnd();
        if (line.Length == 0 || _lines.Count > 0 && _lines[^1] == line) return;
        _lines.Add(line);
        if (_lines.Count > Limit) _lines.RemoveAt(0);
        if (_file is null) return;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
            File.AppendAllText(_file, line + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // history is a convenience, never a failure
    }
}
