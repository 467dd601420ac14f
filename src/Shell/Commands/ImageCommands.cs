using Troupe.Api.Protocol;

namespace Troupe.Shell.Commands;

/// <summary><c>troupe tag SRC DST</c>: as <c>docker tag</c>, silent on success.</summary>
internal static class TagCommand
{
    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, [Common.Help]);
        if (Common.HelpWanted(ctx, a, "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]")) return 0;
        if (a.Positionals.Count != 2) throw ShellException.Usage("\"troupe tag\" requires exactly 2 arguments: troupe tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]");
        Common.CheckReference(a.Positionals[1], "tag");
        Common.Expect<CommandAccepted>(ctx.Client.Send(new TagImage(a.Positionals[0], a.Positionals[1])));
        return 0;
    }
}

/// <summary><c>troupe rmi [-f] IMAGE...</c>: docker's <c>Untagged:</c> / <c>Deleted:</c> lines; an image a pod uses is refused.</summary>
internal static class RmiCommand
{
    static readonly Flag[] Flags = [Common.Help, Flag.Bool("force", "-f", "--force")];

    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, Flags);
        if (Common.HelpWanted(ctx, a, "rmi [-f] IMAGE [IMAGE...]")) return 0;
        if (a.Positionals.Count == 0) throw ShellException.Usage("\"troupe rmi\" requires at least 1 argument: troupe rmi [-f] IMAGE [IMAGE...]");
        var failed = 0;
        foreach (var image in a.Positionals)
        {
            // as docker: each image on its own; a failure is reported and the rest still go
            switch (ctx.Client.Send(new RemoveImage(image, a.Has("force"))))
            {
                case CommandAccepted ok:
                    if (ok.Message.Length > 0) ctx.Out.WriteLine(ok.Message);
                    break;
                case CommandRejected r:
                    ctx.Out.Flush();
                    ctx.Err.WriteLine("error: " + r.Reason);
                    failed++;
                    break;
                case var other:
                    throw ShellException.User($"the node answered {other.GetType().Name}, which the shell did not expect");
            }
        }
        return failed == 0 ? ExitCodes.Ok : ExitCodes.UserError;
    }
}

/// <summary><c>troupe save IMAGE -o FILE.tar</c>: an OCI image-layout tarball, written to a temporary file and renamed, so a failure leaves nothing.</summary>
internal static class SaveCommand
{
    static readonly Flag[] Flags = [Common.Help, Flag.Value("output", "-o", "--output")];

    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, Flags);
        if (Common.HelpWanted(ctx, a, "save IMAGE -o FILE.tar")) return 0;
        if (a.Positionals.Count != 1) throw ShellException.Usage("\"troupe save\" requires exactly 1 image: troupe save IMAGE -o FILE.tar");
        var output = a.Get("output") ?? throw ShellException.Usage("troupe save needs -o FILE.tar (writing the tarball to stdout is not supported)");
        var full = Path.GetFullPath(output);
        var folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder)) throw ShellException.User($"open {output}: no such file or directory");
        var temp = Path.Combine(folder, $".{Path.GetFileName(full)}.troupe-{Guid.NewGuid():N}");
        try
        {
            int status;
            string? error;
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                (status, error) = ctx.Client.Download("/v1/images/save?ref=" + Uri.EscapeDataString(a.Positionals[0]), file);
                file.Flush(flushToDisk: true);
            }
            if (status != 200) throw ShellException.User(error is { Length: > 0 } ? error : $"the node answered HTTP {status}");
            File.Move(temp, full, overwrite: true);
            return 0;
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}

/// <summary><c>troupe import ROOTFS.tar NAME:TAG</c>: as <c>docker import</c>, prints the new image's digest.</summary>
internal static class ImportCommand
{
    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, [Common.Help]);
        if (Common.HelpWanted(ctx, a, "import ROOTFS.tar NAME:TAG")) return 0;
        if (a.Positionals.Count != 2) throw ShellException.Usage("\"troupe import\" requires a file and a name: troupe import ROOTFS.tar NAME:TAG");
        var path = Path.GetFullPath(a.Positionals[0]);
        if (!File.Exists(path)) throw ShellException.User($"open {a.Positionals[0]}: no such file or directory");
        Common.CheckReference(a.Positionals[1], "image name");
        var accepted = Common.Expect<CommandAccepted>(ctx.Client.Send(new ImportRootfs(path, a.Positionals[1]), TimeSpan.FromMinutes(10)));
        ctx.Out.WriteLine(accepted.Message);
        return 0;
    }
}

