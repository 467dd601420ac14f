using Troupe.Api.Objects;
using Troupe.Api.Protocol;
using Troupe.Shell.Commands;

namespace Troupe.Shell.Repl;

/// <summary>
/// What Tab offers in <c>troupe shell</c>, from the words before the cursor:
/// <list type="bullet">
/// <item>the first word: a verb (or <c>help</c>, <c>exit</c>, <c>quit</c>, <c>clear</c>);</item>
/// <item>after <c>-n</c>/<c>--namespace</c>: the node's namespaces; after <c>-o</c>: the output formats; after
/// <c>-f</c>: files and folders;</item>
/// <item>after <c>get</c>/<c>describe</c>/<c>delete</c>/<c>scale</c>: a kind (plural or short name), then the names
/// of that kind's objects (in the line's <c>-n</c> namespace, or all with <c>-A</c>); <c>KIND/NA</c> completes
/// as <c>KIND/NAME</c>;</item>
/// <item>after <c>logs</c>/<c>exec</c>/<c>stop</c>/<c>kill</c>/<c>rm</c>: a pod's name;</item>
/// <item>after <c>rollout</c>/<c>set</c>: their subcommand, then <c>deployment/NAME</c>;</item>
/// <item>a word that starts with <c>-</c>: the verb's flags, from its own flag table.</item>
/// </list>
/// Object names come from the node (<see cref="GetObjects"/>) at each Tab; a node that does not answer offers
/// nothing. INTERNAL API.
/// </summary>
/// <param name="names">The names of a kind's objects: (kind, namespace, all namespaces) → names.</param>
/// <param name="workingDirectory">Where relative paths after <c>-f</c> start.</param>
internal sealed class Completer(Func<string, string, bool, IReadOnlyList<string>> names, string? workingDirectory = null)
{
    static readonly string[] Builtins = ["help", "exit", "quit", "clear"];
    static readonly string[] KindVerbs = ["get", "describe", "delete", "scale"];
    static readonly string[] PodVerbs = ["logs", "exec", "stop", "kill", "rm"];
    static readonly string[] Outputs = ["json", "yaml", "wide", "name", "jsonpath="];

    /// <summary>The verbs' own flag tables: which flags take the next word as their value, and what <c>-</c> completes to.</summary>
    static readonly Dictionary<string, Flag[]> VerbFlags = new(StringComparer.Ordinal)
    {
        ["apply"] = ApplyCommand.Flags, ["get"] = GetCommand.Flags, ["describe"] = DescribeCommand.Flags,
        ["delete"] = DeleteCommand.Flags, ["scale"] = ScaleCommand.Flags, ["logs"] = LogsCommand.Flags,
        ["exec"] = ExecCommand.Flags, ["rollout"] = RolloutCommand.Flags, ["set"] = SetCommand.Flags,
        ["wait"] = WaitCommand.Flags, ["run"] = RunCommand.Flags, ["ps"] = PsCommand.Flags, ["stop"] = StopCommand.Flags,
        ["kill"] = KillCommand.Flags, ["rm"] = RmCommand.Flags, ["images"] = ImagesCommand.Flags,
    };

    static Flag? FlagOf(string verb, string word) => VerbFlags.GetValueOrDefault(verb)?.FirstOrDefault(f => f.Names.Contains(word));

    /// <summary>A completer that asks the context's node for object names.</summary>
    public static Completer ForNode(ShellContext ctx) => new((kind, ns, all) =>
    {
        try
        {
            return ctx.Client.Send(new GetObjects(kind, all ? null : ns, null, null, all), TimeSpan.FromSeconds(3)) is ObjectList list
                ? list.Items.Select(o => o.Metadata.Name).ToList()
                : [];
        }
        catch (Exception e) when (e is ShellException or OperationCanceledException)
        {
            return []; // Tab never fails: no node, no names
        }
    });

