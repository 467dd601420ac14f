using System.Net;
using System.Net.Sockets;
using System.Text;
using Troupe.Runtime.Images;
using Xunit;

namespace Troupe.Runtime.Tests.Images;

/// <summary>
/// The registry client's own rules: which registries are plain HTTP, the bearer challenge (Docker Hub's scheme)
/// answered with an anonymous token from the realm it names, and the distribution API's error bodies in messages.
/// </summary>
public sealed class RegistryClientSpec
{
    [Theory]
    [InlineData("localhost:5000/a:1", "http://localhost:5000/")]
    [InlineData("127.0.0.1:5000/a:1", "http://127.0.0.1:5000/")]
    [InlineData("127.9.9.9/a:1", "http://127.9.9.9/")]
    [InlineData("registry.example.com/a:1", "https://registry.example.com/")]
    [InlineData("ghcr.io/o/a:1", "https://ghcr.io/")]
    [InlineData("busybox", "https://registry-1.docker.io/")]
    [InlineData("insecure.lan:5000/a:1", "http://insecure.lan:5000/")]
    public void Loopback_and_listed_registries_are_plain_http_and_docker_hub_is_registry_1(string reference, string expected)
    {
        using var client = new RegistryClient(["insecure.lan:5000"]);
        Assert.Equal(expected, client.BaseOf(ImageReference.Parse(reference)).ToString());
    }

    [Fact]
    public void A_bearer_challenge_is_parsed_with_quoted_and_bare_values()
    {
        var p = RegistryClient.ParseChallenge("realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/busybox:pull\", error=insufficient_scope");
        Assert.Equal("https://auth.docker.io/token", p["realm"]);
        Assert.Equal("registry.docker.io", p["service"]);
        Assert.Equal("repository:library/busybox:pull", p["scope"]);
        Assert.Equal("insufficient_scope", p["error"]);
    }

    [Fact]
    public async Task A_registry_asking_for_a_bearer_token_gets_one_from_its_realm()
    {
        using var server = new TokenRegistry();
        using var client = new RegistryClient();
        var manifest = await client.GetManifestAsync(ImageReference.Parse($"{server.Host}/team/app:1"), "1", CancellationToken.None);
        Assert.Equal(TokenRegistry.Manifest, Encoding.UTF8.GetString(manifest.Bytes));
        Assert.Equal("application/vnd.oci.image.manifest.v1+json", manifest.MediaType);
        Assert.Equal(["GET /v2/team/app/manifests/1 (no token)", "GET /token?service=test-registry&scope=repository%3Ateam%2Fapp%3Apull", "GET /v2/team/app/manifests/1 (Bearer s3cret)"],
            server.Requests);

        var missing = await Assert.ThrowsAsync<RegistryException>(() =>
            client.GetManifestAsync(ImageReference.Parse($"{server.Host}/team/app:2"), "2", CancellationToken.None));
        Assert.True(missing.NotFound);
    }

    [Fact]
    public async Task An_error_body_of_the_distribution_api_is_in_the_message()
    {
        using var server = new TokenRegistry();
        using var client = new RegistryClient();
        var denied = await Assert.ThrowsAsync<RegistryException>(() =>
            client.GetManifestAsync(ImageReference.Parse($"{server.Host}/team/locked:1"), "1", CancellationToken.None));
        Assert.Contains("403", denied.Message);
        Assert.Contains("requested access to the resource is denied", denied.Message);
    }

    /// <summary>A registry on a loopback port that wants a bearer token from its own /token realm.</summary>
    sealed class TokenRegistry : IDisposable
    {
        public const string Manifest = """{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","size":2},"layers":[]}""";

        readonly HttpListener _listener = new();
        public string Host { get; }
        public List<string> Requests { get; } = [];

        public TokenRegistry()
        {
            using (var l = new TcpListener(IPAddress.Loopback, 0))
            {
                l.Start();
                Host = $"127.0.0.1:{((IPEndPoint)l.LocalEndpoint).Port}";
            }
            _listener.Prefixes.Add($"http://{Host}/");
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext ctx;
                try { ctx = await _listener.GetContextAsync(); }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
                var path = ctx.Request.Url!.PathAndQuery;
                var auth = ctx.Request.Headers["Authorization"];
                lock (Requests) Requests.Add(path.StartsWith("/token") ? $"{ctx.Request.HttpMethod} {path}" : $"{ctx.Request.HttpMethod} {path} ({auth ?? "no token"})");
                var (status, type, body) = path switch
                {
                    _ when path.StartsWith("/token") => (200, "application/json", """{"token":"s3cret"}"""),
                    "/v2/team/locked/manifests/1" when auth is not null =>
                        (403, "application/json", """{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"""),
                    _ when auth != "Bearer s3cret" => (401, "application/json", """{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"""),
                    "/v2/team/app/manifests/1" => (200, "application/vnd.oci.image.manifest.v1+json", Manifest),
                    _ => (404, "application/json", """{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"""),
                };
                if (status == 401)
                    ctx.Response.AddHeader("WWW-Authenticate", $"Bearer realm=\"http://{Host}/token\",service=\"test-registry\"");
                ctx.Response.StatusCode = status;
                ctx.Response.ContentType = type;
                var bytes = Encoding.UTF8.GetBytes(body);
                // a HEAD answer carries no body
                if (ctx.Request.HttpMethod != "HEAD") await ctx.Response.OutputStream.WriteAsync(bytes);
                ctx.Response.Close();
            }
        }

        public void Dispose() => _listener.Close();
    }
}
