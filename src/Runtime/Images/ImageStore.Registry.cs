using System.Collections.Immutable;

namespace Troupe.Runtime.Images;

/// <summary>
/// One step of a pull or push, as docker's progress lines: <c>Id</c> is a layer's short digest (or empty for a line
/// about the whole image), <c>Status</c> docker's words (<c>Pulling fs layer</c>, <c>Downloading</c>,
/// <c>Pull complete</c>, <c>Pushed</c>, <c>Layer already exists</c>…), <c>Current</c>/<c>Total</c> bytes while
/// a blob moves.
/// </summary>
public sealed record TransferProgress(string Id, string Status, long Current = 0, long Total = 0);

/// <summary>What a pull did: the reference tagged, its manifest digest, and whether anything new was stored.</summary>
public sealed record PullResult(string Reference, string Digest, bool Updated);

/// <summary>What a push did: the reference pushed, its manifest digest and the manifest's size.</summary>
public sealed record PushResult(string Reference, string Digest, long Size);

public sealed partial class ImageStore
{
    /// <summary>
    /// Pull <paramref name="reference"/> (<c>NAME[:TAG]</c> or <c>NAME[:TAG]@DIGEST</c>) from its registry: the manifest
    /// (an index contributes its linux manifest for this machine's architecture), the config and every layer not
    /// already here, each checked against its digest and every layer unpacked (and so checked: no entry may escape)
    /// before the tag is written. Throws <see cref="RegistryException"/> (unreachable, refused, not found),
    /// <see cref="InvalidDataException"/> (a corrupt or unsupported image), <see cref="FormatException"/> (a
    /// malformed reference). Nothing is tagged on failure.
    /// </summary>
    public async Task<PullResult> PullAsync(string reference, RegistryClient registry, IProgress<TransferProgress>? progress = null, CancellationToken ct = default)
    {
        var name = ImageReference.Parse(reference);
        if (name.Tag is null)
            throw new FormatException($"pulling \"{reference}\" by digest alone is not supported yet: name a tag as well (NAME:TAG@DIGEST)");
        var tagged = name.Digest is null ? name : name.WithTag(name.Tag);
        using var lease = Lease();
        progress?.Report(new TransferProgress("", $"{name.Tag}: Pulling from {name.Path}"));

        var fetched = await registry.GetManifestAsync(name, name.Digest ?? name.Tag, ct);
        var staged = new Dictionary<string, StagedBlob>(StringComparer.Ordinal);
        try
        {
            // the index (kept, so the tag's digest is the registry's), then the manifest for this platform
            var top = fetched;
            if (MediaTypes.IsIndex(fetched.MediaType))
            {
                var platforms = OciJson.ParseIndex(fetched.Bytes, $"{name}: index {fetched.Digest}");
                var chosen = platforms.FirstOrDefault(p => p.Os == "linux" && p.Architecture == OciJson.GoArchitecture
                        && (MediaTypes.IsManifest(p.Descriptor.MediaType) || p.Descriptor.MediaType == ""))
                    ?? throw new InvalidDataException($"no matching manifest for linux/{OciJson.GoArchitecture} in the manifest list entries of {name}");
                staged[fetched.Digest] = await _content.StageAsync(fetched.Bytes, ct);
                fetched = await registry.GetManifestAsync(name, chosen.Descriptor.Digest, ct);
            }
            var manifest = OciJson.ParseManifest(fetched.Bytes, fetched.Digest);
            if (!_content.Exists(fetched.Digest)) staged[fetched.Digest] = await _content.StageAsync(fetched.Bytes, ct);
            foreach (var layer in manifest.Layers)
            {
                if (!MediaTypes.IsLayer(layer.MediaType) && layer.MediaType != "")
                    throw new InvalidDataException($"{name}: layer {layer.Digest} has the unsupported media type \"{layer.MediaType}\"");
                if (layer.MediaType == MediaTypes.OciLayerZstd)
                    throw new InvalidDataException($"{name}: layer {layer.Digest} is zstd-compressed, which this image store does not support yet");
            }

            var config = await BlobAsync(manifest.Config, name, registry, staged, isConfig: true, null, ct);
            var parsedConfig = OciJson.ParseConfig(config, manifest.Config.Digest);
            if (parsedConfig.DiffIds.Length != manifest.Layers.Length)
                throw new InvalidDataException($"{name}: manifest {fetched.Digest} has {manifest.Layers.Length} layers but its config lists {parsedConfig.DiffIds.Length} diff IDs");
            foreach (var layer in manifest.Layers)
                if (!_content.Exists(layer.Digest)) progress?.Report(new TransferProgress(Short(layer.Digest), "Pulling fs layer"));
                else progress?.Report(new TransferProgress(Short(layer.Digest), "Already exists"));
            foreach (var layer in manifest.Layers)
                if (!_content.Exists(layer.Digest) && !staged.ContainsKey(layer.Digest))
                {
                    await BlobAsync(layer, name, registry, staged, isConfig: false, progress, ct);
                    progress?.Report(new TransferProgress(Short(layer.Digest), "Download complete"));
                }

            string? chain = null;
            for (var i = 0; i < manifest.Layers.Length; i++)
            {
                var layer = manifest.Layers[i];
                chain = chain is null ? parsedConfig.DiffIds[i] : Sha256Digest($"{chain} {parsedConfig.DiffIds[i]}");
                if (!staged.TryGetValue(layer.Digest, out var blob)) continue;
                progress?.Report(new TransferProgress(Short(layer.Digest), "Extracting", layer.Size, layer.Size));
                await UnpackLayerAsync(layer, parsedConfig.DiffIds[i], chain, () => File.OpenRead(blob.TempPath), $"{name}: layer {layer.Digest}", ct);
                progress?.Report(new TransferProgress(Short(layer.Digest), "Pull complete"));
            }

            var before = await ResolveAsync(tagged.ToString(), ct);
            var descriptor = new OciDescriptor(top.MediaType, top.Digest, top.Bytes.Length);
            if (MediaTypes.IsIndex(top.MediaType))
            {
                // the store names manifests, not indexes: the tag points at this platform's manifest
                descriptor = new OciDescriptor(manifest.MediaType, fetched.Digest, fetched.Bytes.Length);
            }
            await CommitAsync(staged.Values, [(tagged, descriptor)], ct);
            progress?.Report(new TransferProgress("", $"Digest: {top.Digest}"));
            var updated = before is null || before.Digest != descriptor.Digest;
            progress?.Report(new TransferProgress("", updated ? $"Status: Downloaded newer image for {tagged}" : $"Status: Image is up to date for {tagged}"));
            return new PullResult(tagged.ToString(), top.Digest, updated);
        }
        finally
        {
            foreach (var b in staged.Values) b.Dispose();
        }
    }

