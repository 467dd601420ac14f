using System.Collections.Immutable;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;
using Troupe.Shell.Commands;
using Troupe.Shell.Tests.Connection;
using Xunit;

namespace Troupe.Shell.Tests.Commands;

/// <summary><c>rollout status|history|undo|restart</c> against <see cref="FakeNode"/>: what they read and what they apply.</summary>
public sealed class RolloutCommandSpec : IDisposable
{
    readonly TempHome _home = new();
    readonly FakeNode _node;

    public RolloutCommandSpec() => _node = new FakeNode(_home.Path);

    public void Dispose()
    {
        _node.Dispose();
        _home.Dispose();
    }

    ShellRun Run(params string[] args) => ShellRun.Of(_home.Path, args);

    static PodTemplateSpec Template(string image) => new()
    {
        Metadata = new ObjectMeta { Labels = ImmutableSortedDictionary<string, string>.Empty.Add("app", "web") },
        Spec = new PodSpec { Containers = [new Container { Name = "web", Image = image }] },
    };

    static ImmutableSortedDictionary<string, string> Annotations(params (string, string)[] kv) =>
        kv.Aggregate(ImmutableSortedDictionary<string, string>.Empty, (a, p) => a.Add(p.Item1, p.Item2));

    static Deployment Web(string image, long revision, DeploymentStatus? status = null, long generation = 3) => new()
    {
        Metadata = new ObjectMeta
        {
            Name = "web", Namespace = "default", Generation = generation,
            Annotations = Annotations(("deployment.kubernetes.io/revision", revision.ToString()), ("kubernetes.io/change-cause", "to " + image)),
        },
        Spec = new DeploymentSpec { Replicas = 3, Template = Template(image) },
        Status = status ?? new DeploymentStatus { ObservedGeneration = generation, Replicas = 3, UpdatedReplicas = 3, AvailableReplicas = 3, ReadyReplicas = 3 },
    };

    static ReplicaSet Rs(string image, long revision, string? cause) => new()
    {
        Metadata = new ObjectMeta
        {
            Name = $"web-{revision}", Namespace = "default",
            Annotations = cause is null
                ? Annotations(("deployment.kubernetes.io/revision", revision.ToString()))
                : Annotations(("deployment.kubernetes.io/revision", revision.ToString()), ("kubernetes.io/change-cause", cause)),
            OwnerReferences = [new OwnerReference("apps/v1", "Deployment", "web", "uid")],
        },
        Spec = new ReplicaSetSpec { Replicas = revision == 3 ? 3 : 0, Template = Template(image) },
    };

    ITroupeMessage Answer(ITroupeMessage m, Deployment d) => m switch
    {
        GetObjects { Kind: "Deployment", Name: "web" } => new ObjectList([d], 1),
        GetObjects { Kind: "Deployment" } => CommandRejected.NotFound("deployments.apps \"nope\" not found"),
        GetObjects { Kind: "ReplicaSet" } => new ObjectList([Rs("web:3", 3, "set image 3"), Rs("web:1", 1, null), Rs("web:2", 2, "set image 2"),
            new ReplicaSet { Metadata = new ObjectMeta { Name = "other-1", Annotations = Annotations(("deployment.kubernetes.io/revision", "9")),
                OwnerReferences = [new OwnerReference("apps/v1", "Deployment", "other", "u2")] }, Spec = new ReplicaSetSpec { Template = Template("x") } }], 1),
        ApplyObjects => new ObjectsApplied([new AppliedObject("Deployment", "default", "web", "configured")], 2),
        _ => CommandRejected.Invalid("unexpected " + m.GetType().Name),
    };

    Deployment Applied() => (Deployment)_node.Received.OfType<ApplyObjects>().Single().Objects.Single();

    [Fact]
    public void History_must_list_the_deployments_revisions_in_order_with_their_change_cause()
    {
        _node.Handler = m => Answer(m, Web("web:3", 3));
        var r = Run("rollout", "history", "deployment/web");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         set image 2\n3         set image 3\n\n", r.Stdout);

        var one = Run("rollout", "history", "deployment/web", "--revision", "2");
        Assert.Equal(0, one.ExitCode);
        Assert.StartsWith("deployment.apps/web with revision #2\nPod Template:\n", one.Stdout);
        Assert.Contains("image: web:2", one.Stdout);
        Assert.Equal("error: unable to find the specified revision 7", Run("rollout", "history", "deployment/web", "--revision", "7").ErrorLine);
        Assert.Equal("error: deployments.apps \"nope\" not found", Run("rollout", "history", "deployment/nope").ErrorLine);
    }

