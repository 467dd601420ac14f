using System.Runtime.InteropServices;
using Troupe.Runtime.Linux;

namespace Troupe.Runtime.Build;

/// <summary>INTERNAL API. File-system helpers for the builder: lstat, symlink resolution confined to a root, copying trees.</summary>
internal static partial class FsUtil
{
    public const uint S_IFMT = 0xF000, S_IFCHR = 0x2000, S_IFDIR = 0x4000, S_IFREG = 0x8000, S_IFLNK = 0xA000;

    public readonly record struct Stat(uint Mode, uint Uid, uint Gid, ulong Rdev, long Size)
    {
        public uint Type => Mode & S_IFMT;
        public bool IsWhiteout => Type == S_IFCHR && Rdev == 0;
    }

    [LibraryImport("libc", EntryPoint = "lstat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lstat(string path, byte[] buf);

    /// <summary>lstat(2) (x86-64 and arm64 layouts); null when the path does not exist.</summary>
    public static Stat? LStat(string path)
    {
        var b = new byte[256];
        if (lstat(path, b) != 0) return null;
        if (RuntimeInformation.ProcessArchitecture == Architecture.X64)
            return new Stat(BitConverter.ToUInt32(b, 24), BitConverter.ToUInt32(b, 28), BitConverter.ToUInt32(b, 32), BitConverter.ToUInt64(b, 40), BitConverter.ToInt64(b, 48));
        // generic (arm64, riscv64): dev, ino, mode(4), nlink(4), uid, gid, rdev(8), pad(8), size
        return new Stat(BitConverter.ToUInt32(b, 16), BitConverter.ToUInt32(b, 24), BitConverter.ToUInt32(b, 28), BitConverter.ToUInt64(b, 32), BitConverter.ToInt64(b, 48));
    }

    static string[] Split(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToArray();

    /// <summary>A clean absolute container path (<c>/a/b</c>), <c>..</c> clamped at the root.</summary>
    public static string CleanAbs(string path)
    {
        var parts = new List<string>();
        foreach (var p in Split(path))
        {
            if (p == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); }
            else parts.Add(p);
        }
        return "/" + string.Join('/', parts);
    }

    /// <summary>
    /// The host path of <paramref name="path"/> inside <paramref name="root"/>, following symbolic links as if
    /// <paramref name="root"/> were <c>/</c> (absolute targets restart at the root, <c>..</c> stops at it), so the result
    /// never leaves <paramref name="root"/>. With <paramref name="strict"/>, a <c>..</c> or link that would leave the
    /// root returns null instead of being clamped. The last component is followed only when <paramref name="followFinal"/>.
    /// </summary>
    public static string? Resolve(string root, string path, bool followFinal = true, bool strict = false)
    {
        var queue = new LinkedList<string>(Split(path));
        var current = new List<string>();
        var links = 0;
        while (queue.First is { } node)
        {
            var p = node.Value;
            queue.RemoveFirst();
            if (p == "..")
            {
                if (current.Count > 0) current.RemoveAt(current.Count - 1);
                else if (strict) return null;
                continue;
            }
            var candidate = Path.Combine(root, string.Join('/', current.Append(p)));
            var st = LStat(candidate);
            if (st is { Type: S_IFLNK } && (queue.Count > 0 || followFinal))
            {
                if (++links > 255) throw new IOException($"too many levels of symbolic links resolving {path}");
                var target = new FileInfo(candidate).LinkTarget ?? "";
                if (target.StartsWith('/'))
                {
                    if (strict)
                    {
                        // an absolute target is only acceptable when it points back into the root on the host
                        var full = Path.GetFullPath(target);
                        var rootFull = Path.GetFullPath(root).TrimEnd('/');
                        if (full != rootFull && !full.StartsWith(rootFull + "/", StringComparison.Ordinal)) return null;
                        target = full[rootFull.Length..];
                    }
                    current.Clear();
                }
                var tparts = Split(target);
                for (var i = tparts.Length - 1; i >= 0; i--) queue.AddFirst(tparts[i]);
                continue;
            }
            current.Add(p);
        }
        return current.Count == 0 ? root : Path.Combine(root, string.Join('/', current));
    }

    /// <summary>mkdir -p inside a root file system (links resolved inside it); created folders get mode 0755 and the owner given.</summary>
    public static string MkdirAll(string root, string path, int uid = 0, int gid = 0)
    {
        var parts = Split(CleanAbs(path));
        var sofar = "/";
        var host = root;
        foreach (var p in parts)
        {
            sofar = sofar == "/" ? "/" + p : sofar + "/" + p;
            host = Resolve(root, sofar)!;
            var st = LStat(host);
            if (st is null)
            {
                Directory.CreateDirectory(host, (UnixFileMode)0b111_101_101);
                FileSystemNative.Chown(host, uid, gid);
            }
            else if (st.Value.Type != S_IFDIR) throw new IOException($"{sofar} is not a directory");
        }
        return host;
    }

    public static void RemoveAny(string path)
    {
        var st = LStat(path);
        if (st is null) return;
        if (st.Value.Type == S_IFDIR) Directory.Delete(path, true);
        else File.Delete(path);
    }

    /// <summary>
    /// Copy <paramref name="src"/> (file, link or folder, not followed) to <paramref name="dst"/> on the host.
    /// Owner: <paramref name="owner"/> when given, else the source's when <paramref name="keepOwner"/>, else 0:0.
    /// <paramref name="mode"/> overrides permissions (--chmod). Modes and modification times are kept.
    /// </summary>
    public static void CopyTree(string src, string dst, (int Uid, int Gid)? owner, bool keepOwner, UnixFileMode? mode, Func<string, bool>? skip = null, string rel = "")
    {
        var st = LStat(src) ?? throw new FileNotFoundException(src);
        var (uid, gid) = owner ?? (keepOwner ? ((int)st.Uid, (int)st.Gid) : (0, 0));
        switch (st.Type)
        {
            case S_IFDIR:
                var existing = LStat(dst);
                if (existing is { } e && e.Type != S_IFDIR) { File.Delete(dst); existing = null; }
                if (existing is null) Directory.CreateDirectory(dst);
                foreach (var child in Directory.EnumerateFileSystemEntries(src).Order(StringComparer.Ordinal))
                {
                    var name = Path.GetFileName(child);
                    var childRel = rel.Length == 0 ? name : rel + "/" + name;
                    if (skip is not null && skip(childRel)) continue;
                    CopyTree(child, Path.Combine(dst, name), owner, keepOwner, mode, skip, childRel);
                }
                FileSystemNative.Chown(dst, uid, gid);
                File.SetUnixFileMode(dst, mode ?? (UnixFileMode)(st.Mode & 0xFFF));
                FileSystemNative.SetTimes(dst, File.GetLastWriteTimeUtc(src));
                break;
            case S_IFREG:
                if (LStat(dst) is { } d && d.Type != S_IFREG) RemoveAny(dst);
                File.Copy(src, dst, overwrite: true);
                FileSystemNative.Chown(dst, uid, gid);
                File.SetUnixFileMode(dst, mode ?? (UnixFileMode)(st.Mode & 0xFFF));
                FileSystemNative.SetTimes(dst, File.GetLastWriteTimeUtc(src));
                break;
            case S_IFLNK:
                RemoveAny(dst);
                File.CreateSymbolicLink(dst, new FileInfo(src).LinkTarget!);
                FileSystemNative.Chown(dst, uid, gid);
                break;
            default:
                break; // devices, fifos, sockets: not copied
        }
    }
}
