using System.Runtime.InteropServices;

namespace Troupe.Runtime.Linux;

/// <summary>
/// INTERNAL API. The few libc calls the drivers need (signals, mounts). Errors come back as <c>errno</c> via
/// <see cref="Marshal.GetLastPInvokeError"/>; callers turn them into exceptions.
/// </summary>
internal static partial class LibC
{
    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINVAL = 22, EBUSY = 16;
    public const ulong MS_BIND = 4096, MS_REC = 16384;
    public const int MNT_DETACH = 2;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int kill(int pid, int sig);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mount(string source, string target, string fstype, ulong flags, string? data);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int umount2(string target, int flags);

    [LibraryImport("libc")]
    public static partial uint geteuid();

    public const int O_PATH = 0x200000, O_CLOEXEC = 0x80000;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);
}
