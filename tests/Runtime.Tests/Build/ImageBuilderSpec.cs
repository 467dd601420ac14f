using System.Collections.Immutable;
using System.Diagnostics;
using Troupe.Runtime.Build;
using Troupe.Runtime.Images;
using Troupe.Runtime.Linux;
using Xunit;
using Xunit.Abstractions;

namespace Troupe.Runtime.Tests.Build;

/// <summary>
/// The image builder against real runc, overlayfs and the host's static busybox. Needs root and runc: skipped with a
/// reason otherwise, failed instead when CI=true.
/// </summary>
[Trait("Category", "runc")]
public sealed class ImageBuilderSpec : IDisposable
{
    private const string RuncPath = "/usr/sbin/runc";
    private readonly ITestOutputHelper _out;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "troupe-build-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _ctx;
    private ImageStore? _store;
    private ImageBuilder? _builder;

    public ImageBuilderSpec(ITestOutputHelper output)
    {
        _out = output;
        _ctx = Path.Combine(_root, "ctx");
        Directory.CreateDirectory(_ctx);
    }

    private static string? MissingPrerequisite() =>
        !OperatingSystem.IsLinux() ? "not Linux"
        : !Processes.IsRoot ? "not root"
        : !File.Exists(RuncPath) ? $"{RuncPath} missing"
        : !File.Exists("/usr/bin/busybox") ? "/usr/bin/busybox missing"
        : null;

    private void Require()
    {
        Prerequisite.Require("build", MissingPrerequisite());
    }

    private ImageStore Store => _store ??= new ImageStore(Path.Combine(_root, "images"));
    private ImageBuilder Builder => _builder ??= new ImageBuilder(Store, Path.Combine(_root, "build"), RuncPath);

