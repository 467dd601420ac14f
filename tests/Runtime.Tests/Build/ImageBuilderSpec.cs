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
        if (MissingPrerequisite() is not { } why) return;
        if (Environment.GetEnvironmentVariable("CI") == "true") throw new InvalidOperationException($"build tests cannot run: {why}");
        Skip.If(true, $"build tests skipped: {why}");
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
