namespace Troupe.Runtime.Linux;

/// <summary>
/// Host processes by pid: signals, liveness and identity (start time from <c>/proc/PID/stat</c>, so a recycled pid
/// is not mistaken for the process a driver started). Used by the drivers; never throws for a dead process.
/// </summary>
public static class Processes
{
    /// <summary>True when this process runs as root (effective uid 0).</summary>
    public static bool IsRoot => LibC.geteuid() == 0;

    /// <summary>
    /// Send <paramref name="signal"/> to <paramref name="pid"/> (a negative pid: the process group). Returns false when
    /// no such process exists (ESRCH); throws <see cref="InvalidOperationException"/> on other errors (EPERM).
    /// </summary>
    public static bool Kill(int pid, int signal)
    {
        if (LibC.kill(pid, signal) == 0) return true;
        var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
        if (errno == LibC.ESRCH) return false;
        throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {errno}");
    }

    /// <summary>True when <paramref name="pid"/> exists and is not a zombie.</summary>
    public static bool IsAlive(int pid)
    {
        if (pid <= 0) return false;
        var stat = ReadStat(pid);
        return stat is not null && stat.Value.State != 'Z' && stat.Value.State != 'X';
    }

    /// <summary>The process's start time in clock ticks since boot (field 22 of /proc/PID/stat); null if gone.</summary>
    public static long? StartTime(int pid) => ReadStat(pid)?.StartTime;

    private static (char State, long StartTime)? ReadStat(int pid)
    {
        string text;
        try { text = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        // "pid (comm) S ppid ..." — comm may contain spaces and parentheses: split after the last ')'.
        var close = text.LastIndexOf(')');
        if (close < 0) return null;
        var fields = text[(close + 2)..].Split(' ');
        // fields[0] is field 3 (state); start time is field 22 → fields[19].
        return fields.Length > 19 && long.TryParse(fields[19], out var st) ? (fields[0][0], st) : null;
    }
}
