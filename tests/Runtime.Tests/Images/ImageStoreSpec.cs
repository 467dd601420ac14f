using System.Diagnostics;
using System.Formats.Tar;
using System.Text.Json.Nodes;
using Troupe.Runtime.Images;
using Xunit;

namespace Troupe.Runtime.Tests.Images;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ImageStoreSpec : IDisposable
{
    readonly TempStore _t = new();
    ImageStore Store => _t.Store;

    public void Dispose() => _t.Dispose();

    [Fact]
    public async Task ImageStore_must_make_busybox_resolvable_by_short_tagged_and_full_name()
    {
        var sw = Stopwatch.StartNew();
        await Store.EnsureBusyboxAsync();
        sw.Stop();
        Console.WriteLine($"EnsureBusyboxAsync took {sw.ElapsedMilliseconds} ms");

        var full = await Store.ResolveAsync("docker.io/library/busybox:latest");
        Assert.NotNull(full);
        Assert.Equal(full, await Store.ResolveAsync("busybox"));
        Assert.Equal(full, await Store.ResolveAsync("busybox:latest"));
        Assert.Equal(full!.Digest, (await Store.ResolveAsync("busybox@" + full.Digest))!.Digest);
        Assert.Equal("docker.io/library/busybox:latest", full.Reference);
        Assert.Equal("docker.io/library/busybox", full.Repository);
        Assert.Equal("latest", full.Tag);
        Assert.StartsWith("sha256:", full.Digest);
        Assert.Equal<string>(["sh"], full.Config.Cmd);
        Assert.Contains("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", full.Config.Env);
        Assert.Equal("amd64", full.Architecture);
        Assert.Equal("linux", full.Os);
        Assert.Single(full.Layers);
        Assert.Equal(full.Layers[0].Size + new FileInfo(BlobPath(Store, full.ConfigDigest)).Length, full.Size);
        Assert.True(full.Created > DateTimeOffset.UnixEpoch);
        Assert.Null(await Store.ResolveAsync("busybox:other"));
        Assert.Null(await Store.ResolveAsync("nginx"));
        await Assert.ThrowsAsync<FormatException>(() => Store.ResolveAsync("Busybox"));
    }

    [Fact]
    public async Task ImageStore_must_make_the_same_busybox_digest_every_time()
    {
        await Store.EnsureBusyboxAsync();
        await Store.EnsureBusyboxAsync();
        var other = _t.Another("other");
        await other.EnsureBusyboxAsync();
        Assert.Equal((await Store.ResolveAsync("busybox"))!.Digest, (await other.ResolveAsync("busybox"))!.Digest);
        Assert.Single(await Store.ListAsync());
    }

