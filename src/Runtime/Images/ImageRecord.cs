using System.Collections.Immutable;

namespace Troupe.Runtime.Images;

/// <summary>
/// One tagged image in the node's <see cref="ImageStore"/>, as <see cref="ImageStore.ResolveAsync"/> and
/// <see cref="ImageStore.ListAsync"/> return it.
/// </summary>
/// <param name="Reference">The normalised reference it is tagged with: <c>docker.io/library/busybox:latest</c>.</param>
/// <param name="Repository"><c>docker.io/library/busybox</c>.</param>
/// <param name="Tag"><c>latest</c>.</param>
/// <param name="Digest">The manifest digest, <c>sha256:…</c> (what <c>docker images --digests</c> shows).</param>
/// <param name="Created">The config's <c>created</c> time (the Unix epoch when absent).</param>
/// <param name="Size">Compressed layer sizes plus the config's size, in bytes, as <c>docker images</c> counts.</param>
/// <param name="Config">The config's <c>config</c> section: what a container of this image runs by default.</param>
/// <param name="ConfigDigest">The config blob's digest: the image ID.</param>
/// <param name="Layers">The manifest's layer descriptors, bottom first.</param>
/// <param name="DiffIds">The config's <c>rootfs.diff_ids</c> (digests of the uncompressed layers), bottom first.</param>
/// <param name="Architecture">The config's <c>architecture</c>: <c>amd64</c>.</param>
/// <param name="Os">The config's <c>os</c>: <c>linux</c>.</param>
public sealed record ImageRecord(
    string Reference,
    string Repository,
    string Tag,
    string Digest,
    DateTimeOffset Created,
    long Size,
    ImageConfig Config,
    string ConfigDigest,
    ImmutableArray<OciDescriptor> Layers,
    ImmutableArray<string> DiffIds,
    string Architecture,
    string Os);

/// <summary>
/// The <c>config</c> section of an OCI image config: the defaults a container of the image runs with.
/// Absent fields are empty (arrays, maps) or null (strings).
/// </summary>
/// <param name="Env"><c>K=V</c> strings.</param>
/// <param name="Entrypoint">The entrypoint argv, or empty.</param>
/// <param name="Cmd">The default arguments (or command when there is no entrypoint), or empty.</param>
/// <param name="WorkingDir">The working directory, or null.</param>
/// <param name="User"><c>user[:group]</c> as a name or a number, or null.</param>
/// <param name="StopSignal"><c>SIGTERM</c>, <c>15</c>…, or null.</param>
/// <param name="ExposedPorts"><c>80/tcp</c>…, sorted.</param>
/// <param name="Labels">Image labels.</param>
/// <param name="Volumes">Mount points declared with VOLUME, sorted.</param>
public sealed record ImageConfig(
    ImmutableArray<string> Env,
    ImmutableArray<string> Entrypoint,
    ImmutableArray<string> Cmd,
    string? WorkingDir,
    string? User,
    string? StopSignal,
    ImmutableArray<string> ExposedPorts,
    ImmutableSortedDictionary<string, string> Labels,
    ImmutableArray<string> Volumes)
{
    /// <summary>A config with nothing set.</summary>
    public static ImageConfig Empty { get; } = new([], [], [], null, null, null, [], ImmutableSortedDictionary<string, string>.Empty, []);

    /// <summary>Equal when every field holds the same values (arrays and labels compared element by element).</summary>
    public bool Equals(ImageConfig? other) =>
        other is not null
        && Env.SequenceEqual(other.Env) && Entrypoint.SequenceEqual(other.Entrypoint) && Cmd.SequenceEqual(other.Cmd)
        && WorkingDir == other.WorkingDir && User == other.User && StopSignal == other.StopSignal
        && ExposedPorts.SequenceEqual(other.ExposedPorts) && Volumes.SequenceEqual(other.Volumes)
        && Labels.Count == other.Labels.Count && Labels.All(kv => other.Labels.TryGetValue(kv.Key, out var v) && v == kv.Value);

    public override int GetHashCode() => HashCode.Combine(Env.Length, Cmd.Length, Entrypoint.Length, WorkingDir, User);
}

/// <summary>An OCI content descriptor: what a manifest says about a blob.</summary>
/// <param name="MediaType"><c>application/vnd.oci.image.layer.v1.tar+gzip</c>…</param>
/// <param name="Digest"><c>sha256:…</c>.</param>
/// <param name="Size">The blob's size in bytes.</param>
public sealed record OciDescriptor(string MediaType, string Digest, long Size);

/// <summary>
/// What <see cref="ImageStore.RemoveAsync"/> did, in <c>docker rmi</c>'s words: the references it untagged and the
/// blobs it deleted because no remaining image refers to them. Both are empty when nothing matched.
/// </summary>
public sealed record ImageRemoval(ImmutableArray<string> Untagged, ImmutableArray<string> Deleted);
