using System.Text;

namespace Troupe.Shell.Rendering;

/// <summary>
/// Columns as Go's tabwriter lays them out for kubectl (<c>minwidth 6, padding 3</c>) and docker
/// (<c>minwidth 10, padding 3</c>): each column as wide as its widest cell plus the padding, the last one unpadded.
/// </summary>
public sealed class TableRenderer(IReadOnlyList<string> headers, int minWidth = 6, int padding = 3)
{
    readonly List<string[]> _rows = [];

    public static TableRenderer Kubectl(params string[] headers) => new(headers, 6, 3);
    public static TableRenderer Docker(params string[] headers) => new(headers, 10, 3);

    public int Count => _rows.Count;

    public TableRenderer Add(params string[] cells)
    {
        _rows.Add(cells);
        return this;
    }

    public void WriteTo(TextWriter w, bool withHeaders = true)
    {
        var n = headers.Count;
        var widths = new int[n];
        for (var c = 0; c < n; c++)
        {
            var max = withHeaders ? headers[c].Length : 0;
            foreach (var r in _rows) max = Math.Max(max, c < r.Length ? r[c].Length : 0);
            widths[c] = Math.Max(max + padding, minWidth);
        }
        var sb = new StringBuilder();
        if (withHeaders) Line(sb, headers, widths);
        foreach (var r in _rows) Line(sb, r, widths);
        w.Write(sb.ToString());
    }

    static void Line(StringBuilder sb, IReadOnlyList<string> cells, int[] widths)
    {
        var n = widths.Length;
        for (var c = 0; c < n; c++)
        {
            var cell = c < cells.Count ? cells[c] : "";
            if (c == n - 1) sb.Append(cell);
            else sb.Append(cell).Append(' ', widths[c] - cell.Length);
        }
        // tabwriter leaves no trailing blanks on a line
        var end = sb.Length;
        while (end > 0 && sb[end - 1] == ' ') end--;
        sb.Length = end;
        sb.Append('\n');
    }

    public override string ToString()
    {
        var sw = new StringWriter();
        WriteTo(sw);
        return sw.ToString();
    }
}
