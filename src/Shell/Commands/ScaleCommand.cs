using Troupe.Api.Protocol;

namespace Troupe.Shell.Commands;

/// <summary><c>troupe scale deployment NAME --replicas N</c> (also <c>deployment/NAME</c>): sends <see cref="ScaleDeployment"/>.</summary>
internal static class ScaleCommand
{
    internal static readonly Flag[] Flags = [Common.Help, Common.Namespace, Flag.Value("replicas", "--replicas")];

    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, Flags);
        if (Common.HelpWanted(ctx, a, "scale deployment NAME --replicas N")) return 0;
        var (kind, names) = Common.KindAndNames(a.Positionals, "scale");
        if (!a.Has("replicas")) throw ShellException.Usage("required flag(s) \"replicas\" not set");
        var replicas = a.Int("replicas", "--replicas")!.Value;
        if (replicas < 0) throw ShellException.User($"--replicas must be 0 or more, got {replicas}");
        if (kind != "Deployment") throw ShellException.User($"scaling {kind} objects is not supported by Troupe yet (only deployments)");
        if (names.Count == 0) throw ShellException.Usage("resource(s) were provided, but no name was specified (troupe scale deployment NAME --replicas N)");
        foreach (var name in names)
        {
            Common.Expect<CommandAccepted>(ctx.Client.Send(new ScaleDeployment(Common.NamespaceOf(a), name, replicas)));
            ctx.Out.WriteLine($"deployment.apps/{name} scaled");
        }
        return 0;
    }
}
