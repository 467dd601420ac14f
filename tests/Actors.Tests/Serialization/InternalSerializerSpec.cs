using System.Collections.Immutable;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Troupe.Actors.Catalog;
using Troupe.Actors.Nodes;
using Troupe.Actors.Scheduling;
using Troupe.Actors.Serialization;
using Troupe.Api.Objects;
using Xunit;

namespace Troupe.Actors.Tests.Serialization;

/// <summary>The messages that cross members: written and read back by the serializer bound in cluster.hocon.</summary>
public sealed class InternalSerializerSpec : TestKit
{
    readonly InternalSerializer _serializer;

    public InternalSerializerSpec() => _serializer = new InternalSerializer((ExtendedActorSystem)Sys);

    T RoundTrip<T>(T message) where T : notnull
    {
        var bytes = _serializer.ToBinary(message);
        return Assert.IsType<T>(_serializer.FromBinary(bytes, _serializer.Manifest(message)));
    }

    static Pod Pod() => new()
    {
        Metadata = new ObjectMeta { Name = "web-1", Namespace = "default", Uid = "u1" },
        Spec = new PodSpec
        {
            NodeName = "n2",
            Containers = [new Container { Name = "c", Image = "busybox" }],
            Tolerations = [new Toleration("dedicated", "Equal", "gpu", "NoSchedule")],
        },
    };

    [Fact]
    public void Actor_references_survive_as_references_that_reach_the_actor()
    {
        var probe = CreateTestProbe();
        var back = RoundTrip(new PodAccepted("u1", probe.Ref, Adopted: true));
        Assert.Equal(probe.Ref.Path, back.Sandbox.Path);
        back.Sandbox.Tell("hello");
        probe.ExpectMsg("hello");
        Assert.True(back.Adopted);
    }

    [Fact]
    public void A_pod_keeps_its_spec_across_the_wire()
    {
        var back = RoundTrip(new StartPod(Pod(), "default/web", 3));
        Assert.Equal(("default/web", 3L, "n2"), (back.OwnerKey, back.Epoch, back.Pod.Spec.NodeName));
        Assert.Equal("gpu", back.Pod.Spec.Tolerations.Single().Value);
        Assert.Equal("busybox", back.Pod.Spec.Containers.Single().Image);
    }

    [Fact]
    public void Heartbeats_carry_the_node_its_agent_and_its_pods()
    {
        var agent = CreateTestProbe();
        var node = new Node
        {
            Metadata = new ObjectMeta { Name = "n1", Namespace = "", Labels = ImmutableSortedDictionary<string, string>.Empty.Add("disk", "ssd") },
            Spec = new NodeSpec { Taints = [new Taint("spot", null, "PreferNoSchedule")] },
            Status = new NodeStatus { Roles = ["worker"] },
        };
        var back = RoundTrip(new NodeHeartbeat(node, agent.Ref, 2000, 1L << 30, 110, 250, 64L << 20,
            ImmutableDictionary<string, int>.Empty.Add("default/web", 2), 2, ["u1", "u2"]));
        Assert.Equal(agent.Ref.Path, back.Agent.Path);
        Assert.Equal("ssd", back.Node.Metadata.Labels["disk"]);
        Assert.Equal("spot", back.Node.Spec.Taints.Single().Key);
        Assert.Equal(2, back.PodsByOwner["default/web"]);
        Assert.Equal(2, back.PodCount);
        Assert.Equal(["u1", "u2"], back.RecentPodUids.ToArray());
    }

    [Fact]
    public void Heartbeats_carry_the_pod_cidr_and_host_address_and_read_old_beats_without_them()
    {
        var agent = CreateTestProbe();
        var node = new Node
        {
            Metadata = new ObjectMeta { Name = "b", Namespace = "" },
            Spec = new NodeSpec { PodCIDR = "10.150.7.0/24" },
            Status = new NodeStatus { Roles = ["worker"], Addresses = [new NodeAddress("InternalIP", "10.251.0.3")] },
        };
        var beat = new NodeHeartbeat(node, agent.Ref, 2000, 1L << 30, 110, 0, 0, ImmutableDictionary<string, int>.Empty, 0, []);
        var back = RoundTrip(beat);
        Assert.Equal("10.150.7.0/24", back.Node.Spec.PodCIDR);
        Assert.Equal("10.251.0.3", NodeAddress.Preferred(back.Node.Status.Addresses));
        var json = System.Text.Encoding.UTF8.GetString(_serializer.ToBinary(beat));
        Assert.Contains("\"podCIDR\":\"10.150.7.0/24\"", json);
        Assert.Contains("\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"10.251.0.3\"}]", json);

        // a beat from a node of the version before: neither field; the node is read, with no CIDR and no address
        var old = json.Replace(",\"podCIDR\":\"10.150.7.0/24\"", "").Replace("\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"10.251.0.3\"}],", "");
        Assert.DoesNotContain("podCIDR", old);
        Assert.DoesNotContain("addresses", old);
        var read = Assert.IsType<NodeHeartbeat>(_serializer.FromBinary(System.Text.Encoding.UTF8.GetBytes(old), _serializer.Manifest(beat)));
        Assert.Null(read.Node.Spec.PodCIDR);
        Assert.True(read.Node.Status.Addresses.IsEmpty);
        Assert.Null(NodeAddress.Preferred(read.Node.Status.Addresses));
    }

    [Fact]
    public void Scheduler_requests_and_answers_round_trip()
    {
        var ask = RoundTrip(new SchedulePods("default/web", 250, 64L << 20, ImmutableSortedDictionary<string, string>.Empty.Add("disk", "ssd"),
            [new Toleration(null, "Exists", null, null)], ["u1"]));
        Assert.Equal(("default/web", 250L, "ssd", "u1"), (ask.OwnerKey, ask.CpuMillis, ask.NodeSelector["disk"], ask.Uids.Single()));
        var answer = RoundTrip(new PodsScheduled(["n1"], "0/3 nodes are available: 3 Insufficient cpu."));
        Assert.Equal("n1", answer.Nodes.Single());
        Assert.StartsWith("0/3", answer.Reason);
    }

    [Fact]
    public void Catalog_replicas_keep_the_kind_of_the_object()
    {
        var back = RoundTrip(new CatalogReplica("akka.tcp://troupe@127.0.0.1:4053", Pod(), null, null));
        Assert.Equal("u1", Assert.IsType<Pod>(back.Observed).Metadata.Uid);
        var forgotten = RoundTrip(new CatalogReplica("a", null, new ObjectForgotten("Pod", "default", "web-1", "u1"), null));
        Assert.Equal("web-1", forgotten.Forgotten!.Name);
        var snapshot = RoundTrip(new CatalogSnapshot("a", [Pod(), new Deployment { Metadata = new ObjectMeta { Name = "web" } }]));
        Assert.Equal(["Pod", "Deployment"], snapshot.Objects.Select(o => o.Kind));
    }
}
