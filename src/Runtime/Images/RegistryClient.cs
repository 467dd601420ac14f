using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Troupe.Runtime.Images;

/// <summary>
/// A client of the OCI distribution API (the protocol of Docker Hub, <c>docker-registry</c>, Harbor, GHCR…), enough
/// for pull and push: manifests by tag or digest, blobs (redirects followed), monolithic blob uploads, manifest puts.
/// A registry on a loopback host (<c>localhost</c>, <c>127.0.0.0/8</c>, <c>::1</c>) or named in
/// <c>TROUPE_INSECURE_REGISTRIES</c> (comma-separated <c>host[:port]</c>) is spoken to over plain HTTP, as Docker
/// treats them; any other over HTTPS. Anonymous bearer tokens are fetched when a registry asks for them
/// (<c>WWW-Authenticate: Bearer realm=…</c>, Docker Hub's scheme); credentials are not supported yet.
/// Failures throw <see cref="RegistryException"/> naming the registry and what was asked.
/// </summary>
public sealed class RegistryClient : IDisposable
{
    /// <summary>What a pull accepts, best first.</summary>
    static readonly string[] ManifestTypes =
        [MediaTypes.OciIndex, MediaTypes.OciManifest, MediaTypes.DockerManifestList, MediaTypes.DockerManifest];

    const long MaxManifest = 4 << 20;

    readonly HttpClient _http;
    readonly HashSet<string> _insecure;
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _tokens = new(StringComparer.Ordinal);