    [Fact]
    public void Undo_must_apply_the_previous_revisions_template_or_the_one_asked_for()
    {
        _node.Handler = m => Answer(m, Web("web:3", 3));
        var r = Run("rollout", "undo", "deployment/web");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("deployment.apps/web rolled back\n", r.Stdout);
        var d = Applied();
        Assert.Equal("web:2", d.Spec.Template.Spec.Containers[0].Image);
        Assert.Equal("set image 2", d.Metadata.Annotations["kubernetes.io/change-cause"]);
        Assert.False(d.Metadata.Annotations.ContainsKey("deployment.kubernetes.io/revision"));
        Assert.Null(d.Status);

        _node.Received.Clear();
        Assert.Equal(0, Run("rollout", "undo", "deployment/web", "--to-revision=1").ExitCode);
        Assert.Equal("web:1", Applied().Spec.Template.Spec.Containers[0].Image);
        Assert.False(Applied().Metadata.Annotations.ContainsKey("kubernetes.io/change-cause"));

        _node.Received.Clear();
        var missing = Run("rollout", "undo", "deployment/web", "--to-revision", "5");
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("error: unable to find specified revision 5 in history", missing.ErrorLine);
        Assert.Empty(_node.Received.OfType<ApplyObjects>());

        Assert.Equal("deployment.apps/web skipped rollback (current template already matches revision 3)\n",
            Run("rollout", "undo", "deployment/web", "--to-revision", "3").Stdout);
        Assert.Empty(_node.Received.OfType<ApplyObjects>());
        Assert.Equal(2, Run("rollout", "undo", "deployment/web", "--to-revision", "x").ExitCode);
    }

    [Fact]
    public void Undo_without_an_older_revision_must_fail_and_apply_nothing()
    {
        _node.Handler = m => m is GetObjects { Kind: "ReplicaSet" } ? new ObjectList([Rs("web:1", 1, null)], 1) : Answer(m, Web("web:1", 1));
        Assert.Equal("error: no rollout history found for deployment \"web\"", Run("rollout", "undo", "deployment/web").ErrorLine);
        Assert.Empty(_node.Received.OfType<ApplyObjects>());
    }

    [Fact]
    public void Restart_must_stamp_the_pod_template_so_a_new_revision_rolls_out()
    {
        _node.Handler = m => Answer(m, Web("web:3", 3));
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var r = Run("rollout", "restart", "deploy/web");
        Assert.Equal("deployment.apps/web restarted\n", r.Stdout);
        var d = Applied();
        var stamp = DateTimeOffset.Parse(d.Spec.Template.Metadata.Annotations[RolloutCommand.RestartedAtAnnotation]);
        Assert.InRange(stamp, before, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.NotEqual(TemplateHash.Compute(Template("web:3")), TemplateHash.Compute(d.Spec.Template));
        Assert.Equal("web:3", d.Spec.Template.Spec.Containers[0].Image);
    }

    [Fact]
    public void Status_must_say_what_the_rollout_waits_for_as_kubectl_does()
    {
        string Line(DeploymentStatus s, long generation = 3) => RolloutCommand.StatusLine(Web("web:3", 3, s, generation)).Message;
        Assert.Equal("Waiting for deployment spec update to be observed...", Line(new DeploymentStatus { ObservedGeneration = 2 }));
        Assert.Equal("Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been updated...",
            Line(new DeploymentStatus { ObservedGeneration = 3, Replicas = 4, UpdatedReplicas = 1, AvailableReplicas = 3 }));
        Assert.Equal("Waiting for deployment \"web\" rollout to finish: 1 old replicas are pending termination...",
            Line(new DeploymentStatus { ObservedGeneration = 3, Replicas = 4, UpdatedReplicas = 3, AvailableReplicas = 3 }));
        Assert.Equal("Waiting for deployment \"web\" rollout to finish: 2 of 3 updated replicas are available...",
            Line(new DeploymentStatus { ObservedGeneration = 3, Replicas = 3, UpdatedReplicas = 3, AvailableReplicas = 2 }));
        Assert.True(RolloutCommand.StatusLine(Web("web:3", 3)).Done);

        // done: exit 0 with kubectl's line; past the progress deadline: exit 1
        _node.Handler = m => Answer(m, Web("web:3", 3));
        var ok = Run("rollout", "status", "deployment/web");
        Assert.Equal((0, "deployment \"web\" successfully rolled out\n"), (ok.ExitCode, ok.Stdout));
        var failed = new DeploymentStatus
        {
            ObservedGeneration = 3, Replicas = 4, UpdatedReplicas = 1, AvailableReplicas = 3,
            Conditions = [new DeploymentCondition("Progressing", "False", "ProgressDeadlineExceeded", "ReplicaSet \"web-4\" has timed out progressing.", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow)],
        };
        _node.Handler = m => Answer(m, Web("web:4", 4, failed));
        var r = Run("rollout", "status", "deployment/web", "--timeout", "5s");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("error: deployment \"web\" exceeded its progress deadline", r.ErrorLine);
        // still rolling: --timeout ends the wait with exit 1
        _node.Handler = m => Answer(m, Web("web:4", 4, failed with { Conditions = [] }));
        var slow = Run("rollout", "status", "deployment/web", "--timeout", "300ms");
        Assert.Equal(1, slow.ExitCode);
        Assert.Equal("Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been updated...\n", slow.Stdout);
        Assert.Equal("error: timed out waiting for the condition", slow.ErrorLine);
        Assert.Equal(1, Run("rollout", "status", "statefulset/web").ExitCode);
    }
}
