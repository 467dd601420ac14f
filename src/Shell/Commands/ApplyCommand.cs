using Troupe.Api.Manifests;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;

namespace Troupe.Shell.Commands;

/// <summary>
/// <c>troupe apply -f FILE|DIR|- [--dry-run[=client|server]] [-n NS] [--skip-unsupported]</c>: reads and validates
/// everything first (one bad object: nothing is sent), then sends <see cref="ApplyObjects"/> and prints kubectl's
/// line per object. A client dry run needs no node.
/// </summary>
internal static class ApplyCommand
{
    internal static readonly Flag[] Flags =
    [
        Common.Help, Common.Namespace, Flag.Many("filename", "-f", "--filename"), Flag.Optional("dry-run", "--dry-run"),
        Flag.Bool("skip-unsupported", "--skip-unsupported"), Flag.Value("output", "-o", "--output"),
        Flag.Bool("recursive", "-R", "--recursive"),
    ];

    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, Flags);
        if (Common.HelpWanted(ctx, a, "apply -f FILE|DIR|- [--dry-run[=client|server]] [-n NS] [--skip-unsupported]")) return 0;
        if (a.Positionals.Count > 0) throw ShellException.Usage($"unexpected argument \"{a.Positionals[0]}\" for \"troupe apply\" (use -f FILE)");
        var files = a.All("filename");
        if (files.Count == 0) throw ShellException.Usage("must specify one of -f and -k (troupe apply -f FILE|DIR|-)");
        var dryRun = a.Get("dry-run") switch
        {
            null or "none" => null,
            "" or "client" or "true" => "client",
            "server" => "server",
            var other => throw ShellException.Usage($"invalid dry-run value \"{other}\" (expected client or server)"),
        };
        var output = a.Get("output");
        if (output is not (null or "name")) throw ShellException.NotImplemented($"apply -o {output}");

        var set = Read(files, a.Has("skip-unsupported"), a.Get("namespace"));
        ManifestValidator.Validate(set);
        foreach (var w in set.Warnings) ctx.Warn(w.ToString());
        foreach (var s in set.Skipped) ctx.Warn($"skipped (not run by Troupe yet): {s}");
        if (set.Objects.IsEmpty)
        {
            if (set.Skipped.IsEmpty) throw ShellException.User("no objects passed to apply");
            return 0;
        }

        if (dryRun == "client")
        {
            foreach (var o in set.Objects) ctx.Out.WriteLine(Line(o.Kind, o.Metadata.Name, "created", output) + " (dry run)");
            return 0;
        }

        var applied = Common.Expect<ObjectsApplied>(ctx.Client.Send(new ApplyObjects(set.Objects, DryRun: dryRun == "server")));
        foreach (var r in applied.Results)
            ctx.Out.WriteLine(Line(r.Kind, r.Name, r.Action, output) + (dryRun == "server" ? " (server dry run)" : ""));
        foreach (var w in applied.Warnings ?? []) ctx.Warn(w);
        return 0;
    }

    /// <summary><c>deployment.apps/web created</c>, or with <c>-o name</c> just <c>deployment.apps/web</c>.</summary>
    public static string Line(string kind, string name, string action, string? output = null) =>
        output == "name" ? $"{Kinds.ResourceWord(kind)}/{name}" : $"{Kinds.ResourceWord(kind)}/{name} {action}";

    public static ManifestSet Read(IReadOnlyList<string> files, bool skipUnsupported, string? ns)
    {
        var set = ManifestSet.Empty;
        foreach (var f in files)
        {
            if (f != "-" && !File.Exists(f) && !Directory.Exists(f))
                throw ShellException.User($"the path \"{f}\" does not exist");
            set = set.Concat(f == "-" ? ManifestReader.ReadStdin(skipUnsupported, ns) : ManifestReader.ReadPath(f, skipUnsupported, ns));
        }
        return set;
    }
}