    public RegistryClient(IEnumerable<string>? insecureRegistries = null, TimeSpan? timeout = null)
    {
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = true, MaxAutomaticRedirections = 5, ConnectTimeout = TimeSpan.FromSeconds(10) })
        {
            Timeout = timeout ?? TimeSpan.FromMinutes(30),
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("troupe/1.0");
        _insecure = new HashSet<string>(insecureRegistries
            ?? (Environment.GetEnvironmentVariable("TROUPE_INSECURE_REGISTRIES") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            StringComparer.OrdinalIgnoreCase);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The base URL of the registry a reference's domain names: <c>docker.io</c> is <c>registry-1.docker.io</c>.</summary>
    public Uri BaseOf(ImageReference r)
    {
        var host = r.Domain == ImageReference.DefaultDomain ? "registry-1.docker.io" : r.Domain;
        return new Uri($"{(IsInsecure(r.Domain) ? "http" : "https")}://{host}/");
    }

    bool IsInsecure(string domain)
    {
        if (_insecure.Contains(domain)) return true;
        var host = domain.StartsWith('[') ? domain[1..domain.IndexOf(']')] : domain.Split(':')[0];
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip);
    }

    /// <summary>A manifest or index, its bytes exactly as served (their digest is the reference's digest).</summary>
    public sealed record Fetched(byte[] Bytes, string MediaType, string Digest);

    /// <summary>GET the manifest (or index) <paramref name="tagOrDigest"/> names in <paramref name="r"/>'s repository.</summary>
    public async Task<Fetched> GetManifestAsync(ImageReference r, string tagOrDigest, CancellationToken ct)
    {
        var uri = new Uri(BaseOf(r), $"v2/{r.Path}/manifests/{tagOrDigest}");
        using var response = await SendAsync(r, "pull", () =>
        {
            var m = new HttpRequestMessage(HttpMethod.Get, uri);
            foreach (var t in ManifestTypes) m.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(t));
            return m;
        }, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
            throw new RegistryException($"manifest for {r.Repository}:{tagOrDigest} not found: manifest unknown", notFound: true);
        await EnsureSuccessAsync(response, $"manifest {r.Repository}:{tagOrDigest}", ct);
        if (response.Content.Headers.ContentLength > MaxManifest)
            throw new RegistryException($"{r.Domain}: manifest {r.Repository}:{tagOrDigest} is too large ({response.Content.Headers.ContentLength} bytes)");
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        var digest = ContentStore.DigestOf(bytes);
        if (tagOrDigest.StartsWith("sha256:", StringComparison.Ordinal) && digest != tagOrDigest)
            throw new RegistryException($"{r.Domain}: manifest {tagOrDigest} is corrupt: its content has digest {digest}");
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is null || !(MediaTypes.IsIndex(mediaType) || MediaTypes.IsManifest(mediaType)))
            mediaType = OciJson.MediaTypeOf(bytes) ?? (JsonNode.Parse(bytes)?["manifests"] is not null ? MediaTypes.OciIndex : MediaTypes.OciManifest);
        if (!(MediaTypes.IsIndex(mediaType) || MediaTypes.IsManifest(mediaType)))
            throw new RegistryException($"{r.Domain}: {r.Repository}:{tagOrDigest} has the unsupported media type \"{mediaType}\"");
        return new Fetched(bytes, mediaType, digest);
    }

    /// <summary>GET a blob; the caller reads (and checks the digest of) the returned stream, then disposes the response.</summary>
    public async Task<HttpResponseMessage> GetBlobAsync(ImageReference r, string digest, CancellationToken ct)
    {
        var uri = new Uri(BaseOf(r), $"v2/{r.Path}/blobs/{digest}");
        var response = await SendAsync(r, "pull", () => new HttpRequestMessage(HttpMethod.Get, uri), ct, HttpCompletionOption.ResponseHeadersRead);
        try
        {
            await EnsureSuccessAsync(response, $"blob {digest} of {r.Repository}", ct);
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>Whether the repository already holds the blob (<c>HEAD /v2/…/blobs/DIGEST</c>).</summary>
    public async Task<bool> BlobExistsAsync(ImageReference r, string digest, CancellationToken ct)
    {
        var uri = new Uri(BaseOf(r), $"v2/{r.Path}/blobs/{digest}");
        using var response = await SendAsync(r, "pull,push", () => new HttpRequestMessage(HttpMethod.Head, uri), ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        await EnsureSuccessAsync(response, $"blob {digest} of {r.Repository}", ct);
        return true;
    }

    /// <summary>Upload a blob in one request: <c>POST …/blobs/uploads/</c>, then <c>PUT</c> its location with the digest.</summary>
    public async Task PushBlobAsync(ImageReference r, string digest, long size, Func<Stream> open, CancellationToken ct)
    {
        var start = new Uri(BaseOf(r), $"v2/{r.Path}/blobs/uploads/");
        Uri location;
        using (var response = await SendAsync(r, "pull,push", () => new HttpRequestMessage(HttpMethod.Post, start) { Content = new ByteArrayContent([]) }, ct))
        {
            await EnsureSuccessAsync(response, $"an upload to {r.Repository}", ct);
            location = response.Headers.Location is { } l
                ? (l.IsAbsoluteUri ? l : new Uri(BaseOf(r), l))
                : throw new RegistryException($"{r.Domain}: the upload to {r.Repository} answered no Location");
        }
        var put = new UriBuilder(location);
        put.Query = (put.Query.Length > 1 ? put.Query[1..] + "&" : "") + "digest=" + Uri.EscapeDataString(digest);
        using var done = await SendAsync(r, "pull,push", () =>
        {
            var content = new StreamContent(open());
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            content.Headers.ContentLength = size;
            return new HttpRequestMessage(HttpMethod.Put, put.Uri) { Content = content };
        }, ct);
        await EnsureSuccessAsync(done, $"blob {digest} to {r.Repository}", ct);
    }

    /// <summary><c>PUT /v2/NAME/manifests/TAG</c> with the manifest's own media type.</summary>
    public async Task PutManifestAsync(ImageReference r, string tag, byte[] bytes, string mediaType, CancellationToken ct)
    {
        var uri = new Uri(BaseOf(r), $"v2/{r.Path}/manifests/{tag}");
        using var response = await SendAsync(r, "pull,push", () =>
        {
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            return new HttpRequestMessage(HttpMethod.Put, uri) { Content = content };
        }, ct);
        await EnsureSuccessAsync(response, $"manifest {r.Repository}:{tag}", ct);
    }

    /// <summary>Send, answering one bearer challenge with an anonymous token for the repository and actions.</summary>
    async Task<HttpResponseMessage> SendAsync(ImageReference r, string actions, Func<HttpRequestMessage> make, CancellationToken ct,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        var scope = $"repository:{r.Path}:{actions}";
        var key = r.Domain + " " + scope;
        for (var attempt = 0; ; attempt++)
        {
            using var request = make();
            if (_tokens.TryGetValue(key, out var token)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            HttpResponseMessage response;
            try { response = await _http.SendAsync(request, completion, ct); }
            catch (HttpRequestException e)
            {
                throw new RegistryException($"cannot reach the registry {r.Domain} ({BaseOf(r)}): {e.Message}", e);
            }
            catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
            {
                throw new RegistryException($"the registry {r.Domain} did not answer in time", e);
            }
            if (response.StatusCode != HttpStatusCode.Unauthorized || attempt > 0) return response;
            var challenge = response.Headers.WwwAuthenticate.FirstOrDefault(h => h.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase));
            response.Dispose();
            if (challenge?.Parameter is null)
                throw new RegistryException($"{r.Domain}: {r.Repository} needs credentials, which Troupe does not support yet");
            _tokens[key] = await TokenAsync(r, challenge.Parameter, scope, ct);
        }
    }

    async Task<string> TokenAsync(ImageReference r, string parameter, string scope, CancellationToken ct)
    {
        var p = ParseChallenge(parameter);
        if (!p.TryGetValue("realm", out var realm) || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUri))
            throw new RegistryException($"{r.Domain}: the registry's bearer challenge names no realm");
        var query = new List<string>();
        if (p.TryGetValue("service", out var service)) query.Add("service=" + Uri.EscapeDataString(service));
        query.Add("scope=" + Uri.EscapeDataString(p.GetValueOrDefault("scope") ?? scope));
        var builder = new UriBuilder(realmUri) { Query = string.Join('&', query) };
        try
        {
            using var response = await _http.GetAsync(builder.Uri, ct);
            if (!response.IsSuccessStatusCode)
                throw new RegistryException($"{r.Domain}: the token service {realmUri.Host} refused anonymous access to {r.Repository} ({(int)response.StatusCode})");
            var json = JsonNode.Parse(await response.Content.ReadAsByteArrayAsync(ct));
            return (string?)json?["token"] ?? (string?)json?["access_token"]
                ?? throw new RegistryException($"{r.Domain}: the token service answered no token");
        }
        catch (HttpRequestException e) { throw new RegistryException($"{r.Domain}: cannot reach the token service {realmUri.Host}: {e.Message}", e); }
        catch (System.Text.Json.JsonException e) { throw new RegistryException($"{r.Domain}: the token service answered malformed JSON: {e.Message}", e); }
    }

    /// <summary><c>realm="https://auth.docker.io/token",service="registry.docker.io",scope="…"</c> → its pairs.</summary>
    public static Dictionary<string, string> ParseChallenge(string parameter)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        while (i < parameter.Length)
        {
            while (i < parameter.Length && (parameter[i] == ',' || parameter[i] == ' ')) i++;
            var eq = parameter.IndexOf('=', i);
            if (eq < 0) break;
            var name = parameter[i..eq].Trim();
            i = eq + 1;
            string value;
            if (i < parameter.Length && parameter[i] == '"')
            {
                var end = parameter.IndexOf('"', i + 1);
                if (end < 0) end = parameter.Length;
                value = parameter[(i + 1)..end];
                i = end + 1;
            }
            else
            {
                var end = parameter.IndexOf(',', i);
                if (end < 0) end = parameter.Length;
                value = parameter[i..end].Trim();
                i = end;
            }
            result[name] = value;
        }
        return result;
    }

    static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        var host = response.RequestMessage?.RequestUri?.Authority ?? "the registry";
        var detail = "";
        try
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            // the distribution API's error body: {"errors":[{"code":"…","message":"…"}]}
            if (JsonNode.Parse(body)?["errors"] is JsonArray { Count: > 0 } errors)
                detail = ": " + string.Join("; ", errors.Select(e => ((string?)e?["message"] ?? (string?)e?["code"] ?? "").ToLowerInvariant()));
        }
        catch (System.Text.Json.JsonException) { }
        throw new RegistryException($"{host}: {what}: {(int)response.StatusCode} {response.ReasonPhrase}{detail}",
            notFound: response.StatusCode == HttpStatusCode.NotFound);
    }
}

/// <summary>A registry refused, failed or could not be reached; the message names the registry and the request.</summary>
public sealed class RegistryException : Exception
{
    public RegistryException(string message, bool notFound = false) : base(message) => NotFound = notFound;
    public RegistryException(string message, Exception inner) : base(message, inner) { }

    /// <summary>The registry answered 404: the repository, tag or blob does not exist.</summary>
    public bool NotFound { get; }
}