    /// <summary>What the word before the end of <paramref name="line"/> may become.</summary>
    public Completion Complete(string line)
    {
        var scan = ShellWords.Read(line);
        var done = scan.InWord ? scan.Words.Take(scan.Words.Count - 1).ToList() : scan.Words.ToList();
        var word = scan.InWord ? scan.Words[^1] : "";
        var start = scan.InWord ? scan.Starts[^1] : line.Length;
        var candidates = Candidates(done, word)
            .Where(c => c.StartsWith(word, StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        return new Completion(start, word, candidates);
    }

    IEnumerable<string> Candidates(List<string> done, string word)
    {
        if (done.Count == 0) return Cli.Verbs.Concat(Builtins);
        var verb = done[0];
        var ns = "default";
        var all = false;
        var positionals = new List<string>();
        for (var i = 1; i < done.Count; i++)
        {
            var w = done[i];
            if (w == "--") break; // a command's words follow (exec POD -- CMD)
            if (w is "-A" or "--all-namespaces") all = true;
            else if (w.StartsWith("--namespace=", StringComparison.Ordinal)) ns = w["--namespace=".Length..];
            else if (FlagOf(verb, w) is { TakesValue: true, OptionalValue: false } flag)
            {
                if (i + 1 == done.Count) return FlagValues(flag, word);
                if (flag.Key == "namespace") ns = done[i + 1];
                i++;
            }
            else if (!w.StartsWith('-')) positionals.Add(w);
        }
        if (done.Contains("--")) return [];
        if (word.StartsWith('-'))
            return VerbFlags.GetValueOrDefault(verb)?.SelectMany(f => f.Names) ?? [];

        if (KindVerbs.Contains(verb))
        {
            if (word.Contains('/') || positionals.Count > 0 && positionals[0].Contains('/')) return KindSlashNames(word, ns, all);
            if (positionals.Count == 0) return Kinds.Spellings.SelectMany(k => new[] { k.Plural, k.Short });
            return Kinds.Resolve(positionals[0]) is { } kind ? names(kind, ns, all) : [];
        }
        if (PodVerbs.Contains(verb)) return positionals.Count == 0 ? names("Pod", ns, all) : [];
        return (verb, positionals.Count) switch
        {
            ("help", 0) => Cli.Verbs,
            ("rollout", 0) => ["status", "history", "undo", "restart"],
            ("set", 0) => ["image"],
            ("rollout" or "set", 1) or ("wait", _) => names("Deployment", ns, all).Select(n => "deployment/" + n),
            ("compose", 0) => ["config", "up", "down", "ps", "logs"],
            _ => [],
        };
    }

    /// <summary><c>deploy/we</c> → <c>deploy/web</c>, the kind spelt as typed.</summary>
    IEnumerable<string> KindSlashNames(string word, string ns, bool all)
    {
        var slash = word.IndexOf('/');
        if (slash <= 0 || Kinds.Resolve(word[..slash]) is not { } kind) return [];
        var prefix = word[..(slash + 1)];
        return names(kind, ns, all).Select(n => prefix + n);
    }

    IEnumerable<string> FlagValues(Flag flag, string word) => flag.Key switch
    {
        "namespace" => names("Namespace", "default", false),
        "output" => Outputs,
        "filename" => Files(word),
        _ => [],
    };

    /// <summary>The files and folders (with a <c>/</c>) that <paramref name="word"/> begins to name.</summary>
    IEnumerable<string> Files(string word)
    {
        var slash = word.LastIndexOf('/');
        var folder = slash >= 0 ? word[..(slash + 1)] : "";
        var where = Path.Combine(workingDirectory ?? Directory.GetCurrentDirectory(), folder.Length == 0 ? "." : folder);
        try
        {
            var hidden = word.Length > slash + 1 && word[slash + 1] == '.';
            return new DirectoryInfo(where).EnumerateFileSystemInfos()
                .Where(e => hidden || !e.Name.StartsWith('.'))
                .Select(e => folder + e.Name + (e is DirectoryInfo ? "/" : ""))
                .ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
