using System.Collections.Immutable;

namespace Troupe.Actors.Hosting;

/// <summary>
/// The node host program's command line, as <c>troupe up</c>, <c>troupe node</c> and <c>troupe lighthouse</c> pass it:
/// <c>troupe-node up|node|lighthouse [--name N] [--cluster-name C] [--port P] [--api-port A] [--seed host:port]... [--roles r,..]
/// [--driver D] [--config F.hocon]</c>.
/// </summary>
public sealed record NodeOptions
{
    /// <summary><c>up</c> (embedded single node, joins itself), <c>node</c> or <c>lighthouse</c>.</summary>
    public string Mode { get; init; } = "up";
    public string? Name { get; init; }
    /// <summary>
    /// <c>--cluster-name C</c>: the ActorSystem's name, which every member of one cluster shares (else <c>ACTORSYSTEM</c>,
    /// else <c>troupe</c>; see <see cref="ConfigLoader.ClusterName"/>). Checked when the node starts, not here.
    /// </summary>
    public string? ClusterName { get; init; }
    public int? Port { get; init; }
    public int? ApiPort { get; init; }
    public ImmutableArray<string> Seeds { get; init; } = ImmutableArray<string>.Empty;
    public ImmutableArray<string> Roles { get; init; } = ImmutableArray<string>.Empty;
    public string? Driver { get; init; }
    public ImmutableArray<string> ConfigFiles { get; init; } = ImmutableArray<string>.Empty;
    /// <summary><c>--label K=V</c> (repeatable): the node's labels, matched by pods' <c>nodeSelector</c>.</summary>
    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    /// <summary><c>--taint K[=V]:Effect</c> (repeatable): pods without a matching toleration are not placed on the node.</summary>
    public ImmutableArray<Troupe.Api.Objects.Taint> Taints { get; init; } = ImmutableArray<Troupe.Api.Objects.Taint>.Empty;

    /// <summary>Parses the arguments; throws <see cref="ArgumentException"/> with one line for the user.</summary>
    public static NodeOptions Parse(IReadOnlyList<string> args)
    {
        var o = new NodeOptions();
        var i = 0;
        if (args.Count > 0 && !args[0].StartsWith('-'))
        {
            o = o with { Mode = args[0] };
            i = 1;
        }
        if (o.Mode is not ("up" or "node" or "lighthouse"))
            throw new ArgumentException($"unknown mode \"{o.Mode}\" (expected up, node or lighthouse)");
        for (; i < args.Count; i++)
        {
            var arg = args[i];
            string? inline = null;
            var eq = arg.IndexOf('=');
            if (arg.StartsWith("--") && eq > 0) { inline = arg[(eq + 1)..]; arg = arg[..eq]; }
            string Value() => inline ?? (i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{arg} needs a value"));
            o = arg switch
            {
                "--name" => o with { Name = Value() },
                "--cluster-name" => o with { ClusterName = Value() },
                "--port" => o with { Port = PortOf(arg, Value()) },
                "--api-port" => o with { ApiPort = PortOf(arg, Value()) },
                "--seed" => o with { Seeds = o.Seeds.Add(Value()) },
                "--roles" => o with { Roles = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)] },
                "--driver" => o with { Driver = Value() },
                "--config" => o with { ConfigFiles = o.ConfigFiles.Add(Value()) },
                "--label" => o with { Labels = LabelOf(Value(), o.Labels) },
                "--taint" => o with
                {
                    Taints = o.Taints.Add(Troupe.Api.Objects.Taint.Parse(Value()) is { } t ? t
                        : throw new ArgumentException("--taint: want KEY[=VALUE]:EFFECT with EFFECT NoSchedule, PreferNoSchedule or NoExecute")),
                },
                _ => throw new ArgumentException($"unknown flag {arg}"),
            };
        }
        if (o.Driver is not (null or "runc" or "process" or "fake"))
            throw new ArgumentException($"unknown driver \"{o.Driver}\" (expected runc, process or fake)");
        foreach (var r in o.Roles)
            if (r is not ("control" or "worker" or "lighthouse"))
                throw new ArgumentException($"unknown role \"{r}\" (expected control, worker)");
        return o;
    }

    static ImmutableSortedDictionary<string, string> LabelOf(string v, ImmutableSortedDictionary<string, string> labels)
    {
        var eq = v.IndexOf('=');
        if (eq <= 0) throw new ArgumentException($"--label: \"{v}\" is not KEY=VALUE");
        var (k, val) = (v[..eq], v[(eq + 1)..]);
        if (Troupe.Api.Manifests.NameRules.LabelKey(k) is { } badKey) throw new ArgumentException($"--label {k}: {badKey}");
        if (Troupe.Api.Manifests.NameRules.LabelValue(val) is { } badValue) throw new ArgumentException($"--label {k}: {badValue}");
        return labels.SetItem(k, val);
    }

    static int PortOf(string flag, string v) =>
        int.TryParse(v, out var p) && p is >= 0 and <= 65535 ? p : throw new ArgumentException($"{flag}: \"{v}\" is not a port (0-65535)");
}
