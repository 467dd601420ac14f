using Troupe.Actors.Nodes;
using Troupe.Runtime.Images;

namespace Troupe.Actors.Hosting;

/// <summary>
/// A worker's images for its pods: the node's own store first. An image it lacks is fetched, in this order, from
/// another node that has it (<c>GET /v1/images/save</c> on that node's command API, the OCI layout tarball
/// <c>troupe save</c> writes, loaded as <c>troupe load</c> does: every blob checked against its digest), from the
/// cluster's registry (<c>troupe.runtime.node.image-registry</c>), then from the registry the reference names.
/// The reasons of every source tried make the ErrImagePull message.
/// </summary>
public sealed class StorePodImages(ImageStore store, ImageFetch? fetch = null) : IPodImageSource
{
    public async Task<PodImage> PrepareAsync(string reference, CancellationToken ct = default)
    {
        ImageRecord? image;
        try { image = await store.ResolveAsync(reference, ct); }
        catch (FormatException e) { throw new ImageUnavailableException(reference, e.Message); }
        catch (ArgumentException e) { throw new ImageUnavailableException(reference, e.Message); }
        if (image is null)
        {
            if (fetch is null) throw new ImageUnavailableException(reference, "not in the node's image store and no registry is configured");
            await fetch.FetchAsync(reference, ct);
            image = await store.ResolveAsync(reference, ct)
                ?? throw new ImageUnavailableException(reference, "fetched, but the node's image store does not resolve it");
        }
        var layers = await store.UnpackAsync(image, ct);
        var c = image.Config;
        return new PodImage(image.Reference, image.Digest, c.Env, c.Entrypoint, c.Cmd,
            string.IsNullOrEmpty(c.WorkingDir) ? null : c.WorkingDir,
            string.IsNullOrEmpty(c.User) ? null : c.User, c.StopSignal, [.. layers]);
    }
}

/// <summary>
/// How a node gets an image it does not have: <see cref="Peers"/> gives the command API addresses (<c>host:port</c>)
/// of the other nodes now up; <see cref="Registry"/> is the cluster's own registry (<c>host:port</c>) or null.
/// One fetch per reference at a time: pods of one Deployment starting together share it.
/// </summary>
public sealed class ImageFetch(ImageStore store, RegistryClient registry, string? clusterRegistry,
    Func<CancellationToken, Task<IReadOnlyList<string>>> peers, string scratch, TlsSettings? tls = null)
{
    static readonly HttpClient Plain = Client(null);

    /// <summary>With TLS the other nodes' APIs are HTTPS with the cluster certificate and want the cluster's token.</summary>
    readonly HttpClient _http = tls is null ? Plain : Client(tls);

    static HttpClient Client(TlsSettings? tls)
    {
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5) };
        if (tls is not null) handler.SslOptions.RemoteCertificateValidationCallback = tls.ValidateServer;
        var client = new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(30) };
        if (tls is not null) client.DefaultRequestHeaders.Authorization = new("Bearer", tls.Token);
        return client;
    }

    readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task>> _running = new(StringComparer.Ordinal);

    public string? Registry { get; } = string.IsNullOrWhiteSpace(clusterRegistry) ? null : clusterRegistry.Trim().TrimEnd('/');

    public Task FetchAsync(string reference, CancellationToken ct)
    {
        var key = ImageReference.Parse(reference).ToString();
        // one fetch per image for every caller (a pod's start, a build's FROM), on a token of its own: a caller that
        // gives up stops waiting, not the others' fetch
        var lazy = _running.GetOrAdd(key, k => new Lazy<Task>(() => AwaitAndForget(k, FetchOnceAsync(reference, CancellationToken.None))));
        return lazy.Value.WaitAsync(ct);
    }

    async Task AwaitAndForget(string key, Task t)
    {
        try { await t; }
        finally { _running.TryRemove(key, out _); }
    }

    async Task FetchOnceAsync(string reference, CancellationToken ct)
    {
        var reasons = new List<string>();
        IReadOnlyList<string> others;
        try { others = await peers(ct); }
        catch (Exception e) when (e is not OperationCanceledException) { others = []; reasons.Add($"the node list: {e.Message}"); }
        foreach (var peer in others)
        {
            if (await FromPeerAsync(peer, reference, reasons, ct)) return;
        }
        if (others.Count == 0) reasons.Add("no other node with a command API has it");

        var name = ImageReference.Parse(reference);
        if (Registry is not null && name.Domain == ImageReference.DefaultDomain && name.Tag is not null)
        {
            // `myapp:1.0` (docker.io/library/myapp:1.0) is myapp:1.0 in the cluster's registry
            var path = name.Path.StartsWith("library/", StringComparison.Ordinal) ? name.Path["library/".Length..] : name.Path;
            var mirrored = $"{Registry}/{path}:{name.Tag}";
            try
            {
                await store.PullAsync(mirrored, registry, null, ct);
                await store.TagAsync(mirrored, reference, ct);
                return;
            }
            catch (Exception e) when (e is RegistryException or InvalidDataException or FormatException or HttpRequestException or IOException)
            {
                reasons.Add($"{mirrored}: {e.Message}");
            }
        }
        try
        {
            await store.PullAsync(reference, registry, null, ct);
            return;
        }
        catch (Exception e) when (e is RegistryException or InvalidDataException or FormatException or HttpRequestException or IOException or TaskCanceledException)
        {
            reasons.Add($"{name.Domain}: {e.Message}");
        }
        throw new ImageUnavailableException(reference, string.Join("; ", reasons));
    }

    async Task<bool> FromPeerAsync(string peer, string reference, List<string> reasons, CancellationToken ct)
    {
        var tar = Path.Combine(scratch, $"fetch-{Guid.NewGuid():N}.tar");
        try
        {
            using var response = await _http.GetAsync($"{(tls is null ? "http" : "https")}://{peer}/v1/images/save?ref={Uri.EscapeDataString(reference)}",
                HttpCompletionOption.ResponseHeadersRead, ct);
            if (!response.IsSuccessStatusCode)
            {
                if (response.StatusCode != System.Net.HttpStatusCode.NotFound)
                    reasons.Add($"node {peer}: HTTP {(int)response.StatusCode}");
                return false;
            }
            Directory.CreateDirectory(scratch);
            await using (var file = File.Create(tar))
                await response.Content.CopyToAsync(file, ct);
            await store.LoadAsync(tar, ct);
            return true;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or InvalidDataException or FormatException or TaskCanceledException)
        {
            if (ct.IsCancellationRequested) throw;
            reasons.Add($"node {peer}: {e.Message}");
            return false;
        }
        finally
        {
            try { File.Delete(tar); } catch (IOException) { }
        }
    }
}
