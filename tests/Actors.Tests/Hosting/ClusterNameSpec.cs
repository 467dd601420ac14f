using Akka.Configuration;
using Troupe.Actors.Hosting;
using Xunit;

namespace Troupe.Actors.Tests.Hosting;

/// <summary>
/// The cluster's name (the ActorSystem's): <c>--cluster-name</c> &gt; <c>ACTORSYSTEM</c> &gt; <c>troupe</c>, checked
/// against Akka.NET's rule, and the name seeds given as <c>host:port</c> are dialled under (TLS seeds too).
/// </summary>
// sets ACTORSYSTEM and CLUSTER_SEEDS, restored after each test (xunit.runner.json runs no tests in parallel)
public sealed class ClusterNameSpec : IDisposable
{
    static readonly string Root = TlsSettingsSpec.FindRoot();
    readonly string _dir = Directory.CreateTempSubdirectory("troupe-name-spec-").FullName;
    readonly string? _actorSystem = Environment.GetEnvironmentVariable("ACTORSYSTEM");
    readonly string? _clusterSeeds = Environment.GetEnvironmentVariable("CLUSTER_SEEDS");

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("ACTORSYSTEM", _actorSystem);
        Environment.SetEnvironmentVariable("CLUSTER_SEEDS", _clusterSeeds);
        Directory.Delete(_dir, recursive: true);
    }

    static NodeOptions Node(params string[] args) => NodeOptions.Parse(["node", .. args]);

    Config Load(params string[] args) => ConfigLoader.Load(Node(args), _dir, Root);

    [Fact]
    public void The_cluster_name_must_be_troupe_unless_ACTORSYSTEM_or_the_flag_says_otherwise_and_the_flag_must_win()
    {
        Environment.SetEnvironmentVariable("ACTORSYSTEM", null);
        Assert.Equal("troupe", ConfigLoader.ClusterName(Node()));
        Assert.Equal("blue", ConfigLoader.ClusterName(Node("--cluster-name", "blue")));
        Environment.SetEnvironmentVariable("ACTORSYSTEM", "green");
        Assert.Equal("green", ConfigLoader.ClusterName(Node()));
        Assert.Equal("blue", ConfigLoader.ClusterName(Node("--cluster-name=blue")));
        Assert.Equal("green", ConfigLoader.ClusterName(NodeOptions.Parse(["lighthouse"])));
        Environment.SetEnvironmentVariable("ACTORSYSTEM", "");
        Assert.Equal("troupe", ConfigLoader.ClusterName(Node()));
    }

    [Theory]
    [InlineData("--cluster-name", "my_cluster", "--cluster-name \"my_cluster\" is not a cluster name")]
    [InlineData("--cluster-name", "-lead", "--cluster-name \"-lead\" is not a cluster name")]
    [InlineData("--cluster-name", "a b", "--cluster-name \"a b\" is not a cluster name")]
    [InlineData("--cluster-name", "x@y", "--cluster-name \"x@y\" is not a cluster name")]
    [InlineData("ACTORSYSTEM", "über", "ACTORSYSTEM \"über\" is not a cluster name")]
    public void A_name_Akka_refuses_must_be_one_line_naming_where_it_came_from(string from, string name, string start)
    {
        Environment.SetEnvironmentVariable("ACTORSYSTEM", from == "ACTORSYSTEM" ? name : null);
        var options = from == "ACTORSYSTEM" ? Node() : Node(from, name);
        var e = Assert.Throws<StartupException>(() => ConfigLoader.ClusterName(options));
        Assert.Equal($"{start}: use letters, digits and '-', not first", e.Message);
        Assert.Throws<StartupException>(() => ConfigLoader.Load(options, _dir, Root));
        // the rule is Akka's own: it refuses the same names
        Assert.Throws<ArgumentException>(() => Akka.Actor.ActorSystem.Create(name, "akka.loglevel = OFF"));
    }

    [Theory]
    [InlineData("troupe")]
    [InlineData("Other-2")]
    [InlineData("9lives")]
    public void A_name_Akka_takes_must_be_taken(string name) =>
        Assert.Equal(name, ConfigLoader.ClusterName(Node("--cluster-name", name)));

    [Fact]
    public void Seeds_given_as_host_and_port_must_be_dialled_under_the_nodes_cluster_name_and_full_addresses_kept()
    {
        Environment.SetEnvironmentVariable("ACTORSYSTEM", "other");
        Assert.Equal(["akka.tcp://other@127.0.0.1:4053", "akka.tcp://third@10.0.0.2:4053"],
            Load("--seed", "127.0.0.1:4053", "--seed", "akka.tcp://third@10.0.0.2:4053").GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal(["akka.tcp://blue@127.0.0.1:4053"], Load("--cluster-name", "blue", "--seed", "127.0.0.1:4053").GetStringList("akka.cluster.seed-nodes"));

        Environment.SetEnvironmentVariable("CLUSTER_SEEDS", "10.0.0.1:4053, 10.0.0.2:4053");
        Assert.Equal(["akka.tcp://blue@10.0.0.1:4053", "akka.tcp://blue@10.0.0.2:4053"],
            Load("--cluster-name", "blue").GetStringList("akka.cluster.seed-nodes"));
    }

    [Fact]
    public void With_tls_hocon_the_seeds_must_be_dialled_as_akka_ssl_tcp_under_the_cluster_name()
    {
        var tls = Path.Combine(Root, "config", "tls.hocon");
        Environment.SetEnvironmentVariable("ACTORSYSTEM", "other");
        Assert.Equal(["akka.ssl.tcp://other@127.0.0.1:4053"], Load("--seed", "127.0.0.1:4053", "--config", tls).GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal(["akka.ssl.tcp://blue@127.0.0.1:4053"],
            Load("--cluster-name", "blue", "--seed", "127.0.0.1:4053", "--config", tls).GetStringList("akka.cluster.seed-nodes"));
    }

    [Fact]
    public void A_config_file_that_is_missing_or_not_HOCON_is_one_line_at_start()
    {
        var missing = Path.Combine(_dir, "nowhere.hocon");
        Assert.Equal($"--config {missing}: no such file", Assert.Throws<StartupException>(() => Load("--config", missing)).Message);
        var broken = Path.Combine(_dir, "broken.hocon");
        File.WriteAllText(broken, "akka.cluster.roles = ${nowhere}\n");
        var e = Assert.Throws<StartupException>(() => Load("--config", broken));
        Assert.Equal($"--config {broken}: not valid HOCON: Unresolved substitution: nowhere", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Theory]
    [InlineData("x\"]}")]
    [InlineData("host")]
    [InlineData("host:port")]
    [InlineData("akka.tcp://troupe@")]
    public void A_seed_that_is_not_host_port_is_one_line_at_start(string seed) =>
        Assert.Equal($"seed \"{seed}\" is not host:port (or akka.tcp://NAME@host:port)",
            Assert.Throws<StartupException>(() => Load("--seed", seed)).Message);
}
