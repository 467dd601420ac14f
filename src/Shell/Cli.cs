using Troupe.Api.Manifests;
using Troupe.Shell.Commands;

namespace Troupe.Shell;

/// <summary>
/// The <c>troupe</c> command line: finds the verb, runs its command, turns failures into one line on stderr and
/// the contract's exit code (0 ok, 1 user error, 2 usage error, 3 no cluster reachable).
/// </summary>
public static class Cli
{
    delegate int Command(ShellContext ctx, IReadOnlyList<string> args);

    /// <summary>Verb → command (<c>shell</c> runs the others, line by line).</summary>
    static readonly Dictionary<string, Command> Commands = new(StringComparer.Ordinal)
    {
        ["version"] = VersionCommand.Run,
        ["up"] = UpCommand.Run,
        ["down"] = DownCommand.Run,
        ["node"] = (c, a) => NodeCommand.Run(c, "node", a),
        ["lighthouse"] = (c, a) => NodeCommand.Run(c, "lighthouse", a),
        ["apply"] = ApplyCommand.Run,
        ["get"] = GetCommand.Run,
        ["describe"] = DescribeCommand.Run,
        ["delete"] = DeleteCommand.Run,
        ["scale"] = ScaleCommand.Run,
        ["logs"] = LogsCommand.Run,
        ["images"] = ImagesCommand.Run,
        ["load"] = LoadCommand.Run,
        ["build"] = BuildCommand.Run,
        ["tag"] = TagCommand.Run,
        ["rmi"] = RmiCommand.Run,
        ["save"] = SaveCommand.Run,
        ["import"] = ImportCommand.Run,
        ["run"] = RunCommand.Run,
        ["ps"] = PsCommand.Run,
        ["stop"] = StopCommand.Run,
        ["kill"] = KillCommand.Run,
        ["rm"] = RmCommand.Run,
        ["exec"] = ExecCommand.Run,
        ["pull"] = TransferCommands.Pull,
        ["push"] = TransferCommands.Push,
        ["wait"] = WaitCommand.Run,
        ["set"] = SetCommand.Run,
        ["rollout"] = RolloutCommand.Run,
        ["compose"] = ComposeCommand.Run,
        ["shell"] = Repl.ReplCommand.Run,
    };

    static Command? Find(string verb) => Commands.GetValueOrDefault(verb);

    /// <summary>Every verb, sorted (what Tab completes first in <c>troupe shell</c>).</summary>
    internal static IEnumerable<string> Verbs => Commands.Keys.Order(StringComparer.Ordinal);

