using System.Text;

namespace Troupe.Shell.Rendering;

/// <summary>
/// A table drawn again over itself (<c>get -w</c> in <c>troupe shell</c> on a terminal): each frame moves the
/// cursor up over the last one (<c>ESC [ n A</c>), writes every row clearing what is left of it (<c>ESC [ K</c>) and
/// clears below (<c>ESC [ J</c>), so rows that went away vanish. Rows are cut to the terminal's width and the table to
/// its height (a last row says how many more), or the cursor could not come back up over them. INTERNAL API.
/// </summary>
internal sealed class WatchView
{
    int _drawn;

    /// <summary>The escape sequences and text that replace the last frame with <paramref name="text"/>.</summary>
    public string Frame(string text, int columns, int rows)
    {
        var lines = text.TrimEnd('\n').Split('\n').ToList();
        var room = Math.Max(rows - 1, 2);
        if (lines.Count > room)
        {
            var more = lines.Count - room + 1;
            lines = [.. lines.Take(room - 1), $"... {more} more"];
        }
        var b = new StringBuilder();
        if (_drawn > 0) b.Append($"\x1b[{_drawn}A");
        b.Append('\r');
        var width = Math.Max(columns - 1, 1);
        foreach (var line in lines) b.Append(line.Length > width ? line[..width] : line).Append("\x1b[K\n");
        b.Append("\x1b[J");
        _drawn = lines.Count;
        return b.ToString();
    }
}
