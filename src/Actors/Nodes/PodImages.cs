using System.Collections.Immutable;

namespace Troupe.Actors.Nodes;

/// <summary>
/// An image ready to run: its config (as in the OCI image config: <c>Env</c> as <c>K=V</c>, <c>Entrypoint</c>,
/// <c>Cmd</c>, <c>WorkingDir</c>, <c>User</c>, <c>StopSignal</c>) and its unpacked layer folders, bottom first.
/// <c>ImageId</c> is the digest <c>status.containerStatuses[].imageID</c> shows.
/// </summary>
public sealed record PodImage(
    string Reference,
    string? ImageId,
    ImmutableArray<string> Env,
    ImmutableArray<string> Entrypoint,
    ImmutableArray<string> Cmd,
    string? WorkingDir,
    string? User,
    string? StopSignal,
    ImmutableArray<string> Layers);

/// <summary>
/// Where a PodSandbox gets its images: resolve a reference the user wrote (<c>busybox</c>) to a local image and
/// unpack its layers. Thread-safe. Throws <see cref="ImageUnavailableException"/> when the image is not there.
/// </summary>
public interface IPodImageSource
{
    Task<PodImage> PrepareAsync(string reference, CancellationToken ct = default);
}

/// <summary>The image cannot be had (not present locally and not pullable): the container waits in ErrImagePull.</summary>
public sealed class ImageUnavailableException(string reference, string reason)
    : Exception($"Failed to pull image \"{reference}\": {reason}")
{
    public string Reference { get; } = reference;
}
