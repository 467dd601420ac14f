using System.Collections.Immutable;
using System.Formats.Tar;
using Troupe.Api.Dockerfiles;
using Troupe.Api.Protocol;

namespace Troupe.Shell.Commands;

/// <summary>
/// <c>troupe build -t NAME:TAG [-f Dockerfile] [--build-arg K=V] [--target STAGE] [--no-cache] DIR</c>: sends the
/// context (a tar, <c>.dockerignore</c> applied, as the docker client does) to the node, which builds it. Progress
/// lines show on a terminal; otherwise the command stays quiet and ends with docker's <c>Successfully built</c> and
/// <c>Successfully tagged</c> lines. <c>--check</c> parses the Dockerfile here and prints its instructions as JSON.
/// </summary>
internal static class BuildCommand
{
    const string Usage = "build -t NAME:TAG [-f Dockerfile] [--build-arg K=V]... [--target STAGE] [--no-cache] DIR | build --check [-f Dockerfile] DIR";

    static readonly Flag[] Flags =
    [
        Common.Help, Flag.Many("tag", "-t", "--tag"), Flag.Value("file", "-f", "--file"), Flag.Many("build-arg", "--build-arg"),
        Flag.Value("target", "--target"), Flag.Bool("no-cache", "--no-cache"), Flag.Bool("check", "--check"),
        Flag.Bool("quiet", "-q", "--quiet"), Flag.Value("progress", "--progress"), Flag.Bool("pull", "--pull"),
        Flag.Value("platform", "--platform"), Flag.Value("network", "--network"),
    ];

    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, Flags);
        if (Common.HelpWanted(ctx, a, Usage)) return 0;
        if (a.Positionals.Count != 1) throw ShellException.Usage($"\"troupe build\" requires exactly 1 argument (the build context folder): troupe {Usage}");
        var dir = a.Positionals[0];
        if (dir == "-") throw ShellException.Usage("reading the build context from stdin is not supported (give a folder)");
        var context = Path.GetFullPath(dir);
        if (!Directory.Exists(context)) throw ShellException.User($"unable to prepare context: path \"{dir}\" not found");
        var dockerfile = a.Get("file") is { Length: > 0 } f ? Path.GetFullPath(f) : Path.Combine(context, "Dockerfile");
        var shown = a.Get("file") is { Length: > 0 } given ? given : Path.Combine(dir, "Dockerfile");
        if (!File.Exists(dockerfile))
            throw ShellException.User($"failed to read dockerfile: open {shown}: no such file or directory");

        Dockerfile parsed;
        try { parsed = DockerfileParser.ParseFile(dockerfile, Path.GetFileName(dockerfile)); }
        catch (DockerfileException e) { throw ShellException.User(e.Message); }
        if (a.Has("check"))
        {
            ctx.Out.Write(DockerfileJson.CheckLines(parsed));
            return 0;
        }
        if (a.Get("target") is { } target && !DockerfileParser.Stages(parsed).Any(s => string.Equals(s.Name, target, StringComparison.OrdinalIgnoreCase)))
            throw ShellException.User($"failed to reach build target {target} in Dockerfile");

        var tags = a.All("tag").ToImmutableArray();
        foreach (var t in tags) Common.CheckReference(t, "tag");
        var args = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var kv in a.All("build-arg"))
        {
            var eq = kv.IndexOf('=');
            // as docker: --build-arg K without a value takes K from the environment, and is dropped when unset
            if (eq < 0) { if (ctx.Env(kv) is { } v) args[kv] = v; }
            else if (eq == 0) throw ShellException.Usage($"--build-arg \"{kv}\": the name is empty");
            else args[kv[..eq]] = kv[(eq + 1)..];
        }

        using var tar = new FileStream(Path.Combine(Path.GetTempPath(), $"troupe-context-{Guid.NewGuid():N}.tar"),
            FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        var inside = ContextTar.Write(context, dockerfile, tar);
        tar.Position = 0;

        var request = new BuildImage(tags, inside, args.ToImmutable(), a.Get("target"), a.Has("no-cache"));
        // progress goes to stderr (stdout keeps only the result, as BuildKit does): on a terminal, or when asked for
        var progressShown = !a.Has("quiet") && a.Get("progress") switch
        {
            "plain" or "tty" => true,
            "quiet" => false,
            null or "auto" => ctx.IsTerminal,
            var other => throw ShellException.Usage($"--progress: unknown mode \"{other}\" (expected auto, plain, tty or quiet)"),
        };
        var failure = new List<string>();
        var outcome = ctx.Client.Upload("/v1/build", request, tar, m =>
        {
            if (m is not BuildProgress p) return;
            if (p.Failure) failure.Add(p.Line);
            else if (progressShown) ctx.Err.WriteLine(p.Line);
        });
        switch (outcome)
        {
            case ImageBuilt built:
                if (a.Has("quiet")) { ctx.Out.WriteLine(built.Digest); return 0; }
                ctx.Out.WriteLine($"Successfully built {ImagesCommand.ShortId(built.Digest)}");
                foreach (var t in built.Tags) ctx.Out.WriteLine($"Successfully tagged {ImagesCommand.ShortRepository(t)}");
                return 0;
            case CommandRejected r:
                // the failing step's output explains the failure
                foreach (var line in failure) ctx.Err.WriteLine(line);
                throw ShellException.User(r.Reason);
            default:
                throw ShellException.User($"the node answered {outcome.GetType().Name}, which the shell did not expect");
        }
    }
}

