using System.Collections.Immutable;
using Akka.Actor;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;
using Troupe.Runtime.Images;

namespace Troupe.Actors.Gateway;

/// <summary>The image requests: <c>tag</c>, <c>rmi</c> and <c>import</c> (builds stream over HTTP, see <see cref="HttpApi"/>).</summary>
public sealed partial class ApiGateway
{
    void ReceiveImageRequests()
    {
        Receive<TagImage>(m => Reply(m, TagAsync(m)));
        Receive<RemoveImage>(m => Reply(m, RemoveImageAsync(m)));
        Receive<ImportRootfs>(m => Reply(m, ImportRootfsAsync(m)));
    }

    async Task<ITroupeMessage> TagAsync(TagImage m)
    {
        if (!ImageReference.TryParse(m.Target, out _, out var error)) return CommandRejected.Invalid($"invalid reference format \"{m.Target}\": {error}");
        try
        {
            await _images.TagAsync(m.Source, m.Target);
            return new CommandAccepted("");
        }
        catch (KeyNotFoundException) { return NoSuchImage(m.Source); }
        catch (FormatException e) { return CommandRejected.Invalid(e.Message); }
    }

    async Task<ITroupeMessage> RemoveImageAsync(RemoveImage m)
    {
        ImageRecord? image;
        try { image = await _images.ResolveAsync(m.Reference); }
        catch (FormatException e) { return CommandRejected.Invalid(e.Message); }
        if (image is null) return NoSuchImage(m.Reference);
        if (!m.Force && await PodUsingAsync(image, m.Reference) is { } pod)
            return new CommandRejected("Conflict",
                $"conflict: unable to remove repository reference \"{m.Reference}\" (must force) - container {pod} is using its referenced image {image.Digest[7..19]}");
        var removal = await _images.RemoveAsync(m.Reference);
        if (removal.Untagged.Length == 0) return NoSuchImage(m.Reference);
        // as docker rmi: Deleted lines for this image's own blobs only (the collection also takes blobs earlier builds
        // left behind, which are nobody's image to report)
        var own = new HashSet<string>(image.Layers.Select(l => l.Digest).Append(image.Digest).Append(image.ConfigDigest), StringComparer.Ordinal);
        var lines = removal.Untagged.Select(u => "Untagged: " + Short(u)).Concat(removal.Deleted.Where(own.Contains).Select(d => "Deleted: " + d));
        return new CommandAccepted(string.Join("\n", lines));
    }

    /// <summary>The name of a pod whose container refers to <paramref name="image"/> by this reference (or, for an ID, at all).</summary>
    async Task<string?> PodUsingAsync(ImageRecord image, string reference)
    {
        var byId = ImageStore.IdPrefix(reference) is not null;
        var wanted = byId ? null : ImageReference.Parse(reference).ToString();
        var pods = await _catalog.Ask<ITroupeMessage>(new GetObjects("Pod", null, AllNamespaces: true), _settings.AskTimeout);
        if (pods is not ObjectList list) return null;
        foreach (var pod in list.Items.OfType<Pod>())
        {
            if (pod.Metadata.DeletionTimestamp is not null) continue; // as docker: a stopped container still holds its image
            foreach (var c in pod.Spec.InitContainers.Concat(pod.Spec.Containers))
            {
                if (!ImageReference.TryParse(c.Image, out var used, out _)) continue;
                if (byId ? (await _images.ResolveAsync(c.Image))?.Digest == image.Digest : used.ToString() == wanted)
                    return pod.Metadata.Name;
            }
        }
        return null;
    }

    async Task<ITroupeMessage> ImportRootfsAsync(ImportRootfs m)
    {
        if (!File.Exists(m.TarPath)) return CommandRejected.Invalid($"open {m.TarPath}: no such file or directory");
        if (!ImageReference.TryParse(m.Reference, out _, out var error)) return CommandRejected.Invalid($"invalid reference format \"{m.Reference}\": {error}");
        try
        {
            var image = await _images.ImportRootfsAsync(m.TarPath, m.Reference);
            return new CommandAccepted(image.Digest);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or FormatException)
        {
            return CommandRejected.Invalid(e.Message.StartsWith(m.TarPath, StringComparison.Ordinal) ? e.Message : $"{m.TarPath}: {e.Message}");
        }
    }

    static CommandRejected NoSuchImage(string reference) => CommandRejected.NotFound($"No such image: {reference}");

    /// <summary>docker's display form: <c>docker.io/library/busybox:latest</c> → <c>busybox:latest</c>.</summary>
    static string Short(string reference) =>
        reference.StartsWith("docker.io/library/", StringComparison.Ordinal) ? reference["docker.io/library/".Length..]
        : reference.StartsWith("docker.io/", StringComparison.Ordinal) ? reference["docker.io/".Length..] : reference;
}
