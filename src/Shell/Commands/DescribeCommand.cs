using Troupe.Api.Objects;
using Troupe.Api.Protocol;
using Troupe.Shell.Rendering;

namespace Troupe.Shell.Commands;

/// <summary><c>troupe describe KIND [NAME...]</c>: kubectl's text for each object, with the events that name it.</summary>
internal static class DescribeCommand
{
    internal static readonly Flag[] Flags = [Common.Help, Common.Namespace, Flag.Value("selector", "-l", "--selector"), Flag.Bool("all-namespaces", "-A", "--all-namespaces")];

    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, Flags);
        if (Common.HelpWanted(ctx, a, "describe KIND NAME | KIND/NAME [-n NS]")) return 0;
        var (kind, names) = Common.KindAndNames(a.Positionals, "describe");
        var ns = Common.NamespaceOf(a);
        var all = a.Has("all-namespaces");
        var objects = new List<KubeObject>();
        if (names.Count == 0)
            objects.AddRange(Common.Expect<ObjectList>(ctx.Client.Send(new GetObjects(kind, all ? null : ns, null, a.Get("selector"), all))).Items);
        else
            foreach (var n in names)
                objects.AddRange(Common.Expect<ObjectList>(ctx.Client.Send(new GetObjects(kind, ns, n))).Items);
        if (objects.Count == 0)
        {
            ctx.Err.WriteLine(Common.NoResources(kind, ns, all));
            return 0;
        }
        IReadOnlyList<KubeObject> events = kind == "Event" ? [] :
            ctx.Client.Send(new GetObjects("Event", all ? null : ns, AllNamespaces: all)) is ObjectList list ? list.Items : [];
        for (var i = 0; i < objects.Count; i++)
        {
            if (i > 0) ctx.Out.WriteLine();
            ctx.Out.Write(Describer.Describe(objects[i], Describer.EventsFor(objects[i], events), ctx.Now));
        }
        return 0;
    }
}
