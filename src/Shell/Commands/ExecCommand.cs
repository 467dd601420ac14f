using System.Collections.Immutable;
using System.Text;
using Troupe.Api.Protocol;
using Troupe.Shell.Repl;

namespace Troupe.Shell.Commands;

/// <summary>
/// <c>troupe exec [-i] [-t] [-c C] [-e K=V] [-w DIR] [-u USER] NAME CMD...</c> (docker's) and
/// <c>troupe exec POD [-c C] -- CMD...</c> (kubectl's): a process in a running container, its output as it comes,
/// its exit code as the command's. Flags end at the name, unless a <c>--</c> follows it: then the words between are
/// flags too. NAME is a pod name or a container ID prefix (as <c>ps</c> shows). With <c>-i</c> stdin is sent as it
/// is read; <c>-t</c> gives the process a terminal (with <c>-i</c> on a terminal, the local one is switched to raw
/// mode while it runs). Troupe's own failures exit 125, a missing container 1.
/// </summary>
internal static class ExecCommand
{
    internal static readonly Flag[] Flags =
    [
        Common.Help, Common.Namespace, Flag.Bool("interactive", "-i", "--interactive"), Flag.Bool("tty", "-t", "--tty"),
        Flag.Value("container", "-c", "--container"), Flag.Many("env", "-e", "--env"), Flag.Value("workdir", "-w", "--workdir"),
        Flag.Value("user", "-u", "--user"), Flag.Bool("detach", "-d", "--detach"), Flag.Bool("privileged", "--privileged"),
    ];

    const string Usage = "exec [-i] [-t] [-c CONTAINER] [-e K=V]... [-w DIR] [-u UID[:GID]] NAME CMD... | exec POD [-c C] -- CMD...";

    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var split = RunCommand.SplitAtImage(argv, Flags);
        var flags = argv.Take(split).ToList();
        if (split < argv.Count && argv[split] != "--")
        {
            // kubectl's form: exec POD -c C -- CMD (flags after the pod, the command after --)
            // (only when what follows the pod is a flag or the --: `exec box sh -c 'x' -- y` keeps its -- for sh)
            var dashes = argv.Skip(split + 1).ToList().IndexOf("--");
            if (dashes == 0 || dashes > 0 && argv[split + 1].StartsWith('-'))
            {
                flags.AddRange(argv.Skip(split + 1).Take(dashes));
                argv = [.. argv.Take(split + 1), .. argv.Skip(split + 2 + dashes)];
            }
        }
        var a = Args.Parse(flags.Where(f => f != "--").ToList(), 0, Flags);
        if (Common.HelpWanted(ctx, a, Usage)) return 0;
        if (a.Positionals.Count > 0) throw ShellException.Usage($"unexpected argument \"{a.Positionals[0]}\": troupe {Usage}");
        var nameAt = split < argv.Count && argv[split] == "--" ? split + 1 : split;
        if (nameAt >= argv.Count) throw ShellException.Usage($"\"troupe exec\" requires at least 2 arguments: troupe {Usage}");
        var name = argv[nameAt];
        var command = argv.Skip(nameAt + 1).ToImmutableArray();
        if (command.Length > 0 && command[0] == "--") command = command.RemoveAt(0);
        if (command.IsEmpty) throw ShellException.Usage($"\"troupe exec\" requires a command after the container: troupe {Usage}");
        if (a.Has("detach")) throw ShellException.Usage("exec -d is not supported yet");
        if (a.Has("privileged")) throw ShellException.Usage("exec --privileged is not supported: an exec has its container's privileges");
        var interactive = a.Has("interactive");
        var tty = a.Has("tty");
        if (interactive && tty && !ctx.StdinIsTerminal)
            throw ShellException.User("the input device is not a TTY");
        foreach (var e in a.All("env"))
            if (e.Length == 0 || e[0] == '=') throw ShellException.Usage($"invalid environment variable \"{e}\"");

        var ns = a.Get("namespace");
        var pod = ContainerRefs.Resolve(ctx, ns is null ? name : $"{ns}/{name}");
        var env = a.All("env").Select(e => e.Contains('=') ? e : ctx.Env(e) is { } v ? $"{e}={v}" : null).OfType<string>().ToImmutableArray();
        var request = new ExecInContainer(pod.Metadata.Namespace, pod.Metadata.Name, a.Get("container"), command, interactive, tty,
            env, a.Get("workdir"), a.Get("user"));

        using var raw = interactive && tty && ctx.StdinIsTerminal ? RawTerminal.Enter() : null;
        var outcome = ctx.Client.Exec(request, interactive ? ctx.Input : null, (stream, data) => Write(ctx, stream, data));
        ctx.Out.Flush();
        switch (outcome)
        {
            case ExecExited done: return done.ExitCode;
            case CommandRejected { Code: "NotFound" } r: throw ShellException.User(r.Reason);
            case CommandRejected r: throw new ShellException(RunCommand.TroupeFailed, r.Reason);
            default: throw new ShellException(RunCommand.TroupeFailed, $"the node answered {outcome.GetType().Name}, which the shell did not expect");
        }
    }

    static Stream? _stdout, _stderr;

    /// <summary>Bytes as they came to the real console; decoded text into a spec's writers.</summary>
    static void Write(ShellContext ctx, byte stream, ReadOnlySpan<byte> data)
    {
        if (ReferenceEquals(ctx.Out, Console.Out))
        {
            var target = stream == 2 ? _stderr ??= Console.OpenStandardError() : _stdout ??= Console.OpenStandardOutput();
            if (stream == 2) Console.Out.Flush();
            target.Write(data);
            target.Flush();
            return;
        }
        var writer = stream == 2 ? ctx.Err : ctx.Out;
        writer.Write(Encoding.UTF8.GetString(data));
    }
}
