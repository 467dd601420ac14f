using System.Runtime.InteropServices;

namespace Troupe.Runtime.Linux;

/// <summary>
/// Mount table helpers for container root file systems: overlay mounts, bind mounts, unmounting everything under a
/// folder. Used by <c>RuncDriver</c>; failures throw <see cref="MountException"/> carrying errno.
/// </summary>
public static class Mounts
{
    /// <summary>Mount points (from <c>/proc/self/mountinfo</c>) equal to or below <paramref name="dir"/>, deepest first.</summary>
    public static IReadOnlyList<string> Under(string dir)
    {
        dir = Path.GetFullPath(dir).TrimEnd('/');
        var result = new List<string>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var parts = line.Split(' ');
            if (parts.Length < 5) continue;
            var mp = Unescape(parts[4]);
            if (mp == dir || mp.StartsWith(dir + "/", StringComparison.Ordinal)) result.Add(mp);
        }
        return result.OrderByDescending(p => p.Length).ToList();
    }

    /// <summary>True when <paramref name="path"/> is a mount point.</summary>
    public static bool IsMountPoint(string path)
    {
        path = Path.GetFullPath(path).TrimEnd('/');
        return Under(path).Contains(path);
    }

    /// <summary>mount(2); throws <see cref="MountException"/> with errno on failure.</summary>
    public static void Mount(string source, string target, string fstype, ulong flags, string? data)
    {
        if (LibC.mount(source, target, fstype, flags, data) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new MountException($"mount {fstype} {source} on {target} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
        }
    }

    /// <summary>Lazily unmount every mount at or below <paramref name="dir"/> (deepest first). No error if none.</summary>
    public static void UnmountAll(string dir)
    {
        foreach (var mp in Under(dir))
        {
            if (LibC.umount2(mp, LibC.MNT_DETACH) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno != LibC.EINVAL && errno != LibC.ENOENT)
                    throw new MountException($"umount {mp} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
            }
        }
    }

    // mountinfo escapes space, tab, newline and backslash as \ooo.
    private static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new System.Text.StringBuilder();
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 3 < s.Length)
            {
                try { sb.Append((char)Convert.ToInt32(s.Substring(i + 1, 3), 8)); i += 3; continue; }
                catch (FormatException) { }
            }
            sb.Append(s[i]);
        }
        return sb.ToString();
    }
}

/// <summary>A mount or unmount failed; <see cref="Errno"/> tells why (EINVAL/EPERM: overlay not usable here).</summary>
public sealed class MountException(string message, int errno) : IOException(message)
{
    public int Errno { get; } = errno;
}
