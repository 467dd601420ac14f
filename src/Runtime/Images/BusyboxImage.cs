using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace Troupe.Runtime.Images;

public sealed partial class ImageStore
{
    /// <summary>The reference of the image <see cref="EnsureBusyboxAsync"/> makes.</summary>
    public const string BusyboxReference = "docker.io/library/busybox:latest";

    readonly SemaphoreSlim _busyboxLock = new(1, 1);

    /// <summary>
    /// Make <c>docker.io/library/busybox:latest</c> offline from the host's static busybox when the store does not
    /// hold it: one gzip layer with <c>bin/busybox</c>, a <c>bin/&lt;applet&gt;</c> symlink per applet, the usual
    /// directories and <c>etc/passwd</c>, <c>etc/group</c>, <c>etc/hosts</c>; Cmd <c>sh</c> and the usual PATH. The
    /// build is deterministic (times come from the binary's), so one host always makes the same digest.
    /// Throws <see cref="InvalidOperationException"/> when neither <c>/usr/bin/busybox</c> nor <c>/bin/busybox</c> exists.
    /// </summary>
    public async Task EnsureBusyboxAsync(CancellationToken ct = default)
    {
        if (await ResolveAsync(BusyboxReference, ct) is not null) return;
        await _busyboxLock.WaitAsync(ct);
        try
        {
            if (await ResolveAsync(BusyboxReference, ct) is not null) return;
            var binary = BusyboxImage.FindBinary()
                ?? throw new InvalidOperationException("cannot make the busybox image: no static busybox at /usr/bin/busybox or /bin/busybox (apt-get install busybox-static)");
            var applets = await BusyboxImage.AppletsAsync(binary, ct);
            var time = DateTimeOffset.FromUnixTimeSeconds(new DateTimeOffset(File.GetLastWriteTimeUtc(binary)).ToUnixTimeSeconds());

            string diffId = "";
            using var layer = await _content.StageAsync(async s =>
            {
                await using var gz = new GZipStream(s, CompressionLevel.Fastest, leaveOpen: true);
                using var hashing = new HashingStream(gz, leaveOpen: true);
                await BusyboxImage.WriteLayerAsync(hashing, binary, applets, time, ct);
                diffId = hashing.Digest;
            }, null, ct);
            var settings = ImageConfig.Empty with
            {
                Env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                Cmd = ["sh"],
            };
            using var config = await _content.StageAsync(OciJson.WriteConfig(settings, time, [diffId], $"troupe: busybox from the host's {binary}"), ct);
            var manifestBytes = OciJson.WriteManifest(new OciDescriptor(MediaTypes.OciConfig, config.Digest, config.Size),
                [new OciDescriptor(MediaTypes.OciLayerGzip, layer.Digest, layer.Size)]);
            using var manifest = await _content.StageAsync(manifestBytes, ct);
            await CommitAsync([layer, config, manifest],
                [(ImageReference.Parse(BusyboxReference), new OciDescriptor(MediaTypes.OciManifest, manifest.Digest, manifest.Size))], ct);
        }
        finally { _busyboxLock.Release(); }
    }
}

/// <summary>The layer of the busybox image, written from the host's static busybox binary.</summary>
internal static class BusyboxImage
{
    public static string? FindBinary() => new[] { "/usr/bin/busybox", "/bin/busybox" }.FirstOrDefault(File.Exists);

    /// <summary>The applet names <c>busybox --list</c> prints, sorted, without <c>busybox</c> itself.</summary>
    public static async Task<IReadOnlyList<string>> AppletsAsync(string binary, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(binary, "--list") { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot run {binary} --list");
        var output = await p.StandardOutput.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        if (p.ExitCode != 0) throw new InvalidOperationException($"{binary} --list exited with {p.ExitCode}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(a => a != "busybox" && !a.Contains('/') && a is not ("." or ".."))
            .Distinct().Order(StringComparer.Ordinal).ToList();
    }

    const UnixFileMode Dir = (UnixFileMode)0b111_101_101;   // 0755
    const UnixFileMode File644 = (UnixFileMode)0b110_100_100;

    public static async Task WriteLayerAsync(Stream output, string binary, IReadOnlyList<string> applets, DateTimeOffset time, CancellationToken ct)
    {
        await using var tar = new TarWriter(output, TarEntryFormat.Ustar, leaveOpen: true);

        UstarTarEntry Entry(TarEntryType type, string name, UnixFileMode mode) =>
            new(type, name) { Mode = mode, ModificationTime = time, Uid = 0, Gid = 0, UserName = "root", GroupName = "root" };

        var dirs = new (string Name, UnixFileMode Mode)[]
        {
            ("bin/", Dir), ("dev/", Dir), ("etc/", Dir), ("home/", Dir), ("proc/", (UnixFileMode)0b101_101_101),
            ("root/", (UnixFileMode)0b111_000_000), ("sbin/", Dir), ("sys/", (UnixFileMode)0b101_101_101),
            ("tmp/", Dir | UnixFileMode.StickyBit | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite),
            ("usr/", Dir), ("usr/bin/", Dir), ("usr/sbin/", Dir), ("var/", Dir), ("var/tmp/", Dir | UnixFileMode.StickyBit | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite),
        };
        foreach (var (name, mode) in dirs) await tar.WriteEntryAsync(Entry(TarEntryType.Directory, name, mode), ct);

        await using (var bin = new FileStream(binary, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous))
        {
            var e = Entry(TarEntryType.RegularFile, "bin/busybox", Dir);
            e.DataStream = bin;
            await tar.WriteEntryAsync(e, ct);
        }
        foreach (var applet in applets)
        {
            var link = Entry(TarEntryType.SymbolicLink, "bin/" + applet, (UnixFileMode)0b111_111_111);
            link.LinkName = "busybox";
            await tar.WriteEntryAsync(link, ct);
        }

        async Task Text(string name, string content)
        {
            var e = Entry(TarEntryType.RegularFile, name, File644);
            e.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content));
            await tar.WriteEntryAsync(e, ct);
        }
        await Text("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n");
        await Text("etc/group", "root:x:0:\nnogroup:x:65534:\n");
        await Text("etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    }
}
