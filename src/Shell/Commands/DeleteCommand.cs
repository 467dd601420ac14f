using Troupe.Api.Objects;
using Troupe.Api.Protocol;

namespace Troupe.Shell.Commands;

/// <summary>
/// <c>troupe delete KIND NAME... | KIND/NAME... | -f FILE</c>: sends <see cref="DeleteObject"/> per object, prints
/// <c>deployment.apps "web" deleted</c>. A missing object is <c>error: ... not found</c>, exit 1 (after the others).
/// </summary>
internal static class DeleteCommand
{
    internal static readonly Flag[] Flags =
    [
        Common.Help, Common.Namespace, Flag.Many("filename", "-f", "--filename"), Flag.Bool("ignore-not-found", "--ignore-not-found"),
        Flag.Bool("skip-unsupported", "--skip-unsupported"), Flag.Value("grace-period", "--grace-period"), Flag.Bool("now", "--now"),
        Flag.Bool("force", "--force"), Flag.Bool("wait", "--wait"),
    ];

    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, Flags);
        if (Common.HelpWanted(ctx, a, "delete KIND NAME | KIND/NAME | -f FILE [-n NS]")) return 0;
        var targets = new List<(string Kind, string Namespace, string Name)>();
        if (a.All("filename") is { Count: > 0 } files)
        {
            if (a.Positionals.Count > 0) throw ShellException.Usage("delete takes either -f FILE or KIND NAME, not both");
            var set = ApplyCommand.Read(files, skipUnsupported: true, a.Get("namespace"));
            targets.AddRange(set.Objects.Select(o => (o.Kind, o.Metadata.Namespace, o.Metadata.Name)));
            if (targets.Count == 0) throw ShellException.User("no objects passed to delete");
        }
        else
        {
            var (kind, names) = Common.KindAndNames(a.Positionals, "delete");
            if (names.Count == 0) throw ShellException.Usage($"resource(s) were provided, but no name was specified (troupe delete {a.Positionals[0]} NAME)");
            targets.AddRange(names.Select(n => (kind, Common.NamespaceOf(a), n)));
        }

        string? firstError = null;
        foreach (var (kind, ns, name) in targets)
        {
            var reply = ctx.Client.Send(new DeleteObject(kind, ns, name));
            switch (reply)
            {
                case CommandAccepted:
                    ctx.Out.WriteLine($"{Kinds.ResourceWord(kind)} \"{name}\" deleted");
                    break;
                case CommandRejected { Code: "NotFound" } when a.Has("ignore-not-found"):
                    break;
                case CommandRejected r:
                    if (firstError is null) firstError = r.Reason;
                    else ctx.Err.WriteLine("error: " + r.Reason);
                    break;
                default:
                    throw ShellException.User($"the node answered {reply.GetType().Name}, which the shell did not expect");
            }
        }
        if (firstError is not null) throw ShellException.User(firstError);
        return 0;
    }
}
