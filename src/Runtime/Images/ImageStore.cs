using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;

namespace Troupe.Runtime.Images;

/// <summary>
/// The node's OCI image store under one root folder (<c>$TROUPE_HOME/images</c>): an OCI image layout
/// (<c>oci-layout</c>, <c>index.json</c> naming each tagged manifest with the annotation
/// <c>org.opencontainers.image.ref.name</c> = the full normalised reference, <c>blobs/sha256/…</c>) plus the
/// unpacked layers, <c>layers/&lt;chain ID&gt;/</c>, which containers' overlay mounts use as lower directories.
/// Thread-safe; use one instance per root (it clears <c>tmp/</c> when constructed).
/// References are normalised as Docker does (<see cref="ImageReference"/>): a malformed one throws
/// <see cref="FormatException"/>. A corrupt store (a blob missing or not matching its digest) throws
/// <see cref="InvalidDataException"/>; file-system failures throw <see cref="IOException"/>.
/// </summary>
public sealed partial class ImageStore
{
    readonly string _root;
    readonly string _indexPath;
    readonly string _layers;
    readonly string _temp;
    readonly ContentStore _content;
    readonly SemaphoreSlim _indexLock = new(1, 1);
    readonly ConcurrentDictionary<string, SemaphoreSlim> _unpackLocks = new();
    readonly ConcurrentDictionary<string, Content> _cache = new();
    int _leases;

    /// <summary>A manifest and its config, parsed; blobs are immutable, so this is cached by manifest digest.</summary>
    sealed record Content(OciJson.Manifest Manifest, OciJson.Config Config, long Size);

    /// <summary>Open (creating if needed) the store at <paramref name="root"/>.</summary>
    public ImageStore(string root)
    {
        _root = Path.GetFullPath(root);
        _indexPath = Path.Combine(_root, "index.json");
        _layers = Path.Combine(_root, "layers");
        _temp = Path.Combine(_root, "tmp");
        if (Directory.Exists(_temp)) Directory.Delete(_temp, recursive: true);
        _content = new ContentStore(_root, _temp);
        Directory.CreateDirectory(_layers);
        var layout = Path.Combine(_root, "oci-layout");
        if (!File.Exists(layout)) WriteAtomically(layout, Encoding.UTF8.GetBytes("{\"imageLayoutVersion\":\"1.0.0\"}"));
        if (!File.Exists(_indexPath)) WriteAtomically(_indexPath, OciJson.WriteIndex([]));
    }

    /// <summary>The store's root folder.</summary>
    public string Root => _root;

    /// <summary>
    /// Held by a build or a pull while it writes blobs no tag names yet: while any lease is held, <see cref="RemoveAsync"/>
    /// untags but collects no blobs, so it never deletes a layer a build is about to commit. Dispose to release.
    /// </summary>
    public IDisposable Lease()
    {
        Interlocked.Increment(ref _leases);
        return new Releaser(this);
    }