    /// <summary>A blob from the store when it is here, else fetched, checked and staged; small ones (configs) are returned.</summary>
    async Task<byte[]> BlobAsync(OciDescriptor d, ImageReference name, RegistryClient registry, Dictionary<string, StagedBlob> staged,
        bool isConfig, IProgress<TransferProgress>? progress, CancellationToken ct)
    {
        if (isConfig && d.Size > MaxJsonFile) throw new InvalidDataException($"{name}: config {d.Digest} is too large ({d.Size} bytes)");
        if (_content.Exists(d.Digest)) return isConfig ? await _content.ReadAllAsync(d.Digest, ct) : [];
        using var response = await registry.GetBlobAsync(name, d.Digest, ct);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var counted = progress is null ? body : new ProgressStream(body, n => progress.Report(new TransferProgress(Short(d.Digest), "Downloading", n, d.Size)));
        StagedBlob blob;
        try { blob = await _content.StageAsync(counted, d.Digest, ct); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{name}: {e.Message}", e); }
        if (blob.Size != d.Size)
        {
            blob.Dispose();
            throw new InvalidDataException($"{name}: blob {d.Digest} has {blob.Size} bytes, its descriptor says {d.Size}");
        }
        staged[d.Digest] = blob;
        return isConfig ? await File.ReadAllBytesAsync(blob.TempPath, ct) : [];
    }

    /// <summary>
    /// Push the local image <paramref name="reference"/> to the registry its name points at: each layer and the config
    /// the repository does not hold yet (<c>Layer already exists</c> otherwise), then the manifest under its tag.
    /// Throws <see cref="KeyNotFoundException"/> when the image is not here, <see cref="RegistryException"/> when the
    /// registry fails or refuses.
    /// </summary>
    public async Task<PushResult> PushAsync(string reference, RegistryClient registry, IProgress<TransferProgress>? progress = null, CancellationToken ct = default)
    {
        var image = await ResolveAsync(reference, ct) ?? throw new KeyNotFoundException($"An image does not exist locally with the tag: {reference}");
        var name = ImageReference.Parse(image.Reference);
        using var lease = Lease();
        progress?.Report(new TransferProgress("", $"The push refers to repository [{name.Repository}]"));
        var blobs = image.Layers.Select(l => (l.Digest, l.Size, Layer: true))
            .Append((Digest: image.ConfigDigest, Size: _content.SizeOf(image.ConfigDigest), Layer: false)).ToList();
        foreach (var (digest, _, layer) in blobs)
            if (layer) progress?.Report(new TransferProgress(Short(digest), "Preparing"));
        foreach (var (digest, size, layer) in blobs)
        {
            if (await registry.BlobExistsAsync(name, digest, ct))
            {
                if (layer) progress?.Report(new TransferProgress(Short(digest), "Layer already exists"));
                continue;
            }
            await registry.PushBlobAsync(name, digest, size, () => layer
                ? new ProgressStream(_content.OpenRead(digest), n => progress?.Report(new TransferProgress(Short(digest), "Pushing", n, size)))
                : _content.OpenRead(digest), ct);
            if (layer) progress?.Report(new TransferProgress(Short(digest), "Pushed"));
        }
        var manifest = await _content.ReadAllAsync(image.Digest, ct);
        await registry.PutManifestAsync(name, name.Tag!, manifest, MediaTypeOf(image), ct);
        progress?.Report(new TransferProgress("", $"{name.Tag}: digest: {image.Digest} size: {manifest.Length}"));
        return new PushResult(image.Reference, image.Digest, manifest.Length);
    }

    /// <summary>docker's short layer id: the first 12 hex digits.</summary>
    static string Short(string digest) => digest.Length > 19 ? digest[7..19] : digest;

    /// <summary>A read-only stream that reports the bytes read so far, at most every 256 KiB and at the end.</summary>
    sealed class ProgressStream(Stream inner, Action<long> report) : Stream
    {
        long _read, _reported;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => Count(await inner.ReadAsync(buffer, ct));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

        int Count(int n)
        {
            _read += n;
            if (n == 0 || _read - _reported >= 256 << 10) { _reported = _read; report(_read); }
            return n;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