/// <summary>
/// The build context as the docker client sends it: every file of the folder not excluded by its
/// <c>.dockerignore</c>, with the Dockerfile and <c>.dockerignore</c> always in; owner root, modes and times kept,
/// symbolic links as links (the builder refuses to follow them out of the context).
/// </summary>
internal static class ContextTar
{
    /// <summary>Writes the tar; returns the Dockerfile's path inside it (a Dockerfile outside the folder is added under a name of its own).</summary>
    public static string Write(string context, string dockerfile, Stream output)
    {
        var ignore = DockerIgnore.ParseFile(Path.Combine(context, ".dockerignore"));
        var hasExceptions = ignore.Patterns.Any(p => p.StartsWith('!'));
        var relDockerfile = Path.GetRelativePath(context, dockerfile).Replace('\\', '/');
        var outside = relDockerfile.StartsWith("../", StringComparison.Ordinal) || relDockerfile == ".." || Path.IsPathRooted(relDockerfile);
        using var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        Walk(context, "", ignore, hasExceptions, relDockerfile, writer);
        if (outside)
        {
            relDockerfile = $".dockerfile.{Guid.NewGuid():N}"[..24];
            Add(writer, dockerfile, relDockerfile, new FileInfo(dockerfile));
        }
        return relDockerfile;
    }

    static void Walk(string root, string rel, DockerIgnore ignore, bool hasExceptions, string dockerfile, TarWriter writer)
    {
        var dir = rel.Length == 0 ? root : Path.Combine(root, rel);
        foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var name = rel.Length == 0 ? entry.Name : rel + "/" + entry.Name;
            var always = name == dockerfile || name == ".dockerignore";
            var excluded = !always && ignore.IsExcluded(name);
            var isDir = entry is DirectoryInfo && entry.LinkTarget is null;
            if (excluded && !(isDir && hasExceptions)) continue;
            if (!excluded) Add(writer, entry.FullName, name, entry);
            if (isDir) Walk(root, name, ignore, hasExceptions, dockerfile, writer);
        }
    }

    static void Add(TarWriter writer, string path, string name, FileSystemInfo info)
    {
        var mode = OperatingSystem.IsWindows() ? (UnixFileMode)0b110_100_100 : info.UnixFileMode;
        if (info.LinkTarget is { } target)
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target, Mode = mode, ModificationTime = info.LastWriteTimeUtc });
            return;
        }
        if (info is DirectoryInfo)
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, name + "/") { Mode = mode, ModificationTime = info.LastWriteTimeUtc });
            return;
        }
        if (info is not FileInfo) return;
        using var data = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { Mode = mode, ModificationTime = info.LastWriteTimeUtc, DataStream = data });
    }
}