    private void Write(string rel, string content)
    {
        var path = Path.Combine(_ctx, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private async Task<BuildResult> Build(string dockerfile, string? target = null, ImmutableDictionary<string, string>? args = null, params string[] tags)
    {
        Write("Dockerfile", dockerfile);
        var lines = new List<string>();
        var sw = Stopwatch.StartNew();
        try
        {
            return await Builder.BuildAsync(new BuildRequest(_ctx, null, [.. tags], args ?? ImmutableDictionary<string, string>.Empty, target, false),
                new SyncProgress(lines.Add));
        }
        finally
        {
            foreach (var l in lines) _out.WriteLine(l);
            _out.WriteLine($"build took {sw.ElapsedMilliseconds} ms");
        }
    }

    private sealed class SyncProgress(Action<string> a) : IProgress<string>
    {
        public void Report(string value) { lock (this) a(value); }
    }

    /// <summary>The merged view of an image's layers as a copy (whiteouts applied): path → file.</summary>
    private async Task<string> Flatten(string reference)
    {
        var image = (await Store.ResolveAsync(reference))!;
        var layers = await Store.UnpackAsync(image);
        var dir = Path.Combine(_root, "flat-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(dir);
        var merged = Path.Combine(dir, "m");
        Directory.CreateDirectory(merged);
        var lower = string.Join(':', layers.Reverse());
        if (layers.Count == 1) return layers[0];
        Mounts.Mount("overlay", merged, "overlay", 1, $"lowerdir={lower}");
        _flatMounts.Add(merged);
        return merged;
    }

    private readonly List<string> _flatMounts = [];

    private const string Seed = """
        FROM busybox
        WORKDIR /app
        COPY requirements.txt .
        RUN echo hi > /x && cat requirements.txt > /app/copied
        EXPOSE 5000
        CMD ["sh","app.sh"]
        """;

    [SkippableFact]
    public async Task Seed_dockerfile_builds_caches_and_rebuilds_from_the_changed_copy()
    {
        Require();
        Write("requirements.txt", "flask\n");
        var cold = Stopwatch.StartNew();
        var first = await Build(Seed, tags: "seed:1");
        cold.Stop();
        Assert.All(first.Steps.Skip(1), s => Assert.False(s.Cached));
        var image = (await Store.ResolveAsync("seed:1"))!;
        Assert.Equal(first.Digest, image.Digest);
        Assert.Equal("/app", image.Config.WorkingDir);
        Assert.Equal(["5000/tcp"], image.Config.ExposedPorts.ToArray());
        Assert.Equal(["sh", "app.sh"], image.Config.Cmd.ToArray());
        Assert.Equal(4, image.Layers.Length); // busybox + WORKDIR + COPY + RUN
        var root = await Flatten("seed:1");
        Assert.Equal("hi\n", File.ReadAllText(Path.Combine(root, "x")));
        Assert.Equal("flask\n", File.ReadAllText(Path.Combine(root, "app/copied")));
        Assert.Equal("flask\n", File.ReadAllText(Path.Combine(root, "app/requirements.txt")));

        var warm = Stopwatch.StartNew();
        var second = await Build(Seed, tags: "seed:1");
        warm.Stop();
        _out.WriteLine($"cold {cold.ElapsedMilliseconds} ms, cached {warm.ElapsedMilliseconds} ms");
        Assert.All(second.Steps, s => Assert.True(s.Cached));
        Assert.True(warm.Elapsed < TimeSpan.FromSeconds(1), $"cached build took {warm.ElapsedMilliseconds} ms");

        Write("requirements.txt", "flask\nredis\n");
        var third = await Build(Seed, tags: "seed:1");
        Assert.True(third.Steps.Single(s => s.Text.StartsWith("FROM")).Cached);
        Assert.True(third.Steps.Single(s => s.Text.StartsWith("WORKDIR")).Cached);
        Assert.False(third.Steps.Single(s => s.Text.StartsWith("COPY")).Cached);
        Assert.False(third.Steps.Single(s => s.Text.StartsWith("RUN")).Cached);
        var root3 = await Flatten("seed:1");
        Assert.Equal("flask\nredis\n", File.ReadAllText(Path.Combine(root3, "app/copied")));

        var uncached = await Builder.BuildAsync(new BuildRequest(_ctx, null, ["seed:1"], ImmutableDictionary<string, string>.Empty, null, NoCache: true));
        Assert.All(uncached.Steps.Skip(1), s => Assert.False(s.Cached));
    }

    [SkippableFact]
    public async Task Multi_stage_copy_from_target_and_build_args()
    {
        Require();
        const string df = """
            ARG BASE=busybox
            FROM $BASE AS builder
            ARG GREETING=hello
            ARG TARGETARCH
            RUN mkdir -p /out && echo "$GREETING $TARGETARCH" > /out/msg
            FROM scratch AS final
            COPY --from=builder /out/msg /msg
            FROM busybox AS other
            RUN exit 3
            """;
        var r = await Build(df, target: "final", args: ImmutableDictionary<string, string>.Empty.Add("GREETING", "bonjour"), tags: "multi:1");
        var root = await Flatten("multi:1");
        Assert.Equal("bonjour amd64\n", File.ReadAllText(Path.Combine(root, "msg")));
        Assert.DoesNotContain(r.Steps, s => s.Text.Contains("exit 3"));
        var image = (await Store.ResolveAsync("multi:1"))!;
        Assert.Single(image.Layers);
    }

    [SkippableFact]
    public async Task Failing_run_reports_line_and_exit_code_and_leaves_nothing_behind()
    {
        Require();
        const string df = """
            FROM busybox
            ENV A=1
            RUN echo before
            RUN echo oops-output && exit 7
            """;
        var e = await Assert.ThrowsAsync<BuildException>(() => Build(df, tags: "broken:1"));
        Assert.Equal("Dockerfile:4: RUN echo oops-output && exit 7: exit code 7", e.Message);
        Assert.Contains("oops-output", e.Output);
        Assert.Null(await Store.ResolveAsync("broken:1"));
        Assert.Empty(Mounts.Under(Builder.WorkRoot));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(Builder.WorkRoot, "steps")));
        var list = Process.Start(new ProcessStartInfo(RuncPath, ["--root", Path.Combine(Builder.WorkRoot, "runc"), "list", "-q"]) { RedirectStandardOutput = true })!;
        var ids = (await list.StandardOutput.ReadToEndAsync()).Trim();
        await list.WaitForExitAsync();
        Assert.Equal("", ids);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(Store.Root, "tmp")));
    }

    [SkippableFact]
    public async Task Copy_outside_the_context_is_rejected()
    {
        Require();
        File.WriteAllText(Path.Combine(_root, "secret"), "s3cret");
        var e = await Assert.ThrowsAsync<BuildException>(() => Build("FROM busybox\nCOPY ../secret /s\n"));
        Assert.Equal("Dockerfile:2: COPY ../secret: outside the build context", e.Message);
        File.CreateSymbolicLink(Path.Combine(_ctx, "link"), Path.Combine(_root, "secret"));
        var e2 = await Assert.ThrowsAsync<BuildException>(() => Build("FROM busybox\nCOPY link /s\n"));
        Assert.Equal("Dockerfile:2: COPY link: outside the build context", e2.Message);
        File.CreateSymbolicLink(Path.Combine(_ctx, "rel"), "../secret");
        var e3 = await Assert.ThrowsAsync<BuildException>(() => Build("FROM busybox\nCOPY rel /s\n"));
        Assert.Contains("outside the build context", e3.Message);
    }

    [SkippableFact]
    public async Task Dockerignore_heredocs_globs_chown_and_whiteouts()
    {
        Require();
        Write(".dockerignore", "secret.txt\n");
        Write("secret.txt", "no");
        Write("a.txt", "A");
        Write("b.txt", "B");
        Write("src/one.c", "1");
        const string df = """
            FROM busybox
            COPY . /ctx/
            COPY *.txt /globbed/
            COPY --chown=nobody:nogroup --chmod=600 a.txt /owned
            COPY <<EOF /etc/motd
            hello $NAME
            EOF
            ENV NAME=x
            RUN <<EOF
            echo from-heredoc > /heredoc
            rm /etc/group
            EOF
            RUN <<EOF
            #!/bin/sh
            echo script > /script
            EOF
            """;
        await Build(df, tags: "misc:1");
        var root = await Flatten("misc:1");
        Assert.False(File.Exists(Path.Combine(root, "ctx/secret.txt")));
        Assert.True(File.Exists(Path.Combine(root, "ctx/a.txt")));
        Assert.True(File.Exists(Path.Combine(root, "ctx/src/one.c")));
        Assert.Equal(["a.txt", "b.txt"], Directory.GetFiles(Path.Combine(root, "globbed")).Select(Path.GetFileName).Order().ToArray());
        Assert.Equal("65534:65534 600", Images.Tars.Stat("%u:%g %a", Path.Combine(root, "owned")));
        Assert.Equal("hello \n", File.ReadAllText(Path.Combine(root, "etc/motd")));
        Assert.Equal("from-heredoc\n", File.ReadAllText(Path.Combine(root, "heredoc")));
        Assert.Equal("script\n", File.ReadAllText(Path.Combine(root, "script")));
        Assert.False(File.Exists(Path.Combine(root, "etc/group")), "the whiteout hides /etc/group");
        var layers = await Store.UnpackAsync((await Store.ResolveAsync("misc:1"))!);
        var whiteout = layers.Select(l => Path.Combine(l, "etc/group")).Last(p => Images.Tars.Stat("%F", p) != "");
        Assert.Equal("character special file 0,0", Images.Tars.Stat("%F %t,%T", whiteout));
        Assert.True(File.Exists(Path.Combine(root, "etc/passwd")));
    }

    [SkippableFact]
    public async Task Cache_mount_persists_between_builds_and_is_not_in_the_layer()
    {
        Require();
        const string df1 = "FROM busybox\nRUN --mount=type=cache,target=/cache echo one >> /cache/log && touch /made\n";
        const string df2 = "FROM busybox\nRUN --mount=type=cache,target=/cache cat /cache/log > /seen\n";
        await Build(df1, tags: "cache:1");
        await Build(df2, tags: "cache:2");
        var root = await Flatten("cache:2");
        Assert.Equal("one\n", File.ReadAllText(Path.Combine(root, "seen")));
        var root1 = await Flatten("cache:1");
        Assert.False(File.Exists(Path.Combine(root1, "cache/log")));
    }

    [SkippableFact]
    public async Task Config_user_entrypoint_healthcheck_onbuild_add_tar_and_copy_from_image()
    {
        Require();
        var tar = Path.Combine(_ctx, "bundle.tar");
        Images.Tars.Write(tar, Images.Tars.Dir("pkg/"), Images.Tars.File("pkg/readme", "inside the tar"));
        const string parent = """
            FROM busybox
            ONBUILD RUN echo triggered > /onbuilt
            CMD ["inherited"]
            """;
        await Build(parent, tags: "parent:1");
        const string df = """
            FROM parent:1
            ADD bundle.tar /opt/
            COPY --from=busybox /bin/busybox /bb
            USER nobody
            RUN id -u > /tmp/uid && id -g > /tmp/gid
            USER root
            ENTRYPOINT ["/bin/sh"]
            HEALTHCHECK --interval=5s --retries=2 CMD wget -q localhost || exit 1
            STOPSIGNAL SIGINT
            LABEL org.example.name="demo app"
            VOLUME /data
            ENV PATH=/opt/bin:$PATH
            """;
        await Build(df, tags: "child:1");
        var root = await Flatten("child:1");
        Assert.Equal("triggered\n", File.ReadAllText(Path.Combine(root, "onbuilt")));
        Assert.Equal("inside the tar", File.ReadAllText(Path.Combine(root, "opt/pkg/readme")));
        Assert.True(File.Exists(Path.Combine(root, "bb")));
        Assert.Equal("65534\n", File.ReadAllText(Path.Combine(root, "tmp/uid")));
        Assert.Equal("65534\n", File.ReadAllText(Path.Combine(root, "tmp/gid")));
        var image = (await Store.ResolveAsync("child:1"))!;
        Assert.Equal(["/bin/sh"], image.Config.Entrypoint.ToArray());
        Assert.Empty(image.Config.Cmd); // an inherited CMD does not survive a new ENTRYPOINT
        Assert.Equal("root", image.Config.User);
        Assert.Equal("SIGINT", image.Config.StopSignal);
        Assert.Equal("demo app", image.Config.Labels["org.example.name"]);
        Assert.Equal(["/data"], image.Config.Volumes.ToArray());
        Assert.Contains("PATH=/opt/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", image.Config.Env);
        var config = System.Text.Json.Nodes.JsonNode.Parse(await Store.ReadConfigAsync(image))!;
        Assert.Equal("""["CMD-SHELL","wget -q localhost || exit 1"]""", config["config"]!["Healthcheck"]!["Test"]!.ToJsonString());
        Assert.Equal(5_000_000_000L, (long)config["config"]!["Healthcheck"]!["Interval"]!);
        Assert.Null(config["config"]!["OnBuild"]);
        Assert.Equal(image.DiffIds.Length, config["history"]!.AsArray().Count(h => h!["empty_layer"] is null));
    }

    [SkippableFact]
    public async Task Opaque_directory_replaces_the_lower_one()
    {
        Require();
        await Build("FROM busybox\nRUN rm -rf /var && mkdir /var && echo only > /var/only\n", tags: "opaque:1");
        var root = await Flatten("opaque:1");
        Assert.Equal(["only"], Directory.GetFileSystemEntries(Path.Combine(root, "var")).Select(Path.GetFileName).ToArray());
    }

    [SkippableFact]
    public async Task A_missing_base_is_fetched_as_docker_build_pulls_it_and_a_failed_fetch_is_one_line()
    {
        Require();
        await Store.EnsureBusyboxAsync();
        var asked = new List<string>();
        // the node's fetch (peers, then registries) stands in as a tag of busybox, as a pull would leave it
        _builder = new ImageBuilder(Store, Path.Combine(_root, "build"), RuncPath)
        {
            Fetch = async (name, ct) =>
            {
                asked.Add(name);
                if (name == "pulled:1") await Store.TagAsync("busybox:latest", name, ct);
                else throw new InvalidOperationException("pull access denied for nowhere");
            },
        };
        await Build("FROM pulled:1\nRUN echo on-the-pulled-base > /x\n", tags: "onpulled:1");
        Assert.Equal(["pulled:1"], asked);
        Assert.NotNull(await Store.ResolveAsync("onpulled:1"));
        var e = await Assert.ThrowsAsync<BuildException>(() => Build("FROM nowhere:9\n"));
        Assert.Equal("Dockerfile:1: FROM nowhere:9: image not found in the node's image store and not pulled: pull access denied for nowhere", e.Message);
    }

    [SkippableFact]
    public async Task Unknown_base_and_bad_target_are_one_line_errors()
    {
        Require();
        var e = await Assert.ThrowsAsync<BuildException>(() => Build("FROM nosuchimage:9\nRUN true\n"));
        Assert.StartsWith("Dockerfile:1: FROM nosuchimage:9: image not found", e.Message);
        var e2 = await Assert.ThrowsAsync<BuildException>(() => Build("FROM busybox AS a\n", target: "b"));
        Assert.Equal("Dockerfile: target stage \"b\" could not be found", e2.Message);
        var e3 = await Assert.ThrowsAsync<BuildException>(() => Build("FROM busybox\nCOPY missing.txt /\n"));
        Assert.Equal("Dockerfile:2: COPY missing.txt: not found in the build context", e3.Message);
    }

    [SkippableFact]
    public async Task Cancelling_a_running_step_kills_its_container_and_cleans_up()
    {
        Require();
        Write("Dockerfile", "FROM busybox\nRUN echo started && sleep 30\n");
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(l => { if (l.EndsWith(" started")) cts.Cancel(); });
        var sw = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Builder.BuildAsync(BuildRequest.For(_ctx, "cancelled:1"), progress, cts.Token));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"cancel took {sw.ElapsedMilliseconds} ms");
        Assert.Null(await Store.ResolveAsync("cancelled:1"));
        Assert.Empty(Mounts.Under(Builder.WorkRoot));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(Builder.WorkRoot, "steps")));
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(Builder.WorkRoot, "runc")));
    }

    [SkippableFact]
    public async Task Many_layers_fit_one_overlay_mount()
    {
        Require();
        var df = new System.Text.StringBuilder("FROM busybox\n");
        for (var i = 0; i < 45; i++) df.Append($"COPY <<EOF /f{i}\n{i}\nEOF\n");
        df.Append("RUN cat /f0 /f44 > /both\n");
        await Build(df.ToString(), tags: "many:1");
        var image = (await Store.ResolveAsync("many:1"))!;
        Assert.Equal(47, image.Layers.Length);
    }

    [SkippableFact]
    public async Task Copy_through_an_image_symlink_stays_inside_the_image()
    {
        Require();
        var hostDir = Path.Combine(_root, "host-target");
        Directory.CreateDirectory(hostDir);
        Write("a.txt", "A");
        await Build($"FROM busybox\nRUN mkdir -p {hostDir} && ln -s {hostDir} /escape\nCOPY a.txt /escape/\n", tags: "link:1");
        Assert.Empty(Directory.EnumerateFileSystemEntries(hostDir));
        var root = await Flatten("link:1");
        Assert.Equal("A", File.ReadAllText(Path.Combine(root, hostDir.TrimStart('/'), "a.txt")));
    }

    [SkippableFact]
    public async Task Concurrent_builds_on_one_builder()
    {
        Require();
        Write("one.Dockerfile", "FROM busybox\nRUN echo one > /one\n");
        Write("two.Dockerfile", "FROM busybox\nRUN echo two > /two\nCOPY one.Dockerfile /\n");
        var empty = ImmutableDictionary<string, string>.Empty;
        var a = Builder.BuildAsync(new BuildRequest(_ctx, Path.Combine(_ctx, "one.Dockerfile"), ["c:1"], empty, null, false));
        var b = Builder.BuildAsync(new BuildRequest(_ctx, Path.Combine(_ctx, "two.Dockerfile"), ["c:2"], empty, null, false));
        await Task.WhenAll(a, b);
        Assert.Equal("one\n", File.ReadAllText(Path.Combine(await Flatten("c:1"), "one")));
        Assert.Equal("two\n", File.ReadAllText(Path.Combine(await Flatten("c:2"), "two")));
        Assert.Empty(Mounts.Under(Builder.WorkRoot));
    }

    [SkippableFact]
    public async Task Bind_mounts_from_context_and_stage_are_read_only_and_not_in_the_layer()
    {
        Require();
        Write("data/a.txt", "from-context");
        const string df = """
            FROM busybox AS gen
            RUN echo from-stage > /gen.txt
            FROM busybox
            RUN --mount=type=bind,source=data,target=/mnt/ctx --mount=type=bind,from=gen,source=/gen.txt,target=/mnt/gen.txt \
                cat /mnt/ctx/a.txt /mnt/gen.txt > /seen && ! touch /mnt/ctx/new 2>/dev/null
            """;
        await Build(df, tags: "bind:1");
        var root = await Flatten("bind:1");
        Assert.Equal("from-context\nfrom-stage\n", File.ReadAllText(Path.Combine(root, "seen")).Replace("from-context", "from-context\n"));
        Assert.False(Directory.Exists(Path.Combine(root, "mnt/ctx")));
        Assert.False(File.Exists(Path.Combine(_ctx, "data/new")));
    }

    public void Dispose()
    {
        foreach (var m in _flatMounts) Mounts.UnmountAll(m);
        try
        {
            if (Directory.Exists(_root) && (!OperatingSystem.IsLinux() || Mounts.Under(_root).Count == 0)) Directory.Delete(_root, true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
