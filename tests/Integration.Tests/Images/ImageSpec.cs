using System.Formats.Tar;
using System.Text.RegularExpressions;
using Troupe.Integration.Tests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace Troupe.Integration.Tests.Images;

/// <summary>
/// The docker image verbs on one real node, driven through <c>./troupe</c> as a user would: build (RUN in a real
/// runc container, the layer cache, a rebuild from the changed step only), a Deployment of the built image, tag,
/// rmi refused while a pod uses the image, save/load round trip, import of a root filesystem, and the bad inputs
/// (each one line, exit 1, no image left behind).
/// </summary>
public sealed partial class ImageSpec(NodeFixture node, ITestOutputHelper output) : IClassFixture<NodeFixture>, IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("troupe-images-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    TroupeCli Start()
    {
        Requirements.Runc();
        return node.Start(output, "images");
    }

    string Context(string name, string dockerfile, params (string Path, string Text)[] files)
    {
        var dir = Path.Combine(_dir, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "Dockerfile"), dockerfile);
        foreach (var (path, text) in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(dir, path))!);
            File.WriteAllText(Path.Combine(dir, path), text);
        }
        return dir;
    }

    static string ImageId(CliResult build) =>
        BuiltId().Match(build.Stdout) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException($"no image ID in:\n{build}");

    [GeneratedRegex(@"Successfully built ([0-9a-f]{12})")]
    private static partial Regex BuiltId();

    const string AppDockerfile = """
        # the seed's shape: FROM, WORKDIR, COPY, RUN, EXPOSE, CMD
        FROM busybox
        WORKDIR /app
        COPY requirements.txt .
        RUN echo "installed $(cat requirements.txt)" > /installed.txt
        COPY . .
        EXPOSE 5000
        CMD ["sh", "-c", "cat /installed.txt; cat /app/app.txt; ls /app; sleep 600"]
        """;

    [SkippableFact]
    public void A_built_image_runs_in_a_deployment_and_an_unchanged_rebuild_is_served_from_the_cache()
    {
        var cli = Start();
        var ctx = Context("app", AppDockerfile, ("requirements.txt", "flask"), ("app.txt", "version one"),
            ("node_modules/huge.js", "ignored"), (".dockerignore", "node_modules\n"));

        var first = cli.Expect(0, TimeSpan.FromMinutes(2), "build", "-t", "itest-app:1.0", ctx);
        Assert.Contains("Successfully tagged itest-app:1.0", first.Stdout);
        var id = ImageId(first);

        // nothing changed: every step from the cache, the same image ID
        var again = cli.Expect(0, TimeSpan.FromMinutes(1), "build", "--progress=plain", "-t", "itest-app:1.0", ctx);
        Assert.Equal(id, ImageId(again));
        Assert.Contains("RUN echo", again.Stderr);
        Assert.DoesNotMatch(@"#\d+ \d+\.\d+ ", again.Stderr); // no step ran, so no step printed output
        Assert.True(Regex.Matches(again.Stderr, "CACHED").Count >= 4, $"expected WORKDIR, both COPYs and RUN cached:\n{again.Stderr}");

        // one copied file changed: the steps before it stay cached, the COPY . . step runs again
        File.WriteAllText(Path.Combine(ctx, "app.txt"), "version two");
        var changed = cli.Expect(0, TimeSpan.FromMinutes(1), "build", "--progress=plain", "-t", "itest-app:2.0", ctx);
        Assert.NotEqual(id, ImageId(changed));
        var copyRequirements = Step(changed.Stderr, "COPY requirements.txt");
        var run = Step(changed.Stderr, "RUN echo");
        var copyAll = Step(changed.Stderr, "COPY . .");
        Assert.Contains($"#{copyRequirements} CACHED", changed.Stderr);
        Assert.Contains($"#{run} CACHED", changed.Stderr);
        Assert.DoesNotContain($"#{copyAll} CACHED", changed.Stderr);

        var images = cli.Expect(0, "images");
        Assert.Matches(@"(?m)^itest-app\s+1\.0\s+" + id, images.Stdout);

        // the RUN step's file and the copied context are in the image; .dockerignore kept node_modules out
        cli.Apply(Manifests.Deployment("built", 1, "cat /installed.txt; cat /app/app.txt; ls /app; sleep 600", image: "itest-app:2.0"), "built.yaml");
        try
        {
            var pod = cli.WaitForRunning("built", 1)[0];
            var logs = Eventually.Until("the container's output", TimeSpan.FromSeconds(20),
                () => cli.Run("logs", pod.Name).Stdout, text => text.Contains("Dockerfile"));
            Assert.Contains("installed flask", logs);
            Assert.Contains("version two", logs);
            Assert.DoesNotContain("node_modules", logs);

            // in use: refused, as docker refuses, and the image stays
            var refused = cli.Expect(1, "rmi", "itest-app:2.0");
            Assert.Contains("is using its referenced image", refused.Stderr);
            Assert.Contains("itest-app", cli.Expect(0, "images").Stdout);
        }
        finally { cli.DeleteDeployment("built"); }

        cli.Expect(0, "rmi", "itest-app:1.0", "itest-app:2.0");
        Assert.DoesNotContain("itest-app", cli.Expect(0, "images").Stdout);
    }

    static int Step(string progress, string text) =>
        Regex.Match(progress, $@"#(\d+) \[\d+/\d+\] {Regex.Escape(text)}") is { Success: true } m
            ? int.Parse(m.Groups[1].Value) : throw new InvalidOperationException($"no step \"{text}\" in:\n{progress}");

    [SkippableFact]
    public void Tag_save_load_and_import_round_trip_through_tarballs()
    {
        var cli = Start();
        var ctx = Context("round", "FROM busybox\nRUN echo round > /round.txt\nCMD [\"cat\", \"/round.txt\"]\n");
        var id = ImageId(cli.Expect(0, TimeSpan.FromMinutes(2), "build", "-t", "itest-round:1", ctx));

        cli.Expect(0, "tag", "itest-round:1", "example.com/team/round:v2");
        Assert.Matches(@"(?m)^example\.com/team/round\s+v2\s+" + id, cli.Expect(0, "images").Stdout);

        var tar = Path.Combine(_dir, "round.tar");
        cli.Expect(0, TimeSpan.FromMinutes(1), "save", "itest-round:1", "-o", tar);
        using (var reader = new TarReader(File.OpenRead(tar)))
        {
            var names = new List<string>();
            while (reader.GetNextEntry() is { } e) names.Add(e.Name);
            Assert.Contains("oci-layout", names);
            Assert.Contains("index.json", names);
        }
        cli.Expect(0, "rmi", "itest-round:1", "example.com/team/round:v2");
        Assert.DoesNotContain(id, cli.Expect(0, "images").Stdout);
        var loaded = cli.Expect(0, TimeSpan.FromMinutes(1), "load", "-i", tar);
        Assert.Contains("Loaded image: itest-round:1", loaded.Stdout);
        Assert.Matches(@"(?m)^itest-round\s+1\s+" + id, cli.Expect(0, "images").Stdout);
        cli.Expect(0, "rmi", id);

        // a root filesystem (busybox and a file) becomes a one-layer image that builds and runs
        var rootfs = Path.Combine(_dir, "rootfs.tar");
        using (var w = new TarWriter(File.Create(rootfs), TarEntryFormat.Pax))
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "bin/") { Mode = (UnixFileMode)0b111_101_101 });
            w.WriteEntry(Requirements.Which("busybox")!, "bin/busybox");
            w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/sh") { LinkName = "busybox" });
            w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "etc/os-release") { DataStream = new MemoryStream("ID=imported\n"u8.ToArray()) });
        }
        var imported = cli.Expect(0, TimeSpan.FromMinutes(1), "import", rootfs, "itest-base:1");
        Assert.Matches(@"^sha256:[0-9a-f]{64}\s*$", imported.Stdout);
        var onBase = Context("onbase", "FROM itest-base:1\nRUN [\"/bin/busybox\", \"sh\", \"-c\", \"/bin/busybox cat /etc/os-release > /copied\"]\n");
        cli.Expect(0, TimeSpan.FromMinutes(1), "build", "-t", "itest-onbase:1", onBase);
        cli.Expect(0, "rmi", "itest-onbase:1", "itest-base:1");
    }

    public static TheoryData<string, string, string> BadBuilds => new()
    {
        { "unknown-instruction", "FROM busybox\nFORM busybox\n", @"Dockerfile:2: unknown instruction: FORM" },
        { "copy-parent", "FROM busybox\nCOPY ../secret /x\n", @"Dockerfile:2: .*outside the build context" },
        { "copy-symlink-out", "FROM busybox\nCOPY link/passwd /x\n", @"Dockerfile:2: .*outside the build context" },
        { "run-fails", "FROM busybox\nRUN echo about to fail; exit 3\n", @"Dockerfile:2: RUN .*exit code 3" },
        { "missing-base", "FROM itest-no-such-image:1\n", @"Dockerfile:1: FROM itest-no-such-image:1: .*not found" },
    };

    [SkippableTheory]
    [MemberData(nameof(BadBuilds))]
    public void A_bad_build_is_one_line_with_its_location_and_leaves_no_image(string name, string dockerfile, string error)
    {
        var cli = Start();
        var ctx = Context(name, dockerfile);
        if (name == "copy-symlink-out") File.CreateSymbolicLink(Path.Combine(ctx, "link"), "/etc");
        var r = cli.Expect(1, TimeSpan.FromMinutes(1), "build", "-t", $"itest-bad-{name}:1", ctx);
        var last = r.Stderr.TrimEnd().Split('\n')[^1];
        Assert.Matches("^error: " + error, last);
        if (name == "run-fails") Assert.Contains("about to fail", r.Stderr); // the failing step's own output
        Assert.DoesNotContain($"itest-bad-{name}", cli.Expect(0, "images").Stdout);
    }

    [SkippableFact]
    public void Missing_context_or_dockerfile_and_bad_names_are_refused_before_anything_is_sent()
    {
        var cli = Start();
        Assert.Contains("not found", cli.Expect(1, "build", "-t", "x:1", Path.Combine(_dir, "nowhere")).Stderr);
        var empty = Path.Combine(_dir, "empty");
        Directory.CreateDirectory(empty);
        Assert.Matches("failed to read dockerfile: open .*Dockerfile: no such file", cli.Expect(1, "build", "-t", "x:1", empty).Stderr);
        var ctx = Context("names", "FROM busybox\n");
        Assert.Contains("must be lowercase", cli.Expect(1, "build", "-t", "Bad:1", ctx).Stderr);
        Assert.Contains("No such image: itest-nothing:1", cli.Expect(1, "tag", "itest-nothing:1", "x:1").Stderr);
        Assert.Contains("No such image", cli.Expect(1, "rmi", "itest-nothing:1").Stderr);
        Assert.Contains("No such image", cli.Expect(1, "save", "itest-nothing:1", "-o", Path.Combine(_dir, "n.tar")).Stderr);
        Assert.False(File.Exists(Path.Combine(_dir, "n.tar")), "a failed save left a file behind");
    }

    public static TheoryData<string> EscapingTars => ["dotdot", "absolute-symlink-then-write", "hardlink-out"];

    [SkippableTheory]
    [MemberData(nameof(EscapingTars))]
    public void A_crafted_tar_whose_entries_escape_is_refused_by_import_and_load_and_writes_nothing_outside(string kind)
    {
        var cli = Start();
        var victim = Path.Combine(_dir, "victim-" + kind);
        var tar = Path.Combine(_dir, kind + ".tar");
        using (var w = new TarWriter(File.Create(tar), TarEntryFormat.Pax))
        {
            var data = () => new MemoryStream("owned\n"u8.ToArray());
            switch (kind)
            {
                case "dotdot":
                    w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "../../../../../../.." + victim) { DataStream = data() });
                    break;
                case "absolute-symlink-then-write":
                    w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "escape") { LinkName = _dir });
                    w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "escape/" + Path.GetFileName(victim)) { DataStream = data() });
                    break;
                case "hardlink-out":
                    w.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "passwd") { LinkName = "../../../../../../../etc/passwd" });
                    break;
            }
        }
        var import = cli.Expect(1, TimeSpan.FromMinutes(1), "import", tar, $"itest-evil-{kind}:1");
        Assert.Matches("^error: .*entry", import.Stderr.Trim());
        var load = cli.Expect(1, TimeSpan.FromMinutes(1), "load", "-i", tar);
        Assert.StartsWith("error: ", load.Stderr.Trim());
        Assert.False(File.Exists(victim), $"{kind}: the tar wrote {victim}");
        Assert.DoesNotContain("itest-evil", cli.Expect(0, "images").Stdout);
    }
}
