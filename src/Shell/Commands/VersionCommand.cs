using Troupe.Api.Protocol;

namespace Troupe.Shell.Commands;

/// <summary><c>troupe version</c>: the client's version, and the node's when one answers. Always exit 0.</summary>
internal static class VersionCommand
{
    public static string ClientVersion => typeof(VersionCommand).Assembly.GetName().Version?.ToString(3) ?? "0.1.0";

    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, [Common.Help, Flag.Bool("client", "--client"), Flag.Value("output", "-o", "--output")]);
        if (Common.HelpWanted(ctx, a, "version [--client]")) return 0;
        if (a.Positionals.Count > 0) throw ShellException.Usage($"unexpected argument \"{a.Positionals[0]}\" for \"troupe version\"");
        ctx.Out.WriteLine($"Client: troupe {ClientVersion}");
        if (a.Has("client")) return 0;
        try
        {
            if (ctx.Client.Send(new Ping(), TimeSpan.FromSeconds(5)) is Pong p)
                ctx.Out.WriteLine($"Server: troupe-node {p.Version} (node {p.NodeName}, driver {p.Driver}, {p.Address})");
        }
        catch (ShellException) { /* no node: the client's version is the answer */ }
        return 0;
    }
}
