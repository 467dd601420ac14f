using System.Globalization;
using System.Text.RegularExpressions;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;

namespace Troupe.Shell.Commands;

/// <summary>
/// <c>troupe wait --for=condition=COND[=VALUE] | --for=delete KIND/NAME... [--timeout 30s]</c>, as kubectl wait:
/// polls the objects until each has the condition (<c>Available</c>, <c>Progressing</c> of a Deployment; <c>Ready</c>,
/// <c>ContainersReady</c>, <c>PodScheduled</c> of a Pod) or is gone, printing <c>deployment.apps/web condition met</c>;
/// exit 1 on timeout (<c>error: timed out waiting for the condition on deployments/web</c>).
/// </summary>
internal static partial class WaitCommand
{
    internal static readonly Flag[] Flags = [Common.Help, Common.Namespace, Flag.Value("for", "--for"), Flag.Value("timeout", "--timeout"), Flag.Value("selector", "-l", "--selector")];

    const string Usage = "wait --for=condition=Available deployment/NAME [--timeout 60s]";

    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, Flags);
        if (Common.HelpWanted(ctx, a, Usage)) return 0;
        var what = a.Get("for") ?? throw ShellException.Usage($"--for must be given: troupe {Usage}");
        string? condition = null, wanted = "True";
        var delete = what == "delete";
        if (!delete)
        {
            var m = ForRule().Match(what);
            if (!m.Success) throw ShellException.Usage($"unrecognized condition: \"{what}\" (want condition=NAME[=VALUE] or delete)");
            condition = m.Groups[1].Value;
            if (m.Groups[2].Success) wanted = m.Groups[2].Value;
        }
        var timeout = Timeout(a.Get("timeout") ?? "30s");
        var (kind, names) = Common.KindAndNames(a.Positionals, "wait");
        var ns = Common.NamespaceOf(a);
        if (names.Count == 0 && a.Get("selector") is { } sel)
            names = (ctx.Client.Send(new GetObjects(kind, ns, LabelSelector: sel)) as ObjectList)?.Items.Select(o => o.Metadata.Name).ToList() ?? [];
        if (names.Count == 0) throw ShellException.Usage($"resource(s) were provided, but no name was specified: troupe {Usage}");
        var deadline = DateTime.UtcNow + timeout;
        foreach (var name in names)
        {
            while (true)
            {
                var reply = ctx.Client.Send(new GetObjects(kind, ns, name));
                if (delete)
                {
                    if (reply is CommandRejected { Code: "NotFound" }) { ctx.Out.WriteLine($"{Kinds.ResourceWord(kind)}/{name} condition met"); break; }
                }
                else if (reply is ObjectList { Items: [var o, ..] } && Condition(o, condition!) is { } status
                         && string.Equals(status, wanted, StringComparison.OrdinalIgnoreCase))
                {
                    ctx.Out.WriteLine($"{Kinds.ResourceWord(kind)}/{name} condition met");
                    break;
                }
                else if (reply is CommandRejected { Code: not "NotFound" } r) throw ShellException.User(r.Reason);
                if (DateTime.UtcNow >= deadline)
                    throw ShellException.User(reply is CommandRejected { Code: "NotFound" } && !delete
                        ? $"{Plural(kind)} \"{name}\" not found"
                        : $"timed out waiting for the condition on {Plural(kind)}/{name}");
                ctx.Pause(TimeSpan.FromMilliseconds(100));
            }
        }
        return 0;
    }

    /// <summary>The status of condition <paramref name="type"/> on the object (case-insensitive), or null.</summary>
    static string? Condition(KubeObject o, string type)
    {
        var conditions = o switch
        {
            Deployment d => d.Status?.Conditions.Select(c => (c.Type, c.Status)),
            Pod p => p.Status?.Conditions.Select(c => (c.Type, c.Status)),
            _ => null,
        };
        return conditions?.FirstOrDefault(c => c.Type.Equals(type, StringComparison.OrdinalIgnoreCase)).Status;
    }

    static string Plural(string kind)
    {
        var word = Kinds.ResourceWord(kind);
        var dot = word.IndexOf('.');
        return dot < 0 ? word + "s" : word[..dot] + "s";
    }

    /// <summary>kubectl's durations: <c>60s</c>, <c>5m</c>, <c>1h</c>, <c>1m30s</c>; a bare number is seconds.</summary>
    internal static TimeSpan Timeout(string v)
    {
        if (int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var secs)) return TimeSpan.FromSeconds(secs);
        var m = DurationRule().Match(v);
        if (!m.Success || v.Length == 0) throw ShellException.Usage($"invalid argument \"{v}\" for \"--timeout\" flag: want a duration such as 60s or 5m");
        double Part(int g) => m.Groups[g].Success ? double.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture) : 0;
        return TimeSpan.FromHours(Part(1)) + TimeSpan.FromMinutes(Part(2)) + TimeSpan.FromSeconds(Part(3)) + TimeSpan.FromMilliseconds(Part(4));
    }

    [GeneratedRegex("^condition=([A-Za-z]+)(?:=(.+))?$")]
    private static partial Regex ForRule();

    [GeneratedRegex(@"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$")]
    private static partial Regex DurationRule();
}
