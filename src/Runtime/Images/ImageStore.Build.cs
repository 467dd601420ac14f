using System.Collections.Immutable;
using System.IO.Compression;

namespace Troupe.Runtime.Images;

/// <summary>A layer blob the builder wrote into the store: its descriptor and the digest of its uncompressed tar.</summary>
/// <param name="Descriptor">The gzip blob's descriptor (media type <see cref="MediaTypes.OciLayerGzip"/>).</param>
/// <param name="DiffId">The digest of the uncompressed tar, as <c>rootfs.diff_ids</c> lists it.</param>
public sealed record BuiltLayer(OciDescriptor Descriptor, string DiffId);

public sealed partial class ImageStore
{
    /// <summary>
    /// The raw config JSON of <paramref name="image"/> (checked against its digest): what the builder starts a stage
    /// from, keeping the fields <see cref="ImageConfig"/> does not model (Healthcheck, Shell, OnBuild, history).
    /// </summary>
    public Task<byte[]> ReadConfigAsync(ImageRecord image, CancellationToken ct = default) =>
        _content.ReadAllAsync(image.ConfigDigest, ct);

    /// <summary>True when the store holds the blob <paramref name="digest"/> (a cached layer may have been collected).</summary>
    public bool HasBlob(string digest) => ContentStore.IsDigest(digest) && _content.Exists(digest);

    /// <summary>
    /// Write a layer: <paramref name="writeTar"/> writes the uncompressed tar; it is gzipped, staged, fsynced and
    /// committed into <c>blobs/</c> (untagged; <see cref="RemoveAsync"/>'s collection may delete it later, which the
    /// builder's cache notices). Nothing is left in <c>tmp/</c> when <paramref name="writeTar"/> throws.
    /// </summary>
    public async Task<BuiltLayer> AddLayerAsync(Func<Stream, Task> writeTar, CancellationToken ct = default)
    {
        var diffId = "";
        using var staged = await _content.StageAsync(async s =>
        {
            await using (var gz = new GZipStream(s, CompressionLevel.Fastest, leaveOpen: true))
            {
                using var hashing = new HashingStream(gz, leaveOpen: true);
                await writeTar(hashing);
                diffId = hashing.Digest;
            }
        }, null, ct);
        await CommitAsync([staged], [], ct);
        return new BuiltLayer(new OciDescriptor(MediaTypes.OciLayerGzip, staged.Digest, staged.Size), diffId);
    }

    /// <summary>
    /// Unpack layers that are not (yet) part of a tagged image — a build's intermediate state — exactly as
    /// <see cref="UnpackAsync"/> does; returns the folders bottom first.
    /// </summary>
    public async Task<IReadOnlyList<string>> UnpackLayersAsync(IReadOnlyList<OciDescriptor> layers, IReadOnlyList<string> diffIds, CancellationToken ct = default)
    {
        if (layers.Count != diffIds.Count) throw new ArgumentException($"{layers.Count} layers but {diffIds.Count} diff IDs");
        var folders = new List<string>();
        string? chain = null;
        for (var i = 0; i < layers.Count; i++)
        {
            chain = chain is null ? diffIds[i] : Sha256Digest($"{chain} {diffIds[i]}");
            folders.Add(await UnpackLayerAsync(layers[i], diffIds[i], chain, ct));
        }
        return folders;
    }

    /// <summary>
    /// Write a built image: its config JSON (as given) and an OCI manifest over <paramref name="layers"/> (which must
    /// already be in the store), then point every one of <paramref name="tags"/> at it in one atomic index update.
    /// Returns the manifest digest. With no tags the image stays untagged (dangling).
    /// </summary>
    public async Task<string> CommitImageAsync(byte[] configJson, IReadOnlyList<OciDescriptor> layers, IReadOnlyList<string> tags, CancellationToken ct = default)
    {
        var names = tags.Select(TagOnly).ToList();
        foreach (var l in layers)
            if (!_content.Exists(l.Digest)) throw new InvalidDataException($"layer {l.Digest} is missing from the image store");
        using var config = await _content.StageAsync(configJson, ct);
        var manifestBytes = OciJson.WriteManifest(new OciDescriptor(MediaTypes.OciConfig, config.Digest, config.Size), layers);
        using var manifest = await _content.StageAsync(manifestBytes, ct);
        var descriptor = new OciDescriptor(MediaTypes.OciManifest, manifest.Digest, manifest.Size);
        await CommitAsync([config, manifest], names.Select(n => (n, descriptor)).ToImmutableArray(), ct);
        return manifest.Digest;
    }
}