    /// <summary>Verbs in the contract that later issues implement: they exit 1 saying so.</summary>
    static readonly string[] Planned =
    [
        "chaos",
    ];

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?>? environment = null) =>
        Run(args, new ShellContext(stdout, stderr, environment));

    public static int Run(IReadOnlyList<string> argv, ShellContext ctx)
    {
        try
        {
            var args = TakeGlobalFlags(argv, ctx);
            if (args.Count == 0 || args[0] is "help" or "--help" or "-h")
            {
                if (args.Count > 1 && args[0] == "help" && Find(args[1]) is not null) return Run([args[1], "--help"], ctx);
                ctx.Out.Write(Usage);
                return ExitCodes.Ok;
            }
            if (args[0] is "--version" or "-v") return VersionCommand.Run(ctx, []);
            var verb = args[0];
            if (Find(verb) is { } command) return command(ctx, args.Skip(1).ToList());
            if (Planned.Contains(verb)) throw ShellException.NotImplemented(verb);
            if (verb.StartsWith('-')) throw ShellException.Usage($"unknown flag: {verb}");
            throw ShellException.Usage($"unknown command \"{verb}\" for \"troupe\" (see troupe help)");
        }
        catch (ShellException e)
        {
            return Fail(ctx, e.ExitCode, e.Message);
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C in troupe shell: the user stopped it, there is nothing to report
            return ExitCodes.Interrupted;
        }
        catch (ManifestException e)
        {
            var more = e.Problems.Length > 1 ? $" (and {e.Problems.Length - 1} more problem{(e.Problems.Length > 2 ? "s" : "")})" : "";
            return Fail(ctx, ExitCodes.UserError, e.Problems[0] + more);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(ctx, ExitCodes.UserError, e.Message);
        }
        catch (Exception e)
        {
            return Fail(ctx, ExitCodes.UserError, $"{e.GetType().Name.Replace("Exception", "")}: {e.Message}");
        }
        finally
        {
            ctx.Out.Flush();
            ctx.Err.Flush();
        }
    }

    internal static int Fail(ShellContext ctx, int code, string message)
    {
        ctx.Out.Flush();
        ctx.Err.WriteLine("error: " + message.ReplaceLineEndings(" ").Trim());
        return code;
    }

    /// <summary>Takes <c>--cluster</c> from anywhere before <c>--</c>.</summary>
    static List<string> TakeGlobalFlags(IReadOnlyList<string> argv, ShellContext ctx)
    {
        var rest = new List<string>(argv.Count);
        for (var i = 0; i < argv.Count; i++)
        {
            var a = argv[i];
            if (a == "--")
            {
                for (; i < argv.Count; i++) rest.Add(argv[i]);
                break;
            }
            if (a == "--cluster")
            {
                if (i + 1 >= argv.Count) throw ShellException.Usage("flag needs an argument: --cluster");
                ctx.Cluster = argv[++i];
            }
            else if (a.StartsWith("--cluster=", StringComparison.Ordinal)) ctx.Cluster = a["--cluster=".Length..];
            else rest.Add(a);
        }
        return rest;
    }

    public const string Usage = """
        troupe: an actor-model container orchestrator (docker, compose and kubectl verbs)

        Cluster:
          up [--driver runc|process|fake]   start the local node in the background
          down                              stop the local node and its containers
          node [--name N] [--port P] [--seed host:port]... [--cluster-name C] ...   run a node in the foreground
          lighthouse [--port 4053] [--cluster-name C]   run a seed-only node
                                            (the cluster's name: --cluster-name, else ACTORSYSTEM, else troupe)
          version                           client and node versions
          shell [--cluster host:port,...]   interactive: these verbs without "troupe", history, Tab completion
                                            of verbs, kinds and names; get -w redraws in place; lines from a pipe run too

        Objects:
          apply -f FILE|DIR|- [--dry-run[=client|server]] [-n NS] [--skip-unsupported]
          get KIND [NAME] [-o json|yaml|wide|name|jsonpath=...] [-l SEL] [-n NS] [-A] [-w]
          describe KIND NAME
          delete KIND NAME | KIND/NAME | -f FILE
          scale deployment NAME --replicas N
          set image deployment/NAME CONTAINER=IMAGE...   a rolling update to new images
          rollout status|history|undo|restart deployment/NAME [--to-revision N] [--timeout D]
          wait --for=condition=Available deployment/NAME [--timeout 60s]
          logs POD [-c CONTAINER] [-f] [--previous] [--tail N]
          exec POD [-c CONTAINER] -- CMD...   a process in a running container

        Images:
          images [-q] [-o json]             list the node's images
          build -t NAME:TAG [-f F] [--build-arg K=V] [--target S] [--no-cache] DIR
          build --check [-f Dockerfile] DIR  parse only: one JSON line per instruction
          tag SRC DST | rmi [-f] IMAGE...   name an image again | remove names (refused while a pod uses it)
          save IMAGE -o FILE.tar            write an OCI image layout tarball
          load -i FILE.tar                  load an OCI image layout tarball
          import ROOTFS.tar NAME:TAG        a root filesystem tarball as a one-layer image
          pull [-q] IMAGE | push IMAGE      from / to a registry (OCI distribution API; localhost is plain HTTP)

        Containers (standalone pods on the local node):
          run [-d] [--rm] [--init] [--name N] [-e K=V]... [-m 64m] [--cpus 0.5] [--pids-limit N]
              [-u UID[:GID]] [-w DIR] [--entrypoint E] [--restart no|always|on-failure] IMAGE [CMD...]
          ps [-a] [-q]                      list containers (pods), docker's columns
          stop [-t SECS] NAME... | kill [-s SIG] NAME... | rm [-f] NAME...
          logs [-f] NAME                    as for pods
          exec [-i] [-t] [-e K=V] [-w D] [-u U] NAME CMD... | exec POD [-c C] -- CMD...

        Compose:
          compose [-f FILE] [-p NAME] [--profile P] config   validate and print the normalised file

        Kinds: deployments (deploy), replicasets (rs), pods (po), services (svc), endpoints (ep),
               configmaps (cm), namespaces (ns), nodes (no), events (ev)
        Global: --cluster host:port[,host:port] (or TROUPE_CLUSTER); TROUPE_HOME (default ~/.troupe)
        Exit codes: 0 ok, 1 error, 2 usage error, 3 no node reachable

        """;
}
