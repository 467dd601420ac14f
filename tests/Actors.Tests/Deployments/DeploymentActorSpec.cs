using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Troupe.Actors.Catalog;
using Troupe.Actors.Deployments;
using Troupe.Actors.Hosting;
using Troupe.Actors.Nodes;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;
using Xunit;

namespace Troupe.Actors.Tests.Deployments;

/// <summary>
/// The control plane without a node: a probe stands at <c>/user/node-agent</c> and answers StartPod as a node would.
/// Persistence is the in-memory journal, kept across incarnations of the same entity within one test.
/// </summary>
public class DeploymentActorSpec : TestKit
{
    static readonly Config SpecConfig = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        troupe.actors.start-pod-retry = 3s
        """).WithFallback(ConfigurationFactory.FromResource<NodeOptions>("Troupe.Actors.reference.conf"));

    readonly TestProbe _node;
    readonly TestProbe _catalog;
    readonly ActorsSettings _settings;

    public DeploymentActorSpec() : base(SpecConfig)
    {
        _node = CreateTestProbe();
        _catalog = CreateTestProbe();
        _settings = ActorsSettings.Create(Sys);
        Sys.ActorOf(Props.Create(() => new Forwarder(_node.Ref)), ActorNames.NodeAgent);
        // pods reach their node through the directory; the local node's agent is /user/node-agent
        Sys.ActorOf(Troupe.Actors.Nodes.NodeDirectory.Props("node-1", TimeSpan.FromSeconds(30)), Troupe.Actors.Nodes.NodeDirectory.Name);
    }

    sealed class Forwarder : ReceiveActor
    {
        public Forwarder(IActorRef to) => ReceiveAny(m => to.Forward(m));
    }

    static Deployment Web(int replicas) => new()
    {
        Metadata = new ObjectMeta { Name = "web", Labels = ImmutableSortedDictionary<string, string>.Empty.Add("app", "web") },
        Spec = new DeploymentSpec
        {
            Replicas = replicas,
            Selector = new LabelSelector { MatchLabels = ImmutableSortedDictionary<string, string>.Empty.Add("app", "web") },
            Template = new PodTemplateSpec
            {
                Metadata = new ObjectMeta { Labels = ImmutableSortedDictionary<string, string>.Empty.Add("app", "web") },
                Spec = new PodSpec { Containers = [new Container { Name = "c", Image = "busybox" }] },
            },
        },
    };

    IActorRef Entity() => Sys.ActorOf(DeploymentActor.Props("default/web", _settings, "node-1", _catalog.Ref));

    List<StartPod> ExpectStarts(int n)
    {
        var starts = new List<StartPod>();
        for (var i = 0; i < n; i++)
        {
            var s = _node.ExpectMsg<StartPod>(TimeSpan.FromSeconds(5));
            starts.Add(s);
            _node.Reply(new PodAccepted(s.Pod.Metadata.Uid!, _node.Ref, false));
        }
        return starts;
    }

    [Fact]
    public void DeploymentActor_must_persist_pods_then_start_them_and_scale_down_by_stopping_pods()
    {
        var d = Entity();
        d.Tell(new ApplyDeployment("default/web", Web(3)));
        Assert.Equal("created", ExpectMsg<CommandAccepted>().Message);
        var starts = ExpectStarts(3);
        Assert.Equal(3, starts.Select(s => s.Pod.Metadata.Uid).Distinct().Count());
        Assert.All(starts, s =>
        {
            Assert.Equal("node-1", s.Pod.Spec.NodeName);
            Assert.StartsWith("web-", s.Pod.Metadata.Name);
            Assert.Equal("web", s.Pod.Metadata.Labels["app"]);
            Assert.True(s.Pod.Metadata.Labels.ContainsKey("pod-template-hash"));
            Assert.Equal("default/web", s.OwnerKey);
        });

        d.Tell(new ApplyDeployment("default/web", Web(3)));
        Assert.Equal("unchanged", ExpectMsg<CommandAccepted>().Message);

        d.Tell(new ScaleDeploymentTo("default/web", 1));
        Assert.Equal("scaled", ExpectMsg<CommandAccepted>().Message);
        var stops = new[] { _node.ExpectMsg<StopPod>(), _node.ExpectMsg<StopPod>() };
        Assert.Equal(2, stops.Select(s => s.Uid).Distinct().Count());
        Assert.All(stops, s => Assert.Contains(starts, st => st.Pod.Metadata.Uid == s.Uid));
        _node.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void DeploymentActor_must_adopt_its_pods_after_a_restart_instead_of_starting_new_ones()
    {
        var d = Entity();
        d.Tell(new ApplyDeployment("default/web", Web(2)));
        ExpectMsg<CommandAccepted>();
        var before = ExpectStarts(2);

        Watch(d);
        Sys.Stop(d);
        ExpectTerminated(d);

        Entity();
        var after = ExpectStarts(2);
        Assert.Equal(before.Select(s => s.Pod.Metadata.Uid).Order(), after.Select(s => s.Pod.Metadata.Uid).Order());
        Assert.All(after, s => Assert.True(s.Epoch > before[0].Epoch, "a recovered Deployment has a newer epoch"));
        _node.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void DeploymentActor_must_replace_a_pod_whose_sandbox_died_but_not_one_that_only_restarts()
    {
        var d = Entity();
        d.Tell(new ApplyDeployment("default/web", Web(1)));
        ExpectMsg<CommandAccepted>();
        var start = _node.ExpectMsg<StartPod>();
        var sandbox = CreateTestProbe();
        _node.Reply(new PodAccepted(start.Pod.Metadata.Uid!, sandbox.Ref, false));

        // a container restart is only a status change
        var restarted = start.Pod with { Status = new PodStatus { Phase = "Running", ContainerStatuses = [new ContainerStatus { Name = "c", Ready = true, RestartCount = 1 }] } };
        _node.Reply(new PodStatusChanged(start.Pod.Metadata.Uid!, restarted));
        _node.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        // the sandbox itself ending is a lost pod: replaced by a new one
        Sys.Stop(sandbox.Ref);
        var replacement = _node.ExpectMsg<StartPod>(TimeSpan.FromSeconds(5));
        Assert.NotEqual(start.Pod.Metadata.Uid, replacement.Pod.Metadata.Uid);
    }

    [Fact]
    public void DeploymentActor_must_reject_scaling_or_deleting_what_does_not_exist()
    {
        var d = Entity();
        d.Tell(new ScaleDeploymentTo("default/web", 2));
        Assert.Equal("NotFound", ExpectMsg<CommandRejected>().Code);
        d.Tell(new DeleteDeployment("default/web"));
        Assert.Equal("NotFound", ExpectMsg<CommandRejected>().Code);
    }

    [Fact]
    public void DeploymentActor_must_stop_every_pod_when_deleted_and_forget_itself_in_the_catalog()
    {
        var d = Entity();
        d.Tell(new ApplyDeployment("default/web", Web(2)));
        ExpectMsg<CommandAccepted>();
        var starts = ExpectStarts(2);
        d.Tell(new DeleteDeployment("default/web"));
        Assert.Equal("deleted", ExpectMsg<CommandAccepted>().Message);
        var stops = new[] { _node.ExpectMsg<StopPod>(), _node.ExpectMsg<StopPod>() };
        Assert.Equal(starts.Select(s => s.Pod.Metadata.Uid).Order(), stops.Select(s => s.Uid).Order());
        _catalog.FishForMessage(m => m is ObjectForgotten { Kind: "Deployment", Name: "web" }, TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void DeploymentActor_must_forget_old_revisions_beyond_revisionHistoryLimit()
    {
        Deployment Version(int v) => Web(0) with
        {
            Spec = Web(0).Spec with
            {
                RevisionHistoryLimit = 1,
                Template = Web(0).Spec.Template with { Spec = Web(0).Spec.Template.Spec with { Containers = [new Container { Name = "c", Image = $"busybox:{v}" }] } },
            },
        };
        var d = Entity();
        var hashes = new List<string>();
        for (var v = 1; v <= 3; v++)
        {
            d.Tell(new ApplyDeployment("default/web", Version(v)));
            ExpectMsg<CommandAccepted>();
            hashes.Add(TemplateHash.Compute(Version(v).Spec.Template));
        }
        // revision 1 is beyond the limit (current 3, one old kept: 2): its ReplicaSet leaves the catalog
        var forgotten = _catalog.FishForMessage<ObjectForgotten>(m => m is ObjectForgotten { Kind: "ReplicaSet" }, TimeSpan.FromSeconds(5));
        Assert.Equal($"web-{hashes[0]}", forgotten.Name);
        // revision 2 stays (for undo)
        var later = _catalog.ReceiveWhile(TimeSpan.FromMilliseconds(500), m => m);
        Assert.DoesNotContain(later, m => m is ObjectForgotten);
    }
}
