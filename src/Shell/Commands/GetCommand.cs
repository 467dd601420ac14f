using Troupe.Api.Objects;
using Troupe.Api.Protocol;
using Troupe.Shell.Rendering;

namespace Troupe.Shell.Commands;

/// <summary>
/// <c>troupe get KIND [NAME...] [-o json|yaml|wide|name|jsonpath=...] [-l SEL] [-n NS] [-A]</c>: sends
/// <see cref="GetObjects"/> and prints kubectl's table or the asked-for format.
/// </summary>
internal static class GetCommand
{
    internal static readonly Flag[] Flags =
    [
        Common.Help, Common.Namespace, Flag.Value("output", "-o", "--output"), Flag.Value("selector", "-l", "--selector"),
        Flag.Bool("all-namespaces", "-A", "--all-namespaces"), Flag.Bool("watch", "-w", "--watch"),
        Flag.Bool("no-headers", "--no-headers"), Flag.Bool("show-labels", "--show-labels"),
    ];

    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, Flags);
        if (Common.HelpWanted(ctx, a, "get KIND [NAME] [-o json|yaml|wide|name|jsonpath=...] [-l SEL] [-n NS] [-A] [-w]")) return 0;
        var format = OutputFormat.Parse(a.Get("output"));
        var (kind, names) = Common.KindAndNames(a.Positionals, "get");
        var all = a.Has("all-namespaces");
        var ns = Common.NamespaceOf(a);
        var selector = a.Get("selector");

        var items = Fetch(ctx, kind, names, ns, all, selector, strict: true);
        string? nodeVersion = null;
        if (kind == "Node" && format.IsTable && items.Count > 0 && ctx.Client.Send(new Ping(), TimeSpan.FromSeconds(5)) is Pong pong)
            nodeVersion = pong.Version;
        var watch = a.Has("watch");
        if (watch && format.IsTable && ctx.InShell && ctx.IsTerminal)
            return WatchInPlace(ctx, format, kind, names, items, ns, all, selector, a.Has("no-headers"), nodeVersion);
        var code = Print(ctx, format, kind, items, single: names.Count == 1, ns, all, a.Has("no-headers"), nodeVersion);
        if (!watch) return code;
        ctx.Out.Flush(); // the first listing shows before the first change does
        return Watch(ctx, format, kind, names, items, ns, all, selector, nodeVersion);
    }

    /// <summary>
    /// The objects asked for: all of the kind (in the namespace, or all of them), or the named ones. Strict: a
    /// rejection is the command's error; else (a watch's later looks) it is skipped.
    /// </summary>
    static List<KubeObject> Fetch(ShellContext ctx, string kind, List<string> names, string ns, bool all, string? selector, bool strict)
    {
        var items = new List<KubeObject>();
        IEnumerable<GetObjects> queries = names.Count == 0
            ? [new GetObjects(kind, all ? null : ns, null, selector, all)]
            : names.Select(name => new GetObjects(kind, ns, name, selector));
        foreach (var query in queries)
        {
            var reply = ctx.Client.Send(query);
            if (strict) items.AddRange(Common.Expect<ObjectList>(reply).Items);
            else if (reply is ObjectList l) items.AddRange(l.Items);
        }
        return items;
    }

    /// <summary>How often a watch looks at the Catalog again.</summary>
    static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// <c>get -w</c>, as kubectl: after the first listing, one more line (or object) each time one of them changes or
    /// a new one appears, until Ctrl-C. The Catalog is read a few times a second; an object's resourceVersion says
    /// whether it changed.
    /// </summary>
    static int Watch(ShellContext ctx, OutputFormat format, string kind, List<string> names, List<KubeObject> first, string ns, bool all,
        string? selector, string? nodeVersion)
    {
        var seen = first.ToDictionary(Key, o => o.Metadata.ResourceVersion);
        while (true)
        {
            ctx.Pause(WatchInterval);
            var now = Fetch(ctx, kind, names, ns, all, selector, strict: false);
            var changed = now.Where(o => !seen.TryGetValue(Key(o), out var rv) || rv != o.Metadata.ResourceVersion).ToList();
            foreach (var o in now) seen[Key(o)] = o.Metadata.ResourceVersion;
            if (changed.Count == 0) continue;
            if (format.IsTable)
                ObjectTables.Render(kind, changed, ctx.Now, format.Wide, all, nodeVersion).WriteTo(ctx.Out, withHeaders: false);
            else
                foreach (var o in changed) ObjectOutput.Write(ctx.Out, format, [o], single: true);
            ctx.Out.Flush();
        }
    }

    /// <summary>
    /// <c>get -w</c> in <c>troupe shell</c> on a terminal: the whole table, drawn again in place whenever it reads
    /// differently (a status, a new or a gone row, an age), until Ctrl-C returns to the prompt.
    /// </summary>
    static int WatchInPlace(ShellContext ctx, OutputFormat format, string kind, List<string> names, List<KubeObject> items, string ns,
        bool all, string? selector, bool noHeaders, string? nodeVersion)
    {
        var view = new WatchView();
        string? shown = null;
        while (true)
        {
            var table = new StringWriter();
            if (items.Count == 0) table.WriteLine(Common.NoResources(kind, ns, all));
            else ObjectTables.Render(kind, items, ctx.Now, format.Wide, all, nodeVersion).WriteTo(table, withHeaders: !noHeaders);
            var text = table.ToString();
            if (text != shown)
            {
                var (columns, rows) = Repl.Tty.Size();
                ctx.Out.Write(view.Frame(text, columns, rows));
                ctx.Out.Flush();
                shown = text;
            }
            ctx.Pause(WatchInterval);
            items = Fetch(ctx, kind, names, ns, all, selector, strict: false);
        }
    }

    static string Key(KubeObject o) => $"{o.Metadata.Namespace}/{o.Metadata.Name}";

    /// <summary>Prints what <c>get</c> found; an empty list says <c>No resources found</c> on stderr and exits 0.</summary>
    public static int Print(ShellContext ctx, OutputFormat format, string kind, IReadOnlyList<KubeObject> items, bool single,
        string ns, bool all, bool noHeaders = false, string? nodeVersion = null)
    {
        if (items.Count == 0 && !single)
        {
            if (!format.IsTable && format.Kind != "name") ObjectOutput.Write(ctx.Out, format, items, single: false);
            ctx.Err.WriteLine(Common.NoResources(kind, ns, all));
            return 0;
        }
        if (format.IsTable)
            ObjectTables.Render(kind, items, ctx.Now, format.Wide, all, nodeVersion).WriteTo(ctx.Out, withHeaders: !noHeaders);
        else
            ObjectOutput.Write(ctx.Out, format, items, single);
        return 0;
    }
}
