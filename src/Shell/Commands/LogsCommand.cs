using System.Text;

namespace Troupe.Shell.Commands;

/// <summary>
/// <c>troupe logs POD [-c C] [-f] [--previous|-p] [--tail N] [-n NS]</c>: <c>GET /v1/logs</c>, printed as it streams.
/// </summary>
internal static class LogsCommand
{
    static readonly Flag[] Flags =
    [
        Common.Help, Common.Namespace, Flag.Value("container", "-c", "--container"), Flag.Bool("follow", "-f", "--follow"),
        Flag.Bool("previous", "-p", "--previous"), Flag.Value("tail", "--tail"), Flag.Value("selector", "-l", "--selector"),
    ];

    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, Flags);
        if (Common.HelpWanted(ctx, a, "logs POD [-c CONTAINER] [-f] [--previous] [--tail N] [-n NS]")) return 0;
        if (a.Has("selector")) throw ShellException.NotImplemented("logs -l");
        if (a.Positionals.Count == 0) throw ShellException.Usage("expected a pod name (troupe logs POD)");
        if (a.Positionals.Count > 2) throw ShellException.Usage("expected POD [CONTAINER]");
        var pod = a.Positionals[0];
        if (pod.IndexOf('/') is var slash and > 0)
        {
            if (Troupe.Api.Objects.Kinds.Resolve(pod[..slash]) != "Pod") throw ShellException.User($"logs of {pod[..slash]} are not supported by Troupe yet (name a pod)");
            pod = pod[(slash + 1)..];
        }
        var container = a.Get("container") ?? (a.Positionals.Count == 2 ? a.Positionals[1] : null);
        var tail = a.Int("tail", "--tail");

        var q = new StringBuilder("/v1/logs?namespace=").Append(Uri.EscapeDataString(Common.NamespaceOf(a)))
            .Append("&pod=").Append(Uri.EscapeDataString(pod));
        if (container is not null) q.Append("&container=").Append(Uri.EscapeDataString(container));
        if (a.Has("previous")) q.Append("&previous=true");
        if (tail is >= 0) q.Append("&tail=").Append(tail.Value);
        if (a.Has("follow")) q.Append("&follow=true");

        var (status, error) = ctx.Client.Stream(q.ToString(), ctx.Out);
        if (status != 200) throw ShellException.User(error is { Length: > 0 } ? error : $"the node answered HTTP {status}");
        return 0;
    }
}
