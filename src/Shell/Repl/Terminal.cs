namespace Troupe.Shell.Repl;

/// <summary>What the line editor needs of a terminal: keys in, text out, its width. INTERNAL API.</summary>
internal interface ITerminal
{
    /// <summary>The next key (waits for it); <see cref="KeyKind.EndOfInput"/> when input ended.</summary>
    Key ReadKey();

    /// <summary>Writes text (and escape sequences) and flushes it.</summary>
    void Write(string text);

    /// <summary>Columns (re-read at every redraw: the window may have been resized).</summary>
    int Width { get; }

    /// <summary>Raw mode while a line is edited (no echo, no line buffering, Ctrl-C as a key), or null.</summary>
    IDisposable? Raw();
}

/// <summary>The process's own terminal: stdin read byte by byte through libc, output through stdout's writer.</summary>
internal sealed class ConsoleTerminal(TextWriter output) : ITerminal
{
    readonly KeyDecoder _keys = new(Tty.ReadByte);

    public Key ReadKey() => _keys.Next();

    public void Write(string text)
    {
        output.Write(text);
        output.Flush();
    }

    public int Width => Tty.Size().Columns;

    public IDisposable? Raw() => RawTerminal.Enter();
}
