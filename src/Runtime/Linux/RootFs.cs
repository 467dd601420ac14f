using System.Diagnostics;

namespace Troupe.Runtime.Linux;

/// <summary>
/// A container's root file system: an overlay of the image layers (top layer first in <c>lowerdir</c>) with the
/// upper and work folders in the bundle, or — where overlay cannot be mounted (EINVAL, EPERM: e.g. the layers sit on
/// an overlay themselves) — a copy of the layers in order, honouring <c>.wh.</c> whiteouts and opaque markers.
/// Used by <c>RuncDriver</c> on a container's first attempt.
/// </summary>
public static class RootFs
{
    /// <summary>Longest lowerdir option passed straight to mount(2); longer lists go through short symlinks.</summary>
    private const int MaxDirectOptions = 3000;

    /// <summary>
    /// Make <paramref name="rootfs"/> the merged view of <paramref name="layers"/> (bottom first). Returns
    /// <c>overlay</c> or <c>copy</c>. Throws <see cref="MountException"/> or <see cref="IOException"/> when neither works.
    /// </summary>
    public static async Task<string> PrepareAsync(IReadOnlyList<string> layers, string rootfs, string upper, string work)
    {
        Directory.CreateDirectory(rootfs);
        Directory.CreateDirectory(upper);
        Directory.CreateDirectory(work);
        var lower = layers.Reverse().Select(Path.GetFullPath).ToList();
        try
        {
            var options = $"lowerdir={string.Join(':', lower)},upperdir={upper},workdir={work}";
            if (options.Length <= MaxDirectOptions)
            {
                Mounts.Mount("overlay", rootfs, "overlay", 0, options);
            }
            else
            {
                // A page limits mount options: link each layer as a short name and mount from that folder.
                var links = Path.Combine(Path.GetDirectoryName(rootfs)!, "l");
                Directory.CreateDirectory(links);
                for (var i = 0; i < lower.Count; i++)
                {
                    var link = Path.Combine(links, i.ToString());
                    if (!File.Exists(link) && !Directory.Exists(link)) File.CreateSymbolicLink(link, lower[i]);
                }
                var shortOptions = $"lowerdir={string.Join(':', Enumerable.Range(0, lower.Count))},upperdir={upper},workdir={work}";
                await RunMountAsync(links, shortOptions, rootfs);
            }
            return "overlay";
        }
        catch (MountException e) when (e.Errno is LibC.EINVAL or LibC.EPERM or LibC.ENOENT)
        {
            await CopyLayersAsync(layers, rootfs);
            return "copy";
        }
    }

    private static async Task RunMountAsync(string cwd, string options, string target)
    {
        var psi = new ProcessStartInfo("mount") { WorkingDirectory = cwd, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-t", "overlay", "overlay", "-o", options, target }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new MountException($"mount overlay on {target} failed: {err.Trim()}", LibC.EINVAL);
    }

    /// <summary>Copy fallback: each layer over the previous ones, whiteouts applied before the layer's files.</summary>
    public static async Task CopyLayersAsync(IReadOnlyList<string> layers, string rootfs)
    {
        foreach (var layer in layers)
        {
            var whiteouts = new List<string>();
            foreach (var path in Directory.EnumerateFiles(layer, ".wh.*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
            {
                var rel = Path.GetRelativePath(layer, path);
                whiteouts.Add(rel);
                var dir = Path.GetDirectoryName(rel) ?? "";
                var name = Path.GetFileName(rel);
                var targetDir = Path.Combine(rootfs, dir);
                if (name == ".wh..wh..opq")
                {
                    if (Directory.Exists(targetDir))
                        foreach (var e in new DirectoryInfo(targetDir).EnumerateFileSystemInfos()) DeleteEntry(e);
                }
                else
                {
                    var victim = Path.Combine(targetDir, name[4..]);
                    var info = new FileInfo(victim);
                    if (info.Exists || info.LinkTarget is not null) info.Delete();
                    else if (Directory.Exists(victim)) Directory.Delete(victim, true);
                }
            }
            var psi = new ProcessStartInfo("cp") { RedirectStandardError = true };
            foreach (var a in new[] { "-a", Path.Combine(layer, "."), rootfs + "/" }) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var err = await p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            if (p.ExitCode != 0) throw new IOException($"copying layer {layer} into {rootfs} failed: {err.Trim()}");
            foreach (var w in whiteouts) File.Delete(Path.Combine(rootfs, w));
        }
    }

    private static void DeleteEntry(FileSystemInfo e)
    {
        if (e is DirectoryInfo d && d.LinkTarget is null) d.Delete(true);
        else e.Delete();
    }
}
