using System.Collections.Immutable;
using Troupe.Actors.Scheduling;
using Troupe.Api.Objects;
using Xunit;

namespace Troupe.Actors.Tests.Scheduling;

public class PlacementSpec
{
    static readonly ImmutableSortedDictionary<string, string> NoLabels = ImmutableSortedDictionary<string, string>.Empty;

    static Placement.Candidate Node(string name, long cpu = 2000, long mem = 4L << 30, long usedCpu = 0, long usedMem = 0,
        int pods = 0, bool up = true, ImmutableSortedDictionary<string, string>? labels = null, ImmutableArray<Taint>? taints = null,
        ImmutableDictionary<string, int>? byOwner = null, int maxPods = 110) =>
        new(name, up, labels ?? NoLabels, taints ?? [], cpu, mem, maxPods, usedCpu, usedMem, pods,
            byOwner ?? ImmutableDictionary<string, int>.Empty);

    static Placement.Request Want(long cpu = 0, long mem = 0, ImmutableSortedDictionary<string, string>? selector = null,
        ImmutableArray<Toleration>? tolerations = null, string owner = "default/web") =>
        new(owner, cpu, mem, selector ?? NoLabels, tolerations ?? []);

    [Fact]
    public void Replicas_of_one_owner_spread_over_every_node_before_any_node_gets_a_second()
    {
        var nodes = new[] { Node("a"), Node("b"), Node("c") };
        var (placed, reason) = Placement.Place(nodes, Want(cpu: 100), 6);
        Assert.Null(reason);
        Assert.Equal(6, placed.Length);
        Assert.All(placed.GroupBy(n => n), g => Assert.Equal(2, g.Count()));
        Assert.Equal(3, placed.Take(3).Distinct().Count());
    }

    [Fact]
    public void Spreading_counts_the_pods_an_owner_already_has()
    {
        var nodes = new[]
        {
            Node("a", byOwner: ImmutableDictionary<string, int>.Empty.Add("default/web", 2), pods: 2),
            Node("b", byOwner: ImmutableDictionary<string, int>.Empty.Add("default/web", 1), pods: 1),
            Node("c"),
        };
        var (placed, _) = Placement.Place(nodes, Want(), 3);
        Assert.Equal(["c", "b", "c"], placed.ToArray());
    }

    [Fact]
    public void Between_equal_spreads_the_node_with_more_free_resources_wins()
    {
        var nodes = new[] { Node("a", usedCpu: 1500), Node("b", usedCpu: 200) };
        var (placed, _) = Placement.Place(nodes, Want(cpu: 100, owner: "other/x"), 1);
        Assert.Equal("b", placed.Single());
    }

    [Fact]
    public void A_pod_that_fits_nowhere_is_unplaced_with_kubectl_reasons()
    {
        var nodes = new[] { Node("a", cpu: 1000, usedCpu: 900), Node("b", up: false), Node("c", labels: NoLabels.Add("disk", "hdd")) };
        var (placed, reason) = Placement.Place(nodes, Want(cpu: 500, selector: NoLabels.Add("disk", "ssd")), 1);
        Assert.Empty(placed);
        Assert.StartsWith("0/3 nodes are available: ", reason);
        Assert.Contains("2 node(s) didn't match Pod's node affinity/selector", reason);
        Assert.Contains("1 node(s) were unreachable", reason);
    }

    [Fact]
    public void Resources_are_counted_as_pods_are_placed_so_a_batch_stops_at_capacity()
    {
        var nodes = new[] { Node("a", cpu: 1000), Node("b", cpu: 1000) };
        var (placed, reason) = Placement.Place(nodes, Want(cpu: 400), 6);
        Assert.Equal(4, placed.Length);
        Assert.Equal("0/2 nodes are available: 2 Insufficient cpu.", reason);
    }

    [Fact]
    public void Memory_and_pod_count_are_limits_too()
    {
        Assert.Equal("Insufficient memory", Placement.Filter(Node("a", mem: 1 << 30, usedMem: 900 << 20), Want(mem: 200 << 20)));
        Assert.Equal("Too many pods", Placement.Filter(Node("a", pods: 3, maxPods: 3), Want()));
        Assert.Null(Placement.Filter(Node("a", mem: 1 << 30, usedMem: 900 << 20), Want(mem: 100 << 20)));
    }

    [Fact]
    public void NoSchedule_taints_keep_pods_away_unless_tolerated()
    {
        var tainted = Node("gpu", taints: [new Taint("dedicated", "gpu", "NoSchedule")]);
        Assert.Equal("node(s) had untolerated taint {dedicated: gpu}", Placement.Filter(tainted, Want()));
        Assert.Null(Placement.Filter(tainted, Want(tolerations: [new Toleration("dedicated", "Equal", "gpu", "NoSchedule")])));
        Assert.Null(Placement.Filter(tainted, Want(tolerations: [new Toleration("dedicated", "Exists", null, null)])));
        Assert.Null(Placement.Filter(tainted, Want(tolerations: [new Toleration(null, "Exists", null, null)])));
        Assert.NotNull(Placement.Filter(tainted, Want(tolerations: [new Toleration("dedicated", "Equal", "cpu", "NoSchedule")])));
        // PreferNoSchedule is a preference, never a filter
        Assert.Null(Placement.Filter(Node("x", taints: [new Taint("k", null, "PreferNoSchedule")]), Want()));
    }

    [Fact]
    public void No_nodes_says_so()
    {
        var (placed, reason) = Placement.Place([], Want(), 1);
        Assert.Empty(placed);
        Assert.Equal("0/0 nodes are available: no worker node has joined the cluster.", reason);
    }

    [Fact]
    public void Requests_default_to_limits_and_init_containers_count_by_their_largest()
    {
        var spec = new PodSpec
        {
            Containers =
            [
                new Container { Name = "a", Resources = new ResourceRequirements { Requests = ImmutableSortedDictionary<string, string>.Empty.Add("cpu", "250m").Add("memory", "64Mi") } },
                new Container { Name = "b", Resources = new ResourceRequirements { Limits = ImmutableSortedDictionary<string, string>.Empty.Add("cpu", "500m") } },
            ],
            InitContainers = [new Container { Name = "i", Resources = new ResourceRequirements { Requests = ImmutableSortedDictionary<string, string>.Empty.Add("cpu", "1") } }],
        };
        Assert.Equal((1000L, 64L << 20), Placement.Requests(spec));
    }

    [Theory]
    [InlineData("dedicated=gpu:NoSchedule", "dedicated", "gpu", "NoSchedule")]
    [InlineData("spot:PreferNoSchedule", "spot", null, "PreferNoSchedule")]
    public void Taints_parse_as_kubectl_writes_them(string text, string key, string? value, string effect)
    {
        Assert.Equal(new Taint(key, value, effect), Taint.Parse(text));
        Assert.Equal(text, Taint.Parse(text)!.ToString());
    }

    [Theory]
    [InlineData("dedicated=gpu")]
    [InlineData("dedicated=gpu:Sometimes")]
    [InlineData(":NoSchedule")]
    public void Malformed_taints_are_refused(string text) => Assert.Null(Taint.Parse(text));
}
