using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Troupe.Integration.Tests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace Troupe.Integration.Tests.Images;

/// <summary>
/// <c>troupe push</c> and <c>troupe pull</c> against a real registry (Debian's <c>docker-registry</c> on a loopback
/// port): a built image round-trips to a second, fresh node that runs it; podman reads what Troupe pushed and Troupe
/// reads what podman pushed (Docker v2 and OCI manifests); the bad cases (no such tag, no registry, an image not
/// here, a layer that escapes its root) fail with one line and leave no image behind.
/// </summary>
public sealed class RegistrySpec(NodeFixture node, ITestOutputHelper output) : IClassFixture<NodeFixture>, IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("troupe-registry-spec-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    (TroupeCli Cli, RegistryServer Registry) Start()
    {
        Requirements.Runc();
        Requirements.Tool("docker-registry", "docker-registry");
        return (node.Start(output, "registry"), new RegistryServer());
    }

    [SkippableFact]
    public void A_pushed_image_is_pulled_by_a_fresh_node_which_runs_it()
    {
        var (cli, registry) = Start();
        using var _ = registry;
        var ctx = Path.Combine(_dir, "greet");
        Directory.CreateDirectory(ctx);
        File.WriteAllText(Path.Combine(ctx, "Dockerfile"), "FROM busybox\nRUN echo hello-from-a-pushed-layer > /greeting\nCMD [\"cat\", \"/greeting\"]\n");
        var image = $"{registry.Host}/itest/greet:1";
        cli.Expect(0, TimeSpan.FromMinutes(2), "build", "-t", image, ctx);

        var push = cli.Expect(0, TimeSpan.FromMinutes(1), "push", image);
        Assert.Matches(@"^1: digest: sha256:[0-9a-f]{64} size: \d+$", push.Stdout.Trim());
        var digest = push.Stdout.Trim().Split(' ')[2];
        // the registry holds it under that digest
        Assert.Contains("itest/greet", registry.Get("v2/_catalog"));
        var manifest = registry.Http.Send(new HttpRequestMessage(HttpMethod.Get, "v2/itest/greet/manifests/1")
        {
            Headers = { Accept = { new MediaTypeWithQualityHeaderValue("application/vnd.oci.image.manifest.v1+json") } },
        });
        Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        Assert.Equal(digest, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(manifest.Content.ReadAsByteArrayAsync().Result)));
        // a second push finds everything there and says the same
        Assert.Equal(push.Stdout, cli.Expect(0, "push", image).Stdout);

        using var fresh = new TroupeCli("registry-fresh", output);
        fresh.Up();
        fresh.Expect(125, "run", "--rm", image); // not here yet: a node never pulls behind the user's back
        var pull = fresh.Expect(0, TimeSpan.FromMinutes(1), "pull", image);
        Assert.Contains($"Digest: {digest}", pull.Stdout);
        Assert.Contains($"Status: Downloaded newer image for {image}", pull.Stdout);
        Assert.EndsWith(image, pull.Stdout.Trim());
        var run = fresh.Expect(0, TimeSpan.FromMinutes(1), "run", "--rm", image);
        Assert.Equal("hello-from-a-pushed-layer", run.Stdout.Trim());
        Assert.Contains($"Status: Image is up to date for {image}", fresh.Expect(0, "pull", image).Stdout);
        Assert.Equal(image, fresh.Expect(0, "pull", "-q", image).Stdout.Trim());
        Assert.Contains(registry.Host + "/itest/greet", fresh.Expect(0, "images").Stdout);
    }

    [SkippableFact]
    public void Podman_reads_what_troupe_pushed_and_troupe_reads_what_podman_pushed()
    {
        var (cli, registry) = Start();
        using var _ = registry;
        Requirements.Tool("podman", "podman");
        var root = Path.Combine(_dir, "podman");
        string[] podman = ["--root", Path.Combine(root, "root"), "--runroot", Path.Combine(root, "run"), "--storage-driver", "vfs"];
        CliResult Podman(params string[] args)
        {
            var r = ProcessRunner.Run("podman", [.. podman, .. args], null, TimeSpan.FromMinutes(2));
            output.WriteLine(r.ToString());
            return r;
        }

        // Troupe → registry → podman: the config podman stored is the one Troupe built
        var ctx = Path.Combine(_dir, "interop");
        Directory.CreateDirectory(ctx);
        File.WriteAllText(Path.Combine(ctx, "Dockerfile"), "FROM busybox\nRUN echo interop > /marker\nENV FROM_TROUPE=yes\n");
        var image = $"{registry.Host}/itest/interop:1";
        cli.Expect(0, TimeSpan.FromMinutes(2), "build", "-t", image, ctx);
        cli.Expect(0, TimeSpan.FromMinutes(1), "push", image);
        var pulled = Podman("pull", "--tls-verify=false", image);
        Assert.True(pulled.ExitCode == 0, pulled.ToString());
        var inspect = Podman("image", "inspect", "--format", "{{json .Config.Env}}", image);
        Assert.Contains("FROM_TROUPE=yes", inspect.Stdout);

        // podman → registry → Troupe, in both manifest formats podman writes
        var rootfs = Path.Combine(_dir, "rootfs.tar");
        using (var tar = new TarWriter(File.Create(rootfs), TarEntryFormat.Pax))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "bin/") { Mode = (UnixFileMode)0b111_101_101 });
            var busybox = Requirements.Which("busybox")!;
            using (var data = File.OpenRead(busybox))
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "bin/busybox") { Mode = (UnixFileMode)0b111_101_101, DataStream = data });
            foreach (var applet in new[] { "sh", "echo", "cat" })
                tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/" + applet) { LinkName = "busybox", Mode = (UnixFileMode)0b111_111_111 });
        }
        Assert.Equal(0, Podman("import", rootfs, "localhost/itest-podman:1").ExitCode);
        foreach (var format in new[] { "v2s2", "oci" })
        {
            var target = $"{registry.Host}/itest/from-podman:{format}";
            var push = Podman("push", "--tls-verify=false", "--format", format, "localhost/itest-podman:1", "docker://" + target);
            Assert.True(push.ExitCode == 0, push.ToString());
            cli.Expect(0, TimeSpan.FromMinutes(1), "pull", target);
            var run = cli.Expect(0, TimeSpan.FromMinutes(1), "run", "--rm", target, "echo", "pushed-by-podman-" + format);
            Assert.Equal("pushed-by-podman-" + format, run.Stdout.Trim());
        }
    }

    [SkippableFact]
    public void Bad_pulls_and_pushes_fail_with_one_line_and_leave_no_image()
    {
        var (cli, registry) = Start();
        using var _ = registry;
        var before = cli.Expect(0, "images", "-q").Stdout;

        var missing = cli.Expect(1, "pull", $"{registry.Host}/itest/nothing:1");
        Assert.Equal($"error: manifest for {registry.Host}/itest/nothing:1 not found: manifest unknown", missing.ErrorLine);

        var closed = cli.Expect(1, TimeSpan.FromMinutes(1), "pull", "127.0.0.1:9/itest/x:1");
        Assert.StartsWith("error: cannot reach the registry 127.0.0.1:9", closed.ErrorLine);
        Assert.DoesNotContain('\n', closed.ErrorLine);

        Assert.Contains("invalid reference format", cli.Expect(1, "pull", "Upper/Case:1").ErrorLine);
        Assert.Contains("does not exist locally", cli.Expect(1, "push", $"{registry.Host}/itest/never-built:1").ErrorLine);
        cli.Expect(2, "pull");

        // a layer whose entry climbs out of the root: refused while unpacking, before anything is tagged
        var evil = $"{registry.Host}/itest/evil:1";
        PushRaw(registry, "itest/evil", "1", ("ok.txt", "fine"), ("../../escaped.txt", "gotcha"));
        var slip = cli.Expect(1, TimeSpan.FromMinutes(1), "pull", evil);
        Assert.Contains("../../escaped.txt", slip.ErrorLine);
        Assert.Equal(before, cli.Expect(0, "images", "-q").Stdout);
        Assert.Empty(Directory.EnumerateFiles(cli.Home, "escaped.txt", SearchOption.AllDirectories));
        cli.Expect(125, "run", "--rm", evil);
    }

    /// <summary>Upload a one-layer image made of these files straight to the registry, as a hostile publisher would.</summary>
    static void PushRaw(RegistryServer registry, string repository, string tag, params (string Name, string Text)[] files)
    {
        var tar = new MemoryStream();
        using (var w = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var (name, text) in files)
                w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) });
        var diffId = Digest(tar.ToArray());
        var gz = new MemoryStream();
        using (var z = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) z.Write(tar.ToArray());
        var layer = gz.ToArray();
        var config = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["config"] = new Dictionary<string, object>(),
            ["rootfs"] = new Dictionary<string, object> { ["type"] = "layers", ["diff_ids"] = new[] { diffId } },
        }));
        Upload(registry, repository, layer);
        Upload(registry, repository, config);
        var manifest = Encoding.UTF8.GetBytes($$"""
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
             "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{Digest(config)}}","size":{{config.Length}}},
             "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{{Digest(layer)}}","size":{{layer.Length}}}]}
            """);
        var put = new ByteArrayContent(manifest);
        put.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.oci.image.manifest.v1+json");
        var response = registry.Http.PutAsync($"v2/{repository}/manifests/{tag}", put).Result;
        Assert.True(response.IsSuccessStatusCode, $"manifest put: {response.StatusCode} {response.Content.ReadAsStringAsync().Result}");
    }

    static void Upload(RegistryServer registry, string repository, byte[] blob)
    {
        var start = registry.Http.PostAsync($"v2/{repository}/blobs/uploads/", new ByteArrayContent([])).Result;
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var location = start.Headers.Location!;
        var uri = location.IsAbsoluteUri ? location : new Uri(registry.Http.BaseAddress!, location);
        var sep = uri.Query.Length > 0 ? "&" : "?";
        var done = registry.Http.PutAsync(uri + sep + "digest=" + Uri.EscapeDataString(Digest(blob)), new ByteArrayContent(blob)).Result;
        Assert.Equal(HttpStatusCode.Created, done.StatusCode);
    }

    static string Digest(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
}
