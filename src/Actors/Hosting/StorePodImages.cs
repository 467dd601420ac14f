using Troupe.Actors.Nodes;
using Troupe.Runtime.Images;

namespace Troupe.Actors.Hosting;

/// <summary>Pods get their images from the node's OCI image store: resolve the reference, unpack the layers.</summary>
public sealed class StorePodImages(ImageStore store) : IPodImageSource
{
    public async Task<PodImage> PrepareAsync(string reference, CancellationToken ct = default)
    {
        ImageRecord? image;
        try { image = await store.ResolveAsync(reference, ct); }
        catch (FormatException e) { throw new ImageUnavailableException(reference, e.Message); }
        catch (ArgumentException e) { throw new ImageUnavailableException(reference, e.Message); }
        if (image is null)
            throw new ImageUnavailableException(reference, "not in the node's image store and no registry is configured");
        var layers = await store.UnpackAsync(image, ct);
        var c = image.Config;
        return new PodImage(image.Reference, image.Digest, c.Env, c.Entrypoint, c.Cmd,
            string.IsNullOrEmpty(c.WorkingDir) ? null : c.WorkingDir,
            string.IsNullOrEmpty(c.User) ? null : c.User, c.StopSignal, [.. layers]);
    }
}