    [Fact]
    public async Task ImageStore_must_keep_an_oci_layout_on_disk()
    {
        await Store.EnsureBusyboxAsync();
        var root = Store.Root;
        Assert.Contains("imageLayoutVersion", File.ReadAllText(Path.Combine(root, "oci-layout")));
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(root, "index.json")))!;
        var m = Assert.Single(index["manifests"]!.AsArray())!;
        Assert.Equal("docker.io/library/busybox:latest", (string?)m["annotations"]!["org.opencontainers.image.ref.name"]);
        Assert.Equal("application/vnd.oci.image.manifest.v1+json", (string?)m["mediaType"]);
        Assert.True(File.Exists(BlobPath(Store, (string)m["digest"]!)));
    }

    [Fact]
    public async Task ImageStore_must_unpack_busybox_to_a_folder_with_sh_linked_to_busybox()
    {
        await Store.EnsureBusyboxAsync();
        var image = (await Store.ResolveAsync("busybox"))!;
        var layers = await Store.UnpackAsync(image);
        var layer = Assert.Single(layers);
        Assert.Equal(image.DiffIds[0][7..], Path.GetFileName(layer)); // one layer: chain ID = diff ID
        Assert.Equal("busybox", new FileInfo(Path.Combine(layer, "bin", "sh")).LinkTarget);
        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(Path.Combine(layer, "bin", "busybox")));
        Assert.True(File.GetUnixFileMode(Path.Combine(layer, "tmp")).HasFlag(UnixFileMode.StickyBit));
        Assert.Contains("root:x:0:0:root:/root:/bin/sh", File.ReadAllText(Path.Combine(layer, "etc", "passwd")));
        Assert.Equal(layers, await Store.UnpackAsync(image)); // once only

        var psi = new ProcessStartInfo(Path.Combine(layer, "bin", "busybox"), ["echo", "hi"]) { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        Assert.Equal("hi", p.StandardOutput.ReadToEnd().Trim());
    }

    [Fact]
    public async Task ImageStore_must_give_chain_ids_bottom_first_for_several_layers()
    {
        await Store.EnsureBusyboxAsync();
        await Store.SaveAsync("busybox", _t.PathFor("bb.tar"));
        // a second image: busybox's layer plus an imported one, assembled by hand as an OCI layout
        var top = await Store.ImportRootfsAsync(Tars.Write(_t.PathFor("top.tar"), Tars.File("hello.txt", "hello")), "top:1");
        var busybox = (await Store.ResolveAsync("busybox"))!;
        var two = busybox with { Layers = [busybox.Layers[0], top.Layers[0]], DiffIds = [busybox.DiffIds[0], top.DiffIds[0]] };
        var folders = await Store.UnpackAsync(two);
        Assert.Equal(2, folders.Count);
        Assert.True(File.Exists(Path.Combine(folders[0], "bin", "busybox")));
        Assert.Equal("hello", File.ReadAllText(Path.Combine(folders[1], "hello.txt")));
        var expected = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes($"{busybox.DiffIds[0]} {top.DiffIds[0]}")));
        Assert.Equal(expected[7..], Path.GetFileName(folders[1]));
    }

    [Fact]
    public async Task ImageStore_must_load_what_it_saved_into_a_fresh_store_with_the_same_digest()
    {
        await Store.EnsureBusyboxAsync();
        await Store.TagAsync("busybox", "localhost:5000/team/bb:v1");
        var tar = _t.PathFor("bb.tar");
        await Store.SaveAsync("localhost:5000/team/bb:v1", tar);

        var fresh = _t.Another("fresh");
        var loaded = await fresh.LoadAsync(tar);
        Assert.Equal(["localhost:5000/team/bb:v1"], loaded);
        var a = (await Store.ResolveAsync("localhost:5000/team/bb:v1"))!;
        var b = (await fresh.ResolveAsync("localhost:5000/team/bb:v1"))!;
        Assert.Equal(a.Digest, b.Digest);
        Assert.Equal(a.Size, b.Size);
        Assert.Equal(a.Config, b.Config);
        Assert.True(File.Exists(Path.Combine((await fresh.UnpackAsync(b))[0], "bin", "busybox")));

        // loading again changes nothing; gzipped tarballs load too
        var gz = _t.PathFor("bb.tar.gz");
        await using (var o = File.Create(gz))
        await using (var z = new System.IO.Compression.GZipStream(o, System.IO.Compression.CompressionLevel.Fastest))
        await using (var i = File.OpenRead(tar)) await i.CopyToAsync(z);
        Assert.Equal(["localhost:5000/team/bb:v1"], await fresh.LoadAsync(gz));
        Assert.Single(await fresh.ListAsync());
    }

    [Fact]
    public async Task ImageStore_must_refuse_a_tarball_that_is_not_an_oci_layout()
    {
        var plain = Tars.Write(_t.PathFor("plain.tar"), Tars.File("hello.txt"));
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => Store.LoadAsync(plain));
        Assert.Contains("not an OCI image layout", e.Message);

        var legacy = Tars.Write(_t.PathFor("legacy.tar"), Tars.File("manifest.json", "[]"));
        e = await Assert.ThrowsAsync<InvalidDataException>(() => Store.LoadAsync(legacy));
        Assert.Contains("legacy", e.Message);

        var garbage = _t.PathFor("garbage.tar");
        File.WriteAllBytes(garbage, System.Text.Encoding.UTF8.GetBytes(new string('z', 2000)));
        await Assert.ThrowsAnyAsync<Exception>(() => Store.LoadAsync(garbage)).ContinueWith(t =>
            Assert.True(t.Result is InvalidDataException or IOException or FormatException, t.Result.GetType().Name));

        await Assert.ThrowsAsync<FileNotFoundException>(() => Store.LoadAsync(_t.PathFor("absent.tar")));
        Assert.Empty(await Store.ListAsync());
    }

    [Fact]
    public async Task ImageStore_must_refuse_a_layout_whose_blob_does_not_match_its_digest()
    {
        await Store.EnsureBusyboxAsync();
        var tar = _t.PathFor("bb.tar");
        await Store.SaveAsync("busybox", tar);
        var bad = _t.PathFor("bad.tar");
        using (var r = new TarReader(File.OpenRead(tar)))
        using (var w = new TarWriter(File.Create(bad), TarEntryFormat.Pax))
            while (r.GetNextEntry(copyData: true) is { } e)
            {
                if (e.Name == "index.json")
                {
                    var node = JsonNode.Parse(e.DataStream!)!;
                    e.DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(node.ToJsonString()));
                }
                if (e.Name.StartsWith("blobs/sha256/") && e.Length > 100_000)
                {
                    var bytes = new byte[e.Length];
                    e.DataStream!.ReadExactly(bytes);
                    bytes[^100] ^= 0xff;
                    e.DataStream = new MemoryStream(bytes);
                }
                w.WriteEntry(e);
            }
        var fresh = _t.Another("fresh");
        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => fresh.LoadAsync(bad));
        Assert.Contains("corrupt", ex.Message);
        Assert.Empty(await fresh.ListAsync());
        Assert.Empty(Directory.GetFiles(Path.Combine(fresh.Root, "blobs", "sha256")));
    }

    [Fact]
    public async Task ImageStore_must_import_a_rootfs_tarball_as_a_one_layer_image()
    {
        var tar = Tars.Write(_t.PathFor("rootfs.tar"),
            Tars.Dir("etc/"), Tars.File("etc/os-release", "ID=troupe\n"), Tars.File("bin/tool", "#!/bin/sh\n", (UnixFileMode)0b111_101_101),
            Tars.Symlink("bin/alias", "tool"));
        var image = await Store.ImportRootfsAsync(tar, "myroot:1.0");
        Assert.Equal("docker.io/library/myroot:1.0", image.Reference);
        Assert.Single(image.Layers);
        Assert.Equal(MediaTypes.OciLayerGzip, image.Layers[0].MediaType);
        Assert.Empty(image.Config.Cmd);
        var folder = Assert.Single(await Store.UnpackAsync(image));
        Assert.Equal("ID=troupe\n", File.ReadAllText(Path.Combine(folder, "etc", "os-release")));
        Assert.Equal("tool", new FileInfo(Path.Combine(folder, "bin", "alias")).LinkTarget);
        Assert.True(File.GetUnixFileMode(Path.Combine(folder, "bin", "tool")).HasFlag(UnixFileMode.UserExecute));

        var notTar = _t.PathFor("not.tar");
        File.WriteAllText(notTar, "");
        await Assert.ThrowsAsync<InvalidDataException>(() => Store.ImportRootfsAsync(notTar, "x"));
        await Assert.ThrowsAsync<FormatException>(() => Store.ImportRootfsAsync(tar, "Bad"));
    }

    [Fact]
    public async Task ImageStore_must_tag_and_remove_deleting_only_unreferenced_blobs()
    {
        await Store.EnsureBusyboxAsync();
        var imported = await Store.ImportRootfsAsync(Tars.Write(_t.PathFor("r.tar"), Tars.File("a", "a")), "imported");
        await Store.TagAsync("busybox", "mybox:1");
        Assert.Equal(["docker.io/library/busybox:latest", "docker.io/library/imported:latest", "docker.io/library/mybox:1"],
            (await Store.ListAsync()).Select(i => i.Reference));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => Store.TagAsync("nothere", "x"));

        var r1 = await Store.RemoveAsync("busybox");
        Assert.Equal<string>(["docker.io/library/busybox:latest"], r1.Untagged);
        Assert.Empty(r1.Deleted); // mybox:1 still uses them
        Assert.NotNull(await Store.ResolveAsync("mybox:1"));

        var bb = (await Store.ResolveAsync("mybox:1"))!;
        var r2 = await Store.RemoveAsync("mybox:1");
        Assert.Equal(3, r2.Deleted.Length);
        Assert.Contains(bb.Digest, r2.Deleted);
        Assert.False(File.Exists(BlobPath(Store, bb.Layers[0].Digest)));
        Assert.True(File.Exists(BlobPath(Store, imported.Layers[0].Digest)));
        Assert.Equal(["docker.io/library/imported:latest"], (await Store.ListAsync()).Select(i => i.Reference));
        Assert.Empty((await Store.RemoveAsync("busybox")).Untagged);
    }

    [Fact]
    public async Task ImageStore_must_keep_index_json_whole_under_concurrent_ensure_and_load()
    {
        await Store.EnsureBusyboxAsync();
        var tars = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            await Store.TagAsync("busybox", $"copy{i}:v");
            var tar = _t.PathFor($"copy{i}.tar");
            await Store.SaveAsync($"copy{i}:v", tar);
            tars.Add(tar);
        }
        var fresh = _t.Another("fresh");
        var work = tars.Select(t => Task.Run(() => fresh.LoadAsync(t)))
            .Concat(Enumerable.Range(0, 6).Select(_ => Task.Run(async () => { await fresh.EnsureBusyboxAsync(); return (IReadOnlyList<string>)[]; })))
            .ToList();
        await Task.WhenAll(work);
        var refs = (await fresh.ListAsync()).Select(i => i.Reference).ToList();
        Assert.Equal(7, refs.Count);
        Assert.Contains("docker.io/library/busybox:latest", refs);
        Assert.All(Enumerable.Range(0, 6), i => Assert.Contains($"docker.io/library/copy{i}:v", refs));
        Assert.Empty(Directory.GetFiles(fresh.Root, "index.json.tmp-*"));
        Assert.Equal(7, JsonNode.Parse(File.ReadAllText(Path.Combine(fresh.Root, "index.json")))!["manifests"]!.AsArray().Count);
    }

    static string BlobPath(ImageStore store, string digest) => Path.Combine(store.Root, "blobs", "sha256", digest[7..]);
}
