using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Troupe.Runtime.Linux;

/// <summary>
/// File-system calls .NET does not expose, for unpacking image layers: device nodes (overlayfs whiteouts),
/// extended attributes (opaque directories), hard links, ownership and times of symlinks.
/// Each throws <see cref="Win32Exception"/> carrying errno and the path on failure.
/// </summary>
internal static partial class FileSystemNative
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EEXIST = 17;
    public const int ENOTSUP = 95;

    const int AT_FDCWD = -100;
    const int AT_SYMLINK_NOFOLLOW = 0x100;

    public const uint S_IFCHR = 0x2000;
    public const uint S_IFBLK = 0x6000;
    public const uint S_IFIFO = 0x1000;

    [StructLayout(LayoutKind.Sequential)]
    struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "mknod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mknod(string path, uint mode, ulong dev);

    [LibraryImport("libc", EntryPoint = "lsetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lsetxattr(string path, string name, byte[] value, nuint size, int flags);

    [LibraryImport("libc", EntryPoint = "lgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint lgetxattr(string path, string name, byte[] value, nuint size);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int link(string oldPath, string newPath);

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lchown(string path, int uid, int gid);

    [LibraryImport("libc", EntryPoint = "utimensat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int utimensat(int dirfd, string path, Timespec[] times, int flags);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint geteuid();

    /// <summary>True when the process runs as root (may create devices, set trusted.* xattrs, chown).</summary>
    public static bool IsRoot => geteuid() == 0;

    static void Check(int rc, string call, string path)
    {
        if (rc != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new Win32Exception(errno, $"{call}({path}): {Marshal.GetPInvokeErrorMessage(errno)}");
        }
    }

    /// <summary>Create a device node or fifo: <paramref name="type"/> is <see cref="S_IFCHR"/>, <see cref="S_IFBLK"/> or <see cref="S_IFIFO"/>.</summary>
    public static void MakeNode(string path, uint type, uint permissions, int major, int minor) =>
        Check(mknod(path, type | (permissions & 0xFFF), MakeDev(major, minor)), "mknod", path);

    /// <summary>glibc's makedev.</summary>
    static ulong MakeDev(int major, int minor)
    {
        ulong ma = (uint)major, mi = (uint)minor;
        return ((ma & 0xfffff000UL) << 32) | ((ma & 0xfffUL) << 8) | ((mi & 0xffffff00UL) << 12) | (mi & 0xffUL);
    }

    /// <summary>Set an extended attribute on <paramref name="path"/> itself (not a symlink's target).</summary>
    public static void SetXattr(string path, string name, string value)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(value);
        Check(lsetxattr(path, name, bytes, (nuint)bytes.Length, 0), "lsetxattr", path);
    }

    /// <summary>An extended attribute's value, or null when it is not set.</summary>
    public static string? GetXattr(string path, string name)
    {
        var buffer = new byte[256];
        var n = lgetxattr(path, name, buffer, (nuint)buffer.Length);
        return n < 0 ? null : System.Text.Encoding.UTF8.GetString(buffer, 0, (int)n);
    }

    /// <summary>Hard link <paramref name="newPath"/> to <paramref name="existing"/> (a symlink is linked, not followed).</summary>
    public static void HardLink(string existing, string newPath) => Check(link(existing, newPath), "link", newPath);

    /// <summary>Change the owner of <paramref name="path"/> itself (not a symlink's target).</summary>
    public static void Chown(string path, int uid, int gid) => Check(lchown(path, uid, gid), "lchown", path);

    /// <summary>Set access and modification times of <paramref name="path"/> itself (not a symlink's target).</summary>
    public static void SetTimes(string path, DateTimeOffset modified)
    {
        var ticks = modified.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var ts = new Timespec { Seconds = ticks / TimeSpan.TicksPerSecond, Nanoseconds = ticks % TimeSpan.TicksPerSecond * 100 };
        if (ts.Nanoseconds < 0) { ts.Seconds -= 1; ts.Nanoseconds += 1_000_000_000; }
        Check(utimensat(AT_FDCWD, path, [ts, ts], AT_SYMLINK_NOFOLLOW), "utimensat", path);
    }
}
