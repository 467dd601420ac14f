using System.Collections.Immutable;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace Troupe.Runtime.Images;

public sealed partial class ImageStore
{
    const long MaxJsonFile = 16 << 20;

    /// <summary>
    /// Load an OCI image-layout tarball (plain or gzipped; what <see cref="SaveAsync"/>, <c>docker save</c> from
    /// Docker 25 on, or <c>skopeo copy … oci-archive:</c> write) and tag its named images. Each blob is checked
    /// against its digest. Names come from <c>io.containerd.image.name</c> or <c>org.opencontainers.image.ref.name</c>;
    /// a nested index contributes its manifest for this machine's platform. Returns the normalised references
    /// loaded. Throws <see cref="InvalidDataException"/> when the file is not such a tarball, holds no named image,
    /// or a blob is missing or corrupt; <see cref="FileNotFoundException"/> (an <see cref="IOException"/>) when it is
    /// absent; <see cref="FormatException"/> for a malformed name. Nothing is tagged on failure.
    /// </summary>
    public async Task<IReadOnlyList<string>> LoadAsync(string tarPath, CancellationToken ct = default)
    {
        var staged = new Dictionary<string, StagedBlob>(StringComparer.Ordinal);
        try
        {
            byte[]? layout = null, index = null;
            var sawDockerManifest = false;
            await using (var file = new FileStream(tarPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous))
            {
                var tar = OpenMaybeGzip(file);
                try
                {
                    await using var reader = new TarReader(tar);
                    var names = new ArchiveNames(tarPath);
                    while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry)
                    {
                        names.Check(entry);
                        if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
                        var name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
                        if (name == "oci-layout") layout = await ReadSmallAsync(entry, tarPath, ct);
                        else if (name == "index.json") index = await ReadSmallAsync(entry, tarPath, ct);
                        else if (name == "manifest.json") sawDockerManifest = true;
                        else if (name.StartsWith("blobs/sha256/", StringComparison.Ordinal) && ContentStore.IsDigest("sha256:" + name[13..]))
                        {
                            var digest = "sha256:" + name[13..];
                            var blob = await _content.StageAsync(entry.DataStream, digest, ct);
                            if (staged.Remove(digest, out var previous)) previous.Dispose();
                            staged[digest] = blob;
                        }
                    }
                }
                catch (FormatException e) { throw new InvalidDataException($"{tarPath} is not a valid tar archive: {e.Message}", e); }
                catch (EndOfStreamException e) { throw new InvalidDataException($"{tarPath} is truncated: {e.Message}", e); }
            }
            if (layout is null || index is null)
                throw new InvalidDataException($"{tarPath} is not an OCI image layout tarball: it has no {(layout is null ? "oci-layout" : "index.json")}"
                    + (sawDockerManifest ? " (it looks like a legacy `docker save` archive; save it with Docker 25 or later, or `skopeo copy docker-archive:… oci-archive:…`)" : ""));
            if (!Encoding.UTF8.GetString(layout).Contains("\"imageLayoutVersion\""))
                throw new InvalidDataException($"{tarPath}: oci-layout has no imageLayoutVersion");

            async Task<byte[]> Read(string digest)
            {
                if (staged.TryGetValue(digest, out var b)) return await File.ReadAllBytesAsync(b.TempPath, ct);
                if (_content.Exists(digest)) return await _content.ReadAllAsync(digest, ct);
                throw new InvalidDataException($"{tarPath}: blob {digest} is missing");
            }
            void Need(OciDescriptor d, string what)
            {
                long size;
                if (staged.TryGetValue(d.Digest, out var b)) size = b.Size;
                else if (_content.Exists(d.Digest)) size = _content.SizeOf(d.Digest);
                else throw new InvalidDataException($"{tarPath}: {what} {d.Digest} is missing");
                if (size != d.Size) throw new InvalidDataException($"{tarPath}: {what} {d.Digest} has {size} bytes, its descriptor says {d.Size}");
            }

            var tags = new List<(ImageReference Name, OciDescriptor Manifest)>();
            var layers = new List<(ImmutableArray<OciDescriptor> Layers, ImmutableArray<string> DiffIds)>();
            foreach (var entry in OciJson.ParseIndex(index, $"{tarPath}: index.json"))
            {
                var written = entry.Annotations.GetValueOrDefault(OciJson.ContainerdNameAnnotation) ?? entry.Annotations.GetValueOrDefault(OciJson.RefNameAnnotation);
                if (written is null) continue;
                var name = ImageReference.Parse(written);
                if (name.Tag is null) throw new FormatException($"{tarPath}: image name \"{written}\" has no tag");
                name = name.Digest is null ? name : name.WithTag(name.Tag);
                var descriptor = entry.Descriptor;
                Need(descriptor, "manifest");
                var bytes = await Read(descriptor.Digest);
                var mediaType = descriptor.MediaType is "" ? OciJson.MediaTypeOf(bytes) : descriptor.MediaType;
                if (MediaTypes.IsIndex(mediaType))
                {
                    var platforms = OciJson.ParseIndex(bytes, $"{tarPath}: index {descriptor.Digest}");
                    var chosen = platforms.FirstOrDefault(p => p.Os == "linux" && p.Architecture == OciJson.GoArchitecture && MediaTypes.IsManifest(p.Descriptor.MediaType))
                        ?? throw new InvalidDataException($"{tarPath}: image \"{written}\" has no manifest for linux/{OciJson.GoArchitecture}");
                    descriptor = chosen.Descriptor;
                    Need(descriptor, "manifest");
                    bytes = await Read(descriptor.Digest);
                }
                var manifest = OciJson.ParseManifest(bytes, descriptor.Digest);
                descriptor = descriptor with { MediaType = manifest.MediaType };
                Need(manifest.Config, "config");
                var config = OciJson.ParseConfig(await Read(manifest.Config.Digest), manifest.Config.Digest);
                if (config.DiffIds.Length != manifest.Layers.Length)
                    throw new InvalidDataException($"{tarPath}: manifest {descriptor.Digest} has {manifest.Layers.Length} layers but its config lists {config.DiffIds.Length} diff IDs");
                foreach (var layer in manifest.Layers) Need(layer, "layer");
                tags.Add((name, descriptor));
                layers.Add((manifest.Layers, config.DiffIds));
            }
            if (tags.Count == 0) throw new InvalidDataException($"{tarPath}: the image layout holds no named image (no {OciJson.RefNameAnnotation} annotation)");
            // as docker load: every new layer is unpacked (and so checked: no entry may escape) before anything is tagged
            foreach (var (manifestLayers, diffIds) in layers)
            {
                string? chain = null;
                for (var i = 0; i < manifestLayers.Length; i++)
                {
                    chain = chain is null ? diffIds[i] : Sha256Digest($"{chain} {diffIds[i]}");
                    if (!staged.TryGetValue(manifestLayers[i].Digest, out var blob)) continue;
                    await UnpackLayerAsync(manifestLayers[i], diffIds[i], chain, () => File.OpenRead(blob.TempPath),
                        $"{tarPath}: layer {manifestLayers[i].Digest}", ct);
                }
            }
            await CommitAsync(staged.Values, tags, ct);
            return tags.Select(t => t.Name.ToString()).Distinct().ToList();
        }
        finally
        {
            foreach (var b in staged.Values) b.Dispose();
        }
    }

    static Stream OpenMaybeGzip(FileStream file)
    {
        Span<byte> magic = stackalloc byte[2];
        var n = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Seek(0, SeekOrigin.Begin);
        return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file;
    }

    static async Task<byte[]> ReadSmallAsync(TarEntry entry, string tarPath, CancellationToken ct)
    {
        if (entry.Length > MaxJsonFile) throw new InvalidDataException($"{tarPath}: {entry.Name} is too large ({entry.Length} bytes)");
        using var ms = new MemoryStream();
        await entry.DataStream!.CopyToAsync(ms, ct);
        return ms.ToArray();
    }

    /// <summary>
    /// Write the image <paramref name="reference"/> names as an OCI image-layout tarball at <paramref name="tarPath"/>
    /// (written beside it, then renamed), which <see cref="LoadAsync"/> and <c>docker load</c> read.
    /// Throws <see cref="KeyNotFoundException"/> when the image is absent.
    /// </summary>
    public async Task SaveAsync(string reference, string tarPath, CancellationToken ct = default)
    {
        var image = await ResolveAsync(reference, ct) ?? throw NotFound(reference);
        var full = Path.GetFullPath(tarPath);
        var temp = $"{full}.tmp-{Guid.NewGuid():N}";
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await WriteLayoutAsync(image, file, ct);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// Write the image <paramref name="reference"/> names to <paramref name="output"/> as an OCI image-layout tarball
    /// (what <c>troupe save</c> streams to the client). Throws <see cref="KeyNotFoundException"/> before writing
    /// anything when the image is absent.
    /// </summary>
    public async Task SaveAsync(string reference, Stream output, CancellationToken ct = default)
    {
        var image = await ResolveAsync(reference, ct) ?? throw NotFound(reference);
        await WriteLayoutAsync(image, output, ct);
    }

    async Task WriteLayoutAsync(ImageRecord image, Stream output, CancellationToken ct)
    {
        var manifest = new OciDescriptor(MediaTypeOf(image), image.Digest, _content.SizeOf(image.Digest));
        var annotations = ImmutableDictionary<string, string>.Empty
            .Add(OciJson.RefNameAnnotation, image.Reference)
            .Add(OciJson.ContainerdNameAnnotation, image.Reference);
        var index = OciJson.WriteIndex([new OciJson.IndexEntry(manifest, annotations, null, null)]);
        var blobs = new[] { image.Digest, image.ConfigDigest }.Concat(image.Layers.Select(l => l.Digest)).Distinct().ToList();

        await using (var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        {
            await WriteFileAsync(writer, "oci-layout", new MemoryStream(Encoding.UTF8.GetBytes("{\"imageLayoutVersion\":\"1.0.0\"}")), ct);
            await WriteFileAsync(writer, "index.json", new MemoryStream(index), ct);
            foreach (var dir in new[] { "blobs/", "blobs/sha256/" })
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, dir) { Mode = (UnixFileMode)0b111_101_101, ModificationTime = image.Created }, ct);
            foreach (var digest in blobs)
            {
                await using var blob = _content.OpenRead(digest);
                await WriteFileAsync(writer, "blobs/sha256/" + digest[7..], blob, ct);
            }
        }
    }

    static Task WriteFileAsync(TarWriter writer, string name, Stream data, CancellationToken ct) =>
        writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            Mode = (UnixFileMode)0b110_100_100,
            ModificationTime = DateTimeOffset.UnixEpoch,
            DataStream = data,
        }, ct);

    /// <summary>
    /// Make a one-layer image from a root file system tarball (plain or gzipped), tagged <paramref name="reference"/>,
    /// as <c>docker import</c>: the layer is stored gzipped, the config is empty but for the platform and the
    /// creation time. Throws <see cref="InvalidDataException"/> when the file is not a tar archive,
    /// <see cref="FormatException"/> for a malformed reference.
    /// </summary>
    public async Task<ImageRecord> ImportRootfsAsync(string tarPath, string reference, CancellationToken ct = default)
    {
        var name = TagOnly(reference);
        await using var file = new FileStream(tarPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
        if (file.Length == 0) throw new InvalidDataException($"{tarPath} is empty, not a tar archive");
        try
        {
            var tar = OpenMaybeGzip(file);
            await using var reader = new TarReader(tar, leaveOpen: true);
            while (await reader.GetNextEntryAsync(copyData: false, ct) is not null) { }
        }
        catch (FormatException e) { throw new InvalidDataException($"{tarPath} is not a valid tar archive: {e.Message}", e); }
        catch (EndOfStreamException e) { throw new InvalidDataException($"{tarPath} is truncated: {e.Message}", e); }
        file.Seek(0, SeekOrigin.Begin);

        string diffId = "";
        using var layer = await _content.StageAsync(async s =>
        {
            await using var gz = new GZipStream(s, CompressionLevel.Fastest, leaveOpen: true);
            using var hashing = new HashingStream(gz, leaveOpen: true);
            await OpenMaybeGzip(file).CopyToAsync(hashing, ct);
            diffId = hashing.Digest;
        }, null, ct);
        // unpacked (and so checked: no entry may escape the root) before anything is committed
        var layerDescriptor = new OciDescriptor(MediaTypes.OciLayerGzip, layer.Digest, layer.Size);
        await UnpackLayerAsync(layerDescriptor, diffId, diffId, () => File.OpenRead(layer.TempPath), tarPath, ct);
        var created = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        using var config = await _content.StageAsync(OciJson.WriteConfig(ImageConfig.Empty, created, [diffId], "troupe import " + Path.GetFileName(tarPath)), ct);
        var manifestBytes = OciJson.WriteManifest(new OciDescriptor(MediaTypes.OciConfig, config.Digest, config.Size), [layerDescriptor]);
        using var manifest = await _content.StageAsync(manifestBytes, ct);
        await CommitAsync([layer, config, manifest], [(name, new OciDescriptor(MediaTypes.OciManifest, manifest.Digest, manifest.Size))], ct);
        return (await ResolveAsync(name.ToString(), ct))!;
    }

    /// <summary>
    /// The entry names of an image-layout tarball, checked as <c>docker load</c>'s extraction checks them: no absolute
    /// name, no <c>..</c>, nothing written through a symbolic link of the archive, no link pointing out of it.
    /// </summary>
    sealed class ArchiveNames(string tarPath)
    {
        readonly HashSet<string> _symlinks = new(StringComparer.Ordinal);

        public void Check(TarEntry entry)
        {
            if (entry.EntryType is TarEntryType.GlobalExtendedAttributes) return;
            var name = Inside(entry.Name, entry.Name, "name");
            for (var slash = name.IndexOf('/'); slash > 0; slash = name.IndexOf('/', slash + 1))
                if (_symlinks.Contains(name[..slash]))
                    throw Bad(entry.Name, $"would be written through the symbolic link \"{name[..slash]}\"");
            switch (entry.EntryType)
            {
                case TarEntryType.SymbolicLink:
                    var dir = name.LastIndexOf('/') is var s and > 0 ? name[..s] : "";
                    if (entry.LinkName.StartsWith('/')) throw Bad(entry.Name, $"is a symbolic link to the absolute path \"{entry.LinkName}\", outside the archive");
                    Inside(dir.Length == 0 ? entry.LinkName : dir + "/" + entry.LinkName, entry.Name, "symbolic link target");
                    _symlinks.Add(name);
                    break;
                case TarEntryType.HardLink:
                    Inside(entry.LinkName, entry.Name, "hard link target");
                    break;
            }
        }

        /// <summary>The normalised relative path, or an exception when it leaves the archive's root.</summary>
        string Inside(string path, string entry, string role)
        {
            if (path.StartsWith('/')) throw Bad(entry, $"has an absolute {role} \"{path}\"");
            var parts = new List<string>();
            foreach (var p in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                if (p == ".") continue;
                if (p != "..") { parts.Add(p); continue; }
                if (parts.Count == 0) throw Bad(entry, $"has a {role} \"{path}\" that leaves the archive");
                parts.RemoveAt(parts.Count - 1);
            }
            return string.Join('/', parts);
        }

        InvalidDataException Bad(string entry, string reason) => new($"{tarPath}: entry \"{entry}\" {reason}");
    }
}
