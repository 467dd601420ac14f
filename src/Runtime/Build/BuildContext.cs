using Troupe.Runtime.Images;

namespace Troupe.Runtime.Build;

/// <summary>
/// A build context that arrived as a tar stream (what <c>troupe build</c> uploads, as the docker client does),
/// unpacked into a folder of its own for <see cref="ImageBuilder"/>. Extraction is the image store's safe one: an
/// entry with an absolute name or <c>..</c>, one written through a symbolic link, or a hard link to outside is
/// refused with <see cref="InvalidDataException"/> naming it, and the folder is removed.
/// </summary>
public sealed class BuildContext : IDisposable
{
    BuildContext(string folder) => Folder = folder;

    /// <summary>The unpacked context (the build's <c>ContextDir</c>).</summary>
    public string Folder { get; }

    /// <summary>Unpack <paramref name="tar"/> (plain or gzip, seekable, at its start) into a new folder under <paramref name="parent"/>.</summary>
    public static BuildContext Extract(Stream tar, string parent, CancellationToken ct = default)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("build contexts are unpacked on Linux only");
        Directory.CreateDirectory(parent);
        var folder = Path.Combine(parent, $"context-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder, (UnixFileMode)0b111_101_101);
        try
        {
            LayerUnpacker.Extract(tar, folder, "build context", ct);
            return new BuildContext(folder);
        }
        catch
        {
            Remove(folder);
            throw;
        }
    }

    /// <summary>Removes the unpacked context.</summary>
    public void Dispose() => Remove(Folder);

    static void Remove(string folder)
    {
        try { if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
