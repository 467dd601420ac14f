using System.Text;

namespace Troupe.Runtime.Drivers;

/// <summary>
/// Writes the Kubernetes CRI log format: <c>2024-01-01T00:00:00.000000000Z stdout F text</c>, one line per line of
/// output, <c>P</c> for a partial line (output that did not end with a newline before a flush). Used by
/// <see cref="ProcessDriver"/> and <see cref="FakeDriver"/>; conmon writes the same format for runc containers.
/// Thread-safe.
/// </summary>
public sealed class CriLogWriter : IDisposable
{
    private readonly FileStream _file;
    private readonly object _gate = new();

    /// <summary>Opens (appends to) <paramref name="path"/>, creating its folder.</summary>
    public CriLogWriter(string path)
    {
        if (Path.GetDirectoryName(path) is { Length: > 0 } dir) Directory.CreateDirectory(dir);
        _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
    }

    /// <summary>Append one record; <paramref name="partial"/>: the text did not end with a newline.</summary>
    public void Write(string stream, ReadOnlySpan<char> text, bool partial)
    {
        var line = $"{CriLog.Timestamp(DateTimeOffset.UtcNow)} {stream} {(partial ? 'P' : 'F')} {text}\n";
        var bytes = Encoding.UTF8.GetBytes(line);
        lock (_gate)
        {
            _file.Write(bytes);
            _file.Flush();
        }
    }

    /// <summary>Copy <paramref name="reader"/> (a process's stdout or stderr) line by line until it ends.</summary>
    public async Task PumpAsync(string stream, TextReader reader)
    {
        var buffer = new char[8192];
        var pending = new StringBuilder();
        int n;
        while ((n = await reader.ReadAsync(buffer.AsMemory())) > 0)
        {
            pending.Append(buffer, 0, n);
            var s = pending.ToString();
            var start = 0;
            int nl;
            while ((nl = s.IndexOf('\n', start)) >= 0)
            {
                Write(stream, s.AsSpan(start, nl - start), partial: false);
                start = nl + 1;
            }
            pending.Clear().Append(s, start, s.Length - start);
            if (pending.Length >= 16 * 1024) { Write(stream, pending.ToString(), partial: true); pending.Clear(); }
        }
        if (pending.Length > 0) Write(stream, pending.ToString(), partial: true);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate) _file.Dispose();
    }
}

/// <summary>CRI log helpers.</summary>
public static class CriLog
{
    /// <summary>RFC 3339 with nanoseconds, UTC: <c>2024-01-01T00:00:00.123456700Z</c>.</summary>
    public static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'00Z'", System.Globalization.CultureInfo.InvariantCulture);
}
