using System.Collections.Immutable;
using System.Net;
using Troupe.Actors.Catalog;
using Troupe.Actors.Services;
using Troupe.Api.Objects;
using Xunit;

namespace Troupe.Actors.Tests.Services;

/// <summary>Endpoints derived from pods (ready or not, named target ports) and the listeners a node's balancer wants from them.</summary>
public sealed class EndpointsSpec
{
    static Pod Pod(string name, string? ip, bool ready, string app = "web", string ns = "default", int port = 5000, string phase = "Running") => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = ns, Uid = name + "-uid", Labels = ImmutableSortedDictionary<string, string>.Empty.Add("app", app) },
        Spec = new PodSpec { NodeName = "n1", Containers = [new Container { Name = "c", Image = "x", Ports = [new PortSpec { Name = "http", ContainerPort = port }] }] },
        Status = new PodStatus { Phase = phase, PodIP = ip, Conditions = [new PodCondition("Ready", ready ? "True" : "False")] },
    };

    static Service Svc(string type = "ClusterIP", IntOrString? target = null, int? nodePort = null) => new()
    {
        Metadata = new ObjectMeta { Name = "web", Namespace = "default" },
        Spec = new ServiceSpec
        {
            Type = type, ClusterIP = "10.96.0.10", Selector = ImmutableSortedDictionary<string, string>.Empty.Add("app", "web"),
            Ports = [new ServicePort { Name = "http", Port = 80, TargetPort = target ?? new IntOrString("http"), NodePort = nodePort }],
        },
    };

    [Fact]
    public void Endpoints_must_hold_ready_pods_in_addresses_and_the_others_apart()
    {
        var ep = EndpointsBuilder.For(Svc(), [
            Pod("a", "10.1.0.2", ready: true), Pod("b", "10.1.0.3", ready: false), Pod("c", null, ready: false),
            Pod("d", "10.1.0.5", ready: true, app: "other"), Pod("e", "10.1.0.6", ready: true, ns: "elsewhere"),
            Pod("f", "10.1.0.7", ready: false, phase: "Succeeded"),
        ]);
        var subset = Assert.Single(ep.Subsets);
        Assert.Equal(["10.1.0.2"], subset.Addresses.Select(a => a.Ip));
        Assert.Equal(["10.1.0.3"], subset.NotReadyAddresses.Select(a => a.Ip));
        Assert.Equal(new EndpointPort("http", 5000), Assert.Single(subset.Ports));
        Assert.Equal("a", subset.Addresses[0].TargetRef!.Name);
    }

    [Fact]
    public void Endpoints_must_group_pods_by_the_port_a_named_target_resolves_to()
    {
        var ep = EndpointsBuilder.For(Svc(), [Pod("a", "10.1.0.2", true, port: 5000), Pod("b", "10.1.0.3", true, port: 6000)]);
        Assert.Equal(2, ep.Subsets.Length);
        Assert.Equal([5000, 6000], ep.Subsets.Select(s => s.Ports[0].Port).Order());
        // a number is taken as it is
        Assert.Equal(8080, Assert.Single(EndpointsBuilder.For(Svc(target: new IntOrString("8080")), [Pod("a", "10.1.0.2", true)]).Subsets).Ports[0].Port);
    }

    [Fact]
    public void The_balancer_must_want_the_ClusterIP_and_for_a_LoadBalancer_the_node_port_and_the_port_on_every_address()
    {
        var svc = Svc("LoadBalancer", nodePort: 30080);
        var ep = EndpointsBuilder.For(svc, [Pod("a", "10.1.0.2", true), Pod("b", "10.1.0.3", false)]);
        var wanted = ServiceProxy.Wanted([svc], new Dictionary<(string, string), Endpoints> { [("default", "web")] = ep });
        Assert.Equal(
            [("10.96.0.10", 80), ("0.0.0.0", 30080), ("0.0.0.0", 80)],
            wanted.Select(w => (w.Ip.ToString(), w.Port)));
        Assert.All(wanted, w => Assert.Equal("10.1.0.2:5000", string.Join(",", w.Backends)));
        // a headless Service has no balancer
        Assert.Empty(ServiceProxy.Wanted([svc with { Spec = svc.Spec with { ClusterIP = "None" } }], new Dictionary<(string, string), Endpoints>()));
    }
}
