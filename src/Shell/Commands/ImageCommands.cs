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