    sealed class Releaser(ImageStore store) : IDisposable
    {
        int _done;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) Interlocked.Decrement(ref store._leases);
        }
    }

    /// <summary>
    /// The image <paramref name="reference"/> names (<c>busybox</c>, <c>busybox:latest</c>,
    /// <c>docker.io/library/busybox:latest</c>, <c>busybox@sha256:…</c>), or null when the store does not hold it.
    /// Throws <see cref="FormatException"/> for a malformed reference.
    /// </summary>
    public async Task<ImageRecord?> ResolveAsync(string reference, CancellationToken ct = default)
    {
        if (IdPrefix(reference) is { } id)
            foreach (var (name, descriptor) in await TaggedAsync(ct))
                if (descriptor.Digest.StartsWith(id, StringComparison.Ordinal)) return await RecordAsync(name, descriptor, ct);
        var r = ImageReference.Parse(reference);
        foreach (var (name, descriptor) in await TaggedAsync(ct))
        {
            var match = r.Digest is null
                ? name.ToString() == r.ToString()
                : name.Repository == r.Repository && descriptor.Digest == r.Digest;
            if (match) return await RecordAsync(name, descriptor, ct);
        }
        return null;
    }

    /// <summary>
    /// <c>sha256:</c> and the hex of <paramref name="reference"/> when it reads as an image ID or its prefix (12 to 64
    /// lower-case hex digits, as <c>troupe images</c> shows them, with or without <c>sha256:</c>), else null.
    /// </summary>
    public static string? IdPrefix(string reference)
    {
        var hex = reference.StartsWith("sha256:", StringComparison.Ordinal) ? reference[7..] : reference;
        return hex.Length is >= 12 and <= 64 && hex.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f') ? "sha256:" + hex : null;
    }

    /// <summary>Every tagged image, ordered by reference.</summary>
    public async Task<IReadOnlyList<ImageRecord>> ListAsync(CancellationToken ct = default)
    {
        var list = new List<ImageRecord>();
        foreach (var (name, descriptor) in (await TaggedAsync(ct)).OrderBy(t => t.Name.ToString(), StringComparer.Ordinal))
            list.Add(await RecordAsync(name, descriptor, ct));
        return list;
    }

    /// <summary>
    /// Tag the image <paramref name="source"/> names as <paramref name="target"/> too (replacing what
    /// <paramref name="target"/> named before), as <c>docker tag</c>. Throws <see cref="KeyNotFoundException"/> when
    /// <paramref name="source"/> is absent and <see cref="FormatException"/> for a malformed reference or a target with a digest.
    /// </summary>
    public async Task<ImageRecord> TagAsync(string source, string target, CancellationToken ct = default)
    {
        var dst = TagOnly(target);
        var image = await ResolveAsync(source, ct) ?? throw NotFound(source);
        var descriptor = new OciDescriptor(MediaTypeOf(image), image.Digest, _content.SizeOf(image.Digest));
        await CommitAsync([], [(dst, descriptor)], ct);
        return (await ResolveAsync(dst.ToString(), ct))!;
    }

    /// <summary>
    /// Untag what <paramref name="reference"/> names (with a digest: every tag of that repository on that manifest),
    /// then delete the blobs no remaining image refers to, as <c>docker rmi</c>. Unpacked layers stay: running
    /// containers may use them. Returns empty lists when nothing matched.
    /// </summary>
    public async Task<ImageRemoval> RemoveAsync(string reference, CancellationToken ct = default)
    {
        var id = IdPrefix(reference);
        var r = id is null ? ImageReference.Parse(reference) : null;
        await _indexLock.WaitAsync(ct);
        try
        {
            var index = await ReadIndexAsync(ct);
            var untagged = new List<string>();
            var kept = new List<OciJson.IndexEntry>();
            foreach (var e in index)
            {
                var name = NameOf(e);
                var match = name is not null && (r is null ? e.Descriptor.Digest.StartsWith(id!, StringComparison.Ordinal)
                    : r.Digest is null ? name.ToString() == r.ToString()
                    : name.Repository == r.Repository && e.Descriptor.Digest == r.Digest);
                if (match) untagged.Add(name!.ToString());
                else kept.Add(e);
            }
            if (untagged.Count == 0) return new ImageRemoval([], []);
            WriteAtomically(_indexPath, OciJson.WriteIndex(kept));
            if (Volatile.Read(ref _leases) > 0) return new ImageRemoval([.. untagged], []); // a build or pull is writing: collect later

            var referenced = new HashSet<string>(StringComparer.Ordinal);
            foreach (var e in kept)
            {
                referenced.Add(e.Descriptor.Digest);
                if (!MediaTypes.IsManifest(e.Descriptor.MediaType) && e.Descriptor.MediaType != "") continue;
                try
                {
                    var c = await ContentAsync(e.Descriptor.Digest, ct);
                    referenced.Add(c.Manifest.Config.Digest);
                    foreach (var l in c.Manifest.Layers) referenced.Add(l.Digest);
                }
                catch (InvalidDataException)
                {
                    return new ImageRemoval([.. untagged], []); // a damaged image: collect nothing rather than guess
                }
            }
            var deleted = new List<string>();
            foreach (var digest in _content.List().ToList())
            {
                if (referenced.Contains(digest)) continue;
                _content.Delete(digest);
                _cache.TryRemove(digest, out _);
                deleted.Add(digest);
            }
            return new ImageRemoval([.. untagged], [.. deleted]);
        }
        finally { _indexLock.Release(); }
    }

    /// <summary>
    /// Unpack each layer of <paramref name="image"/> once into <c>layers/&lt;chain ID hex&gt;/</c> and return those
    /// folders, bottom first. A layer being unpacked by another caller is waited for. Throws
    /// <see cref="InvalidDataException"/> when a layer is unsafe (an entry escaping the layer, named in the message),
    /// corrupt, or its uncompressed digest differs from the config's diff ID; nothing is left behind then.
    /// </summary>
    public async Task<IReadOnlyList<string>> UnpackAsync(ImageRecord image, CancellationToken ct = default)
    {
        if (image.Layers.Length != image.DiffIds.Length)
            throw new InvalidDataException($"image {image.Reference}: {image.Layers.Length} layers but {image.DiffIds.Length} diff IDs");
        var folders = new List<string>();
        string? chain = null;
        for (var i = 0; i < image.Layers.Length; i++)
        {
            chain = chain is null ? image.DiffIds[i] : Sha256Digest($"{chain} {image.DiffIds[i]}");
            folders.Add(await UnpackLayerAsync(image.Layers[i], image.DiffIds[i], chain, ct));
        }
        return folders;
    }

    Task<string> UnpackLayerAsync(OciDescriptor layer, string diffId, string chainId, CancellationToken ct) =>
        UnpackLayerAsync(layer, diffId, chainId, () =>
        {
            try { return _content.OpenRead(layer.Digest); }
            catch (FileNotFoundException) { throw new InvalidDataException($"layer {layer.Digest} is missing from the image store"); }
        }, "layer " + layer.Digest, ct);

    /// <summary>
    /// Unpack a layer read from <paramref name="open"/> (a committed blob, or a staged one that a load or import
    /// checks before committing it) into <c>layers/&lt;chain ID hex&gt;/</c>; <paramref name="what"/> names it in errors.
    /// </summary>
    async Task<string> UnpackLayerAsync(OciDescriptor layer, string diffId, string chainId, Func<Stream> open, string what, CancellationToken ct)
    {
        var folder = Path.Combine(_layers, chainId[7..]);
        if (Directory.Exists(folder)) return folder;
        var gate = _unpackLocks.GetOrAdd(chainId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            if (Directory.Exists(folder)) return folder;
            if (layer.MediaType == MediaTypes.OciLayerZstd)
                throw new InvalidDataException($"layer {layer.Digest} is zstd-compressed, which this image store does not support yet");
            var temp = _content.TempPath("layer");
            try
            {
                await Task.Run(() =>
                {
                    if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("unpacking image layers needs Linux");
                    Directory.CreateDirectory(temp, (UnixFileMode)0b111_101_101);
                    var actual = LayerUnpacker.Extract(open(), temp, what, ct);
                    if (actual != diffId)
                        throw new InvalidDataException($"layer {layer.Digest} is corrupt: its uncompressed content has digest {actual}, but the config's diff ID is {diffId}");
                }, ct);
                Directory.Move(temp, folder);
            }
            catch
            {
                if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
                throw;
            }
            return folder;
        }
        finally { gate.Release(); }
    }

    static string Sha256Digest(string text) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    static KeyNotFoundException NotFound(string reference) => new($"image \"{reference}\" is not in the node's image store");

    static ImageReference TagOnly(string reference)
    {
        var r = ImageReference.Parse(reference);
        if (r.Digest is not null) throw new FormatException($"invalid reference format \"{reference}\": a tag target cannot carry a digest");
        return r;
    }

    string MediaTypeOf(ImageRecord image) =>
        _cache.TryGetValue(image.Digest, out var c) ? c.Manifest.MediaType : MediaTypes.OciManifest;

    // ---- index.json ---------------------------------------------------------------------------------------------

    async Task<ImmutableArray<OciJson.IndexEntry>> ReadIndexAsync(CancellationToken ct) =>
        OciJson.ParseIndex(await File.ReadAllBytesAsync(_indexPath, ct), _indexPath);

    static ImageReference? NameOf(OciJson.IndexEntry e) =>
        e.Annotations.TryGetValue(OciJson.RefNameAnnotation, out var n) && ImageReference.TryParse(n, out var r, out _) && r.Tag is not null
            ? r
            : null;

    async Task<List<(ImageReference Name, OciDescriptor Descriptor)>> TaggedAsync(CancellationToken ct) =>
        (await ReadIndexAsync(ct)).Select(e => (Name: NameOf(e), e.Descriptor)).Where(t => t.Name is not null)
            .Select(t => (t.Name!, t.Descriptor)).ToList();

    /// <summary>
    /// Under the index lock: move the staged blobs into place, check that each tag's manifest is there, and point
    /// the tags at their manifests in one atomic rewrite of index.json.
    /// </summary>
    async Task CommitAsync(IEnumerable<StagedBlob> blobs, IReadOnlyList<(ImageReference Name, OciDescriptor Manifest)> tags, CancellationToken ct)
    {
        await _indexLock.WaitAsync(ct);
        try
        {
            foreach (var b in blobs) _content.Commit(b);
            foreach (var (_, m) in tags)
                if (!_content.Exists(m.Digest)) throw new InvalidDataException($"manifest {m.Digest} is missing from the image store");
            var names = tags.Select(t => t.Name.ToString()).ToHashSet(StringComparer.Ordinal);
            var entries = (await ReadIndexAsync(ct)).Where(e => NameOf(e) is not { } n || !names.Contains(n.ToString())).ToList();
            foreach (var (name, m) in tags)
                entries.Add(new OciJson.IndexEntry(m, ImmutableDictionary<string, string>.Empty.Add(OciJson.RefNameAnnotation, name.ToString()), null, null));
            WriteAtomically(_indexPath, OciJson.WriteIndex(entries));
        }
        finally { _indexLock.Release(); }
    }

    /// <summary>Write to a temp file beside <paramref name="path"/>, fsync, rename over it.</summary>
    static void WriteAtomically(string path, byte[] bytes)
    {
        var temp = $"{path}.tmp-{Guid.NewGuid():N}";
        try
        {
            using (var f = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                f.Write(bytes);
                f.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    // ---- reading images -----------------------------------------------------------------------------------------

    async Task<Content> ContentAsync(string manifestDigest, CancellationToken ct)
    {
        if (_cache.TryGetValue(manifestDigest, out var cached)) return cached;
        var manifest = OciJson.ParseManifest(await _content.ReadAllAsync(manifestDigest, ct), manifestDigest);
        var config = OciJson.ParseConfig(await _content.ReadAllAsync(manifest.Config.Digest, ct), manifest.Config.Digest);
        if (config.DiffIds.Length != manifest.Layers.Length)
            throw new InvalidDataException($"manifest {manifestDigest}: {manifest.Layers.Length} layers but its config lists {config.DiffIds.Length} diff IDs");
        var content = new Content(manifest, config, manifest.Config.Size + manifest.Layers.Sum(l => l.Size));
        return _cache.GetOrAdd(manifestDigest, content);
    }

    async Task<ImageRecord> RecordAsync(ImageReference name, OciDescriptor descriptor, CancellationToken ct)
    {
        var c = await ContentAsync(descriptor.Digest, ct);
        return new ImageRecord(name.ToString(), name.Repository, name.Tag!, descriptor.Digest, c.Config.Created, c.Size,
            c.Config.Settings, c.Manifest.Config.Digest, c.Manifest.Layers, c.Config.DiffIds, c.Config.Architecture, c.Config.Os);
    }
}
