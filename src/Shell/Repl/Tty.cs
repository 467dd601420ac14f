using System.Runtime.InteropServices;

namespace Troupe.Shell.Repl;

/// <summary>
/// The local terminal (stdin) in raw mode, restored as it was on dispose. Set with <c>tcsetattr</c> in this
/// process, not by running <c>stty</c>: .NET puts the terminal back to its own settings whenever a child process
/// exits, which undid stty's raw mode at once. Used by <c>exec -it</c> and by the line editor of <c>troupe shell</c>.
/// INTERNAL API.
/// </summary>
internal sealed partial class RawTerminal : IDisposable
{
    readonly byte[] _saved;

    RawTerminal(byte[] saved) => _saved = saved;

    // struct termios is 60 bytes on Linux (glibc, x86-64 and arm64); a larger buffer costs nothing
    const int TermiosSize = 256, TCSANOW = 0;

    [LibraryImport("libc", EntryPoint = "tcgetattr")]
    private static partial int TcGetAttr(int fd, byte[] termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr")]
    private static partial int TcSetAttr(int fd, int actions, byte[] termios);

    [LibraryImport("libc", EntryPoint = "cfmakeraw")]
    private static partial void CfMakeRaw(byte[] termios);

    /// <summary>Raw mode on stdin, or null when stdin is no terminal.</summary>
    public static RawTerminal? Enter()
    {
        var saved = new byte[TermiosSize];
        if (TcGetAttr(0, saved) != 0) return null;
        var raw = (byte[])saved.Clone();
        CfMakeRaw(raw);
        return TcSetAttr(0, TCSANOW, raw) == 0 ? new RawTerminal(saved) : null;
    }

    public void Dispose() => TcSetAttr(0, TCSANOW, _saved);
}

/// <summary>
/// Unbuffered reads of stdin and the terminal's size, straight from libc: <c>Console.OpenStandardInput</c> reads
/// whole lines (with its own echo) when stdin is a terminal, and <c>Console.ReadKey</c> takes the terminal's modes
/// over. INTERNAL API.
/// </summary>
internal static unsafe partial class Tty
{
    [StructLayout(LayoutKind.Sequential)]
    struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [StructLayout(LayoutKind.Sequential)]
    struct WinSize
    {
        public ushort Rows, Cols, XPixels, YPixels;
    }

    const short POLLIN = 1;
    const nuint TIOCGWINSZ = 0x5413;

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int IoctlWinSize(int fd, nuint request, WinSize* size);

    const int EINTR = 4;

    /// <summary>
    /// One byte of stdin: waits at most <paramref name="timeoutMs"/> (-1: as long as it takes). Returns the byte,
    /// -1 when the time ran out, -2 at the end of input.
    /// </summary>
    public static int ReadByte(int timeoutMs)
    {
        while (true)
        {
            var p = new PollFd { Fd = 0, Events = POLLIN };
            var ready = Poll(&p, 1, timeoutMs);
            if (ready < 0 && Marshal.GetLastPInvokeError() == EINTR) continue; // a signal (SIGWINCH) came in between
            if (ready == 0) return -1;
            if (ready < 0) return -2;
            byte b;
            var n = Read(0, &b, 1);
            if (n < 0 && Marshal.GetLastPInvokeError() == EINTR) continue;
            return n == 1 ? b : -2;
        }
    }

    /// <summary>
    /// Reads what stdin has (up to <paramref name="buffer"/>'s length), waiting at most <paramref name="timeoutMs"/>:
    /// the count, 0 at the end of input, -1 when the time ran out.
    /// </summary>
    public static int Read(Span<byte> buffer, int timeoutMs)
    {
        while (true)
        {
            var p = new PollFd { Fd = 0, Events = POLLIN };
            var ready = Poll(&p, 1, timeoutMs);
            if (ready < 0 && Marshal.GetLastPInvokeError() == EINTR) continue;
            if (ready == 0) return -1;
            if (ready < 0) return 0;
            nint n;
            fixed (byte* b = buffer) n = Read(0, b, buffer.Length);
            if (n < 0 && Marshal.GetLastPInvokeError() == EINTR) continue;
            return n < 0 ? 0 : (int)n;
        }
    }

    /// <summary>The size of the terminal stdout writes to, or 80×24 when that is not known.</summary>
    public static (int Columns, int Rows) Size()
    {
        WinSize w;
        if (IoctlWinSize(1, TIOCGWINSZ, &w) == 0 && w.Cols > 0 && w.Rows > 0) return (w.Cols, w.Rows);
        return (80, 24);
    }
}

/// <summary>
/// stdin for one command of <c>troupe shell</c> on a terminal (what <c>exec -i</c> sends, what <c>apply -f -</c>
/// reads): it ends when the command does, so a reader thread the command left behind cannot take the keys typed
/// at the next prompt. INTERNAL API.
/// </summary>
internal sealed class CommandInput(CancellationToken commandEnded) : Stream
{
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (!commandEnded.IsCancellationRequested)
        {
            var n = Tty.Read(buffer, 100);
            if (n >= 0) return n;
        }
        return 0;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
