using Troupe.Api.Protocol;
using Troupe.Shell.Connection;

namespace Troupe.Shell.Commands;

/// <summary>
/// <c>troupe down</c>: asks the local node to shut down (<see cref="ShutdownNode"/>; its containers stop with their
/// grace periods) and waits until its process is gone. No local node: nothing to stop, exit 0 (the harness and
/// <c>docker compose down</c> agree); an unreachable <c>--cluster</c>: exit 3.
/// </summary>
internal static class DownCommand
{
    static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(120);

    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, [Common.Help]);
        if (Common.HelpWanted(ctx, a, "down")) return 0;
        if (a.Positionals.Count > 0) throw ShellException.Usage($"unexpected argument \"{a.Positionals[0]}\" for \"troupe down\"");

        var local = ctx.Cluster is null && ctx.Env("TROUPE_CLUSTER") is not { Length: > 0 };
        var node = local ? NodeFile.Read(ctx.Home) : null;
        try
        {
            Common.Expect<CommandAccepted>(ctx.Client.Send(new ShutdownNode(), TimeSpan.FromSeconds(30)));
        }
        catch (NoNodeException) when (local && (node is null || !Processes.IsAlive(node.Pid)))
        {
            // as `docker compose down`: stopping what is not running is done already (a remote cluster that cannot
            // be reached is still exit 3)
            ctx.Err.WriteLine($"No Troupe node is running for TROUPE_HOME={ctx.Home}: nothing to stop");
            return 0;
        }
        if (node is not null)
        {
            var deadline = DateTime.UtcNow + StopTimeout;
            while (Processes.IsAlive(node.Pid))
            {
                if (DateTime.UtcNow > deadline)
                    throw ShellException.User($"the Troupe node (pid {node.Pid}) did not stop within {StopTimeout.TotalSeconds:0} s");
                Thread.Sleep(50);
            }
        }
        ctx.Out.WriteLine("Troupe node stopped");
        return 0;
    }
}
