using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Troupe.Actors.Hosting;
using Xunit;

namespace Troupe.Actors.Tests.Hosting;

/// <summary>
/// Real Akka remoting in one process: a node dials its seed under its own cluster name, and the seed's name differs
/// (or not). What each side learns, through <see cref="ClusterNameGuard"/>.
/// </summary>
public sealed class ClusterNameGuardSpec : IAsyncLifetime
{
    readonly List<ActorSystem> _systems = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var s in _systems) await s.Terminate();
    }

    ActorSystem System(string name, string provider = "cluster", string seeds = "")
    {
        var s = ActorSystem.Create(name, ConfigurationFactory.ParseString($$"""
            akka.loglevel = INFO
            akka.stdout-loglevel = OFF
            akka.loggers = []
            akka.actor.provider = {{provider}}
            akka.actor.serializers.troupe-internal = "Troupe.Actors.Serialization.InternalSerializer, troupe-node"
            akka.actor.serialization-bindings { "Troupe.Actors.Serialization.IInternalMessage, troupe-node" = troupe-internal }
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
            akka.cluster.seed-nodes = [{{seeds}}]
            """));
        _systems.Add(s);
        return s;
    }

    static string HostPort(ActorSystem s) => $"127.0.0.1:{((ExtendedActorSystem)s).Provider.DefaultAddress.Port}";

    /// <summary>A node named NAME that dials SEED under its own name, with its guard; the seeds' JoinProgress once it satisfies WANT.</summary>
    /// <param name="settle">once <paramref name="want"/> holds, how long to wait before asking the progress once more</param>
    async Task<ClusterNameGuard.JoinProgress> Joiner(string name, ActorSystem seed, Func<ClusterNameGuard.JoinProgress, bool> want,
        TimeSpan? settle = null)
    {
        var node = System(name, seeds: $"\"akka.tcp://{name}@{HostPort(seed)}\"");
        var guard = node.ActorOf(ClusterNameGuard.Props(name, [HostPort(seed)]), ClusterNameGuard.Name);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var p = await guard.Ask<ClusterNameGuard.JoinProgress>(ClusterNameGuard.GetJoinProgress.Instance, TimeSpan.FromSeconds(3));
            if (want(p) && settle is { } wait)
            {
                await Task.Delay(wait);
                return await guard.Ask<ClusterNameGuard.JoinProgress>(ClusterNameGuard.GetJoinProgress.Instance, TimeSpan.FromSeconds(3));
            }
            if (want(p) || DateTime.UtcNow > deadline) return p;
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task A_Troupe_seed_of_another_name_must_tell_the_node_its_name_and_warn_once_naming_the_node()
    {
        var seed = System("other");
        var warnings = new List<string>();
        var listener = seed.ActorOf(Props.Create(() => new WarningCollector(warnings)));
        seed.EventStream.Subscribe(listener, typeof(Warning));
        seed.ActorOf(ClusterNameGuard.Props("other", []), ClusterNameGuard.Name);

        var p = await Joiner("troupe", seed, p => p.Mismatches.Length > 0);

        Assert.Equal<ClusterNameMismatch>([new ClusterNameMismatch(HostPort(seed), "other", "troupe")], p.Mismatches);
        Assert.Equal($"the seed {HostPort(seed)} is a member of cluster \"other\", not \"troupe\" (ACTORSYSTEM / --cluster-name must match)",
            p.Explain("troupe"));
        await Task.Delay(5500); // the node's next join attempt is dropped too: still one warning
        lock (warnings)
        {
            var mine = warnings.Where(w => w.Contains("tries to join")).ToList();
            Assert.Single(mine);
            Assert.Matches($"^the node 127\\.0\\.0\\.1:\\d+ tries to join cluster \"troupe\" through {HostPort(seed).Replace(".", "\\.")}, " +
                "a member of cluster \"other\": its messages are dropped \\(ACTORSYSTEM / --cluster-name must match\\)$", mine[0]);
        }
    }

    [Fact]
    public async Task A_seed_of_another_name_that_says_nothing_must_show_as_answering_but_not_under_this_name()
    {
        var seed = System("other"); // no guard: a plain Akka node, as Petabridge Lighthouse is
        // 2 s: time for an Identify to be answered (asked again at each look), were the names the same
        var p = await Joiner("troupe", seed, p => p.Answering.Length > 0, settle: TimeSpan.FromSeconds(2));
        Assert.Equal<string>([HostPort(seed)], p.Answering);
        Assert.Empty(p.SameName);
        Assert.Empty(p.Mismatches);
        Assert.Equal($"the seed {HostPort(seed)} answers but does not let this node join: a different cluster name (this node's is \"troupe\")?",
            p.Explain("troupe"));
    }

    [Fact]
    public async Task A_seed_of_the_same_name_that_is_not_a_member_yet_must_show_as_answering_under_this_name()
    {
        var seed = System("troupe"); // never joins itself: it answers InitJoin with a Nack
        var p = await Joiner("troupe", seed, p => p.SameName.Length > 0);
        Assert.Equal<string>([HostPort(seed)], p.SameName);
        Assert.Equal($"the seed {HostPort(seed)} of cluster \"troupe\" answers but has not let this node join yet", p.Explain("troupe"));
    }

    sealed class WarningCollector : ReceiveActor
    {
        public WarningCollector(List<string> into) => Receive<Warning>(w => { lock (into) into.Add(w.Message.ToString() ?? ""); });
    }
}
