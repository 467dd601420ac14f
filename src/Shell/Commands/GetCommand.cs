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
    static readonly Flag[] Flags =
    [
        Common.Help, Common.Namespace, Flag.Value("output", "-o", "--output"), Flag.Value("selector", "-l", "--selector"),
        Flag.Bool("all-namespaces", "-A", "--all-namespaces"), Flag.Bool("watch", "-w", "--watch"),
        Flag.Bool("no-headers", "--no-headers"), Flag.Bool("show-labels", "--show-labels"),
    ];

    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, Flags);
        if (Common.HelpWanted(ctx, a, "get KIND [NAME] [-o json|yaml|wide|name|jsonpath=...] [-l SEL] [-n NS] [-A]")) return 0;
        var format = OutputFormat.Parse(a.Get("output"));
        var (kind, names) = Common.KindAndNames(a.Positionals, "get");
        var all = a.Has("all-namespaces");
        var ns = Common.NamespaceOf(a);
        var selector = a.Get("selector");

        var items = new List<KubeObject>();
        if (names.Count == 0)
            items.AddRange(Common.Expect<ObjectList>(ctx.Client.Send(new GetObjects(kind, all ? null : ns, null, selector, all))).Items);
        else
            foreach (var name in names)
                items.AddRange(Common.Expect<ObjectList>(ctx.Client.Send(new GetObjects(kind, ns, name, selector))).Items);

        string? nodeVersion = null;
        if (kind == "Node" && format.IsTable && items.Count > 0 && ctx.Client.Send(new Ping(), TimeSpan.FromSeconds(5)) is Pong pong)
            nodeVersion = pong.Version;
        var code = Print(ctx, format, kind, items, single: names.Count == 1, ns, all, a.Has("no-headers"), nodeVersion);
        if (!a.Has("watch")) return code;
        return Watch(ctx, format, kind, names, items, ns, all, selector, nodeVersion);
    }

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
            Thread.Sleep(300);
            var now = new List<KubeObject>();
            if (names.Count == 0)
            {
                if (ctx.Client.Send(new GetObjects(kind, all ? null : ns, null, selector, all)) is ObjectList l) now.AddRange(l.Items);
            }
            else
                foreach (var name in names)
                    if (ctx.Client.Send(new GetObjects(kind, ns, name, selector)) is ObjectList l) now.AddRange(l.Items);
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