/// <summary>
/// <c>troupe pull IMAGE</c> and <c>troupe push IMAGE</c>: the node speaks the OCI distribution API to the registry
/// the name points at (<c>localhost:5000/app:1</c>; a bare name is Docker Hub). On a terminal each layer's line
/// updates in place, as docker's; otherwise only the summary lines are printed (docker's <c>Digest:</c> and
/// <c>Status:</c>, then the reference for a pull; the digest line for a push). <c>-q</c> prints the reference only.
/// </summary>
internal static class TransferCommands
{
    static readonly Flag[] Flags = [Common.Help, Flag.Bool("quiet", "-q", "--quiet"), Flag.Bool("all-tags", "-a", "--all-tags"), Flag.Value("platform", "--platform")];

    public static int Pull(ShellContext ctx, IReadOnlyList<string> argv) => Run(ctx, argv, "pull");

    public static int Push(ShellContext ctx, IReadOnlyList<string> argv) => Run(ctx, argv, "push");

    static int Run(ShellContext ctx, IReadOnlyList<string> argv, string verb)
    {
        var a = Args.Parse(argv, 0, Flags);
        if (Common.HelpWanted(ctx, a, $"{verb} [-q] NAME[:TAG]")) return 0;
        if (a.Positionals.Count != 1) throw ShellException.Usage($"\"troupe {verb}\" requires exactly 1 argument: troupe {verb} [-q] NAME[:TAG]");
        if (a.Has("all-tags")) throw ShellException.Usage($"{verb} --all-tags is not supported yet: name one tag");
        if (a.Get("platform") is { } platform && platform != "linux/amd64" && platform != $"linux/{System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()}")
            throw ShellException.Usage($"--platform {platform}: this node runs only its own platform");
        var reference = a.Positionals[0];
        Common.CheckReference(reference, "reference");
        ITroupeMessage request = verb == "pull" ? new PullImage(reference) : new PushImage(reference);
        var live = ctx.IsTerminal && !a.Has("quiet") ? new LiveLines(ctx.Out) : null;
        var summary = new List<string>();
        var outcome = ctx.Client.Upload($"/v1/images/{verb}", request, new MemoryStream(), m =>
        {
            if (m is not ImageProgress p) return;
            if (live is not null) live.Show(p);
            else if (p.Id.Length == 0 && (p.Status.StartsWith("Digest: ", StringComparison.Ordinal) || p.Status.StartsWith("Status: ", StringComparison.Ordinal)
                         || p.Status.Contains(": digest: ", StringComparison.Ordinal)))
                summary.Add(p.Status);
        });
        switch (outcome)
        {
            case ImagePulled pulled:
                if (!a.Has("quiet")) foreach (var line in summary) ctx.Out.WriteLine(line);
                ctx.Out.WriteLine(pulled.Reference);
                return 0;
            case ImagePushed:
                if (!a.Has("quiet")) foreach (var line in summary) ctx.Out.WriteLine(line);
                return 0;
            case CommandRejected r:
                throw ShellException.User(r.Reason);
            default:
                throw ShellException.User($"the node answered {outcome.GetType().Name}, which the shell did not expect");
        }
    }

    /// <summary>docker's terminal display: one line per layer, rewritten in place as its status changes.</summary>
    sealed class LiveLines(TextWriter output)
    {
        readonly List<string> _ids = [];

        public void Show(ImageProgress p)
        {
            var text = p.Total > 0 && p.Status is "Downloading" or "Pushing"
                ? $"{p.Status} {Size(p.Current)}/{Size(p.Total)}"
                : p.Status;
            if (p.Id.Length == 0)
            {
                output.WriteLine(text);
                _ids.Clear();
                output.Flush();
                return;
            }
            var row = _ids.IndexOf(p.Id);
            if (row < 0)
            {
                _ids.Add(p.Id);
                output.WriteLine($"{p.Id}: {text}");
            }
            else
            {
                var up = _ids.Count - row;
                // up to the layer's row, rewrite it, back down
                output.Write($"\x1b[{up}A\r\x1b[2K{p.Id}: {text}\r\x1b[{up}B");
            }
            output.Flush();
        }

        static string Size(long bytes) => bytes switch
        {
            >= 1 << 30 => $"{bytes / (double)(1 << 30):0.##}GB",
            >= 1 << 20 => $"{bytes / (double)(1 << 20):0.##}MB",
            >= 1 << 10 => $"{bytes / (double)(1 << 10):0.##}kB",
            _ => $"{bytes}B",
        };
    }
}
