using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Troupe.Api.Manifests;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;

namespace Troupe.Shell.Commands;

/// <summary>
/// <c>troupe rollout status|history|undo|restart deployment/NAME</c>, as kubectl does them, on the client from the
/// Deployment and its ReplicaSets (each carries its revision and change cause):
/// <list type="bullet">
/// <item><c>status [--timeout D] [-w=false]</c> follows the rollout, one line per change, kubectl's wording; exit 0 when
/// it completes, 1 when the Deployment's <c>Progressing</c> condition says <c>ProgressDeadlineExceeded</c>.</item>
/// <item><c>history [--revision N]</c> lists the revisions kept (<c>revisionHistoryLimit</c>) with their change cause, or
/// one revision's pod template.</item>
/// <item><c>undo [--to-revision N]</c> applies the pod template of that revision (default: the previous one), which the
/// Deployment rolls out as a new revision.</item>
/// <item><c>restart</c> stamps <c>kubectl.kubernetes.io/restartedAt</c> on the pod template: a new revision of the same
/// pods.</item>
/// </list>
/// </summary>
internal static class RolloutCommand
{
    internal static readonly Flag[] Flags =
    [
        Common.Help, Common.Namespace, Flag.Value("to-revision", "--to-revision"), Flag.Value("revision", "--revision"),
        Flag.Value("timeout", "--timeout"), Flag.Optional("watch", "-w", "--watch"),
    ];

    const string Usage = "rollout status|history|undo|restart deployment/NAME [--to-revision N] [--revision N] [--timeout D]";

