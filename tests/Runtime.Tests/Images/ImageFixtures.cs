using System.Diagnostics;
using System.Formats.Tar;
using System.Runtime.InteropServices;
using Troupe.Runtime.Images;

namespace Troupe.Runtime.Tests.Images;

/// <summary>A fresh store in a temp folder, removed afterwards, and helpers to craft tarballs.</summary>
public sealed class TempStore : IDisposable
{
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "troupe-images-" + Guid.NewGuid().ToString("N"));
    public ImageStore Store { get; }

    public TempStore() => Store = new ImageStore(Path.Combine(Folder, "images"));

    /// <summary>A new store on another root under the same temp folder.</summary>
    public ImageStore Another(string name) => new(Path.Combine(Folder, name));

    public string PathFor(string name) => Path.Combine(Folder, name);

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

public static class Tars
{
    /// <summary>Write a plain tar of the given entries.</summary>
    public static string Write(string path, params TarEntry[] entries)
    {
        using var file = System.IO.File.Create(path);
        using var w = new TarWriter(file, TarEntryFormat.Pax);
        foreach (var e in entries) w.WriteEntry(e);
        return path;
    }

    public static PaxTarEntry File(string name, string content = "x", UnixFileMode mode = (UnixFileMode)0b110_100_100) =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)), Mode = mode };

    public static PaxTarEntry Dir(string name) => new(TarEntryType.Directory, name) { Mode = (UnixFileMode)0b111_101_101 };

    public static PaxTarEntry Symlink(string name, string target) => new(TarEntryType.SymbolicLink, name) { LinkName = target };

    public static PaxTarEntry HardLink(string name, string target) => new(TarEntryType.HardLink, name) { LinkName = target };

    /// <summary>`stat -c FORMAT path` (lstat).</summary>
    public static string Stat(string format, string path)
    {
        var psi = new ProcessStartInfo("stat", ["-c", format, path]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return o;
    }

    [DllImport("libc", EntryPoint = "lgetxattr", SetLastError = true)]
    private static extern nint lgetxattr(string path, string name, byte[] value, nuint size);

    public static string? Xattr(string path, string name)
    {
        var b = new byte[64];
        var n = lgetxattr(path, name, b, (nuint)b.Length);
        return n < 0 ? null : System.Text.Encoding.UTF8.GetString(b, 0, (int)n);
    }

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint geteuid();

    /// <summary>Root is needed (mknod, trusted.* xattrs): skips with the reason outside CI, fails under CI=true.</summary>
    public static void RequireRoot() =>
        Prerequisite.Require("image", geteuid() == 0 ? null : "needs root (mknod, trusted.* xattrs)");
}
