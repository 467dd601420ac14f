using System.Text;

namespace Troupe.Actors.Nodes;

/// <summary>
/// INTERNAL API. Reads the Kubernetes CRI log format conmon writes: one record per line,
/// <c>2024-01-01T00:00:00.000000000Z stdout F the text</c>; <c>P</c> marks a partial line continued by the next record.
/// </summary>
public static class CriLog
{
    /// <summary>The text of the log (lines joined with <c>\n</c>, ending with one), keeping the last <paramref name="tail"/> lines.</summary>
    public static string Text(IEnumerable<string> records, int? tail = null)
    {
        var lines = new List<string>();
        var partial = new StringBuilder();
        foreach (var rec in records)
        {
            if (rec.Length == 0) continue;
            var (tag, content) = Parse(rec);
            partial.Append(content);
            if (tag == 'P') continue;
            lines.Add(partial.ToString());
            partial.Clear();
        }
        if (partial.Length > 0) lines.Add(partial.ToString());
        IEnumerable<string> keep = lines;
        if (tail is { } n) keep = n <= 0 ? [] : lines.Skip(Math.Max(0, lines.Count - n));
        var sb = new StringBuilder();
        foreach (var l in keep) sb.Append(l).Append('\n');
        return sb.ToString();
    }

    /// <summary>
    /// The text of records as they are followed: a partial record's content without a line end (a prompt shows before
    /// its line is finished), a full one's with <c>\n</c>.
    /// </summary>
    public static string Live(IEnumerable<string> records)
    {
        var sb = new StringBuilder();
        foreach (var rec in records)
        {
            if (rec.Length == 0) continue;
            var (tag, content) = Parse(rec);
            sb.Append(content);
            if (tag != 'P') sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Read the file (shared with the writer) and return its text; empty when the file does not exist.</summary>
    public static async Task<string> ReadAsync(string path, int? tail, CancellationToken ct = default)
    {
        if (!File.Exists(path)) return "";
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 65536, true);
        using var reader = new StreamReader(fs, Encoding.UTF8);
        var records = new List<string>();
        while (await reader.ReadLineAsync(ct) is { } line) records.Add(line);
        return Text(records, tail);
    }

    /// <summary>Split one record into its tag (F or P) and content; a line not in CRI form is taken whole.</summary>
    private static (char Tag, string Content) Parse(string rec)
    {
        var s1 = rec.IndexOf(' ');
        if (s1 <= 0) return ('F', rec);
        var s2 = rec.IndexOf(' ', s1 + 1);
        if (s2 <= 0) return ('F', rec);
        var stream = rec.AsSpan(s1 + 1, s2 - s1 - 1);
        if (!stream.SequenceEqual("stdout") && !stream.SequenceEqual("stderr")) return ('F', rec);
        // tag: F or P, possibly with more flags separated by ':' (CRI allows "F:..." forms).
        var s3 = rec.IndexOf(' ', s2 + 1);
        var tagText = s3 > 0 ? rec.AsSpan(s2 + 1, s3 - s2 - 1) : rec.AsSpan(s2 + 1);
        var tag = tagText.Length > 0 && tagText[0] == 'P' ? 'P' : 'F';
        return (tag, s3 > 0 ? rec[(s3 + 1)..] : "");
    }
}