    public const string RestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt";

    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, Flags);
        if (Common.HelpWanted(ctx, a, Usage)) return 0;
        if (a.Positionals.Count == 0) throw ShellException.Usage($"troupe {Usage}");
        var sub = a.Positionals[0];
        if (sub is not ("status" or "history" or "undo" or "restart"))
            throw ShellException.Usage($"unknown command \"{sub}\" for \"troupe rollout\" (status, history, undo, restart)");
        var (kind, names) = Common.KindAndNames(a.Positionals.Skip(1).ToList(), $"rollout {sub}");
        if (kind != "Deployment") throw ShellException.User($"no rollout for {Kinds.ResourceWord(kind)}: Troupe rolls out deployments only");
        if (names.Count == 0) throw ShellException.Usage($"required resource name not specified: troupe rollout {sub} deployment/NAME");
        var ns = Common.NamespaceOf(a);
        var code = 0;
        foreach (var name in names)
            code = Math.Max(code, sub switch
            {
                "status" => Status(ctx, a, ns, name),
                "history" => History(ctx, a, ns, name),
                "undo" => Undo(ctx, a, ns, name),
                _ => Restart(ctx, ns, name),
            });
        return code;
    }

    static Deployment GetDeployment(ShellContext ctx, string ns, string name) =>
        (Deployment)Common.Expect<ObjectList>(ctx.Client.Send(new GetObjects("Deployment", ns, name))).Items[0];

    /// <summary>The Deployment's ReplicaSets by revision, oldest first.</summary>
    static List<(long Revision, ReplicaSet Rs)> Revisions(ShellContext ctx, string ns, string name)
    {
        var list = Common.Expect<ObjectList>(ctx.Client.Send(new GetObjects("ReplicaSet", ns)));
        return list.Items.OfType<ReplicaSet>()
            .Where(rs => rs.Metadata.OwnerReferences.Any(o => o.Kind == "Deployment" && o.Name == name))
            .Select(rs => (Revision: RevisionOf(rs.Metadata), Rs: rs))
            .Where(r => r.Revision > 0)
            .OrderBy(r => r.Revision)
            .ToList();
    }

    static long RevisionOf(ObjectMeta m) =>
        m.Annotations.TryGetValue("deployment.kubernetes.io/revision", out var v) && long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    #region status

    static int Status(ShellContext ctx, Args a, string ns, string name)
    {
        var watch = a.Get("watch") is not ("false" or "0");
        var timeout = a.Get("timeout") is { } t && t != "0" ? WaitCommand.Timeout(t) : (TimeSpan?)null;
        var deadline = timeout is null ? DateTime.MaxValue : DateTime.UtcNow + timeout.Value;
        string? last = null;
        while (true)
        {
            var (message, done) = StatusLine(GetDeployment(ctx, ns, name));
            if (message != last) ctx.Out.WriteLine(message);
            last = message;
            if (done) return 0;
            if (!watch) return 0; // kubectl: without --watch the state is printed once, exit 0 unless failed
            if (DateTime.UtcNow >= deadline) throw ShellException.User("timed out waiting for the condition");
            ctx.Pause(TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>
    /// kubectl's rollout status of a Deployment: a "Waiting ..." line and false while it moves, the success line and
    /// true when done; a Deployment past its progress deadline is an error.
    /// </summary>
    internal static (string Message, bool Done) StatusLine(Deployment d)
    {
        var name = d.Metadata.Name;
        var s = d.Status;
        if (s is null || d.Metadata.Generation > s.ObservedGeneration)
            return ("Waiting for deployment spec update to be observed...", false);
        if (s.Conditions.FirstOrDefault(c => c.Type == "Progressing") is { Reason: "ProgressDeadlineExceeded" })
            throw ShellException.User($"deployment \"{name}\" exceeded its progress deadline");
        var replicas = d.Spec.Replicas;
        if (s.UpdatedReplicas < replicas)
            return ($"Waiting for deployment \"{name}\" rollout to finish: {s.UpdatedReplicas} out of {replicas} new replicas have been updated...", false);
        if (s.Replicas > s.UpdatedReplicas)
            return ($"Waiting for deployment \"{name}\" rollout to finish: {s.Replicas - s.UpdatedReplicas} old replicas are pending termination...", false);
        if (s.AvailableReplicas < s.UpdatedReplicas)
            return ($"Waiting for deployment \"{name}\" rollout to finish: {s.AvailableReplicas} of {s.UpdatedReplicas} updated replicas are available...", false);
        return ($"deployment \"{name}\" successfully rolled out", true);
    }

    #endregion

    static int History(ShellContext ctx, Args a, string ns, string name)
    {
        GetDeployment(ctx, ns, name); // not found is an error
        var revisions = Revisions(ctx, ns, name);
        if (a.Get("revision") is { } rv)
        {
            var n = ParseRevision(rv, "--revision");
            if (revisions.FirstOrDefault(r => r.Revision == n).Rs is not { } rs)
                throw ShellException.User($"unable to find the specified revision {n}");
            ctx.Out.WriteLine($"deployment.apps/{name} with revision #{n}");
            ctx.Out.WriteLine("Pod Template:");
            var json = JsonSerializer.Serialize(rs.Spec.Template, ProtocolJsonContext.Default.PodTemplateSpec);
            foreach (var line in YamlWriter.FromJson(json).TrimEnd('\n').Split('\n')) ctx.Out.WriteLine("  " + line);
            return 0;
        }
        ctx.Out.WriteLine($"deployment.apps/{name} ");
        ctx.Out.WriteLine("REVISION  CHANGE-CAUSE");
        foreach (var (revision, rs) in revisions)
        {
            var cause = rs.Metadata.Annotations.TryGetValue("kubernetes.io/change-cause", out var c) ? c : "<none>";
            ctx.Out.WriteLine($"{revision,-10}{cause}");
        }
        ctx.Out.WriteLine();
        return 0;
    }

    static long ParseRevision(string v, string flag) =>
        long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw ShellException.Usage($"invalid argument \"{v}\" for \"{flag}\" flag: want a revision number");

    static int Undo(ShellContext ctx, Args a, string ns, string name)
    {
        var d = GetDeployment(ctx, ns, name);
        var revisions = Revisions(ctx, ns, name);
        var current = RevisionOf(d.Metadata);
        var to = a.Get("to-revision") is { } tr ? ParseRevision(tr, "--to-revision") : 0;
        ReplicaSet? target;
        if (to > 0)
            target = revisions.FirstOrDefault(r => r.Revision == to).Rs ?? throw ShellException.User($"unable to find specified revision {to} in history");
        else
        {
            // the previous revision: the newest one below the current
            var previous = revisions.Where(r => r.Revision < current).Select(r => r.Rs).LastOrDefault();
            target = previous ?? throw ShellException.User($"no rollout history found for deployment \"{name}\"");
            to = RevisionOf(target.Metadata);
        }
        if (TemplateHash.Compute(target.Spec.Template) == TemplateHash.Compute(d.Spec.Template))
        {
            ctx.Out.WriteLine($"deployment.apps/{name} skipped rollback (current template already matches revision {to})");
            return 0;
        }
        var annotations = target.Metadata.Annotations.TryGetValue("kubernetes.io/change-cause", out var cause)
            ? d.Metadata.Annotations.SetItem("kubernetes.io/change-cause", cause)
            : d.Metadata.Annotations.Remove("kubernetes.io/change-cause");
        Reapply(ctx, d with { Metadata = d.Metadata with { Annotations = annotations }, Spec = d.Spec with { Template = target.Spec.Template } });
        ctx.Out.WriteLine($"deployment.apps/{name} rolled back");
        return 0;
    }

    static int Restart(ShellContext ctx, string ns, string name)
    {
        var d = GetDeployment(ctx, ns, name);
        if (d.Spec.Paused) throw ShellException.User($"deployments \"{name}\" can't restart paused deployment (run rollout resume first)");
        var template = d.Spec.Template;
        var stamp = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);
        var next = template with { Metadata = template.Metadata with { Annotations = template.Metadata.Annotations.SetItem(RestartedAtAnnotation, stamp) } };
        Reapply(ctx, d with { Spec = d.Spec with { Template = next } });
        ctx.Out.WriteLine($"deployment.apps/{name} restarted");
        return 0;
    }

    /// <summary>
    /// Apply a Deployment read from the control plane again, changed: without its status and the fields the control
    /// plane fills in, so the Deployment sees a new spec (a new pod template rolls out).
    /// </summary>
    internal static void Reapply(ShellContext ctx, Deployment d)
    {
        var next = d with
        {
            Status = null,
            Metadata = d.Metadata with { Annotations = d.Metadata.Annotations.Remove("deployment.kubernetes.io/revision"), ResourceVersion = null },
        };
        Common.Expect<ObjectsApplied>(ctx.Client.Send(new ApplyObjects([next])));
    }
}
