using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Troupe.Actors.Hosting;
using Troupe.Api.Objects;

namespace Troupe.Actors.Nodes;

/// <summary>
/// One per member, at <c>/user/node-directory</c>: where each worker node's <see cref="NodeAgent"/> is, by node name.
/// Agents announce themselves with a <see cref="NodeHeartbeat"/> on the <see cref="NodeTopic.Name"/> pub-sub topic
/// every second; membership comes from Akka.Cluster (a removed member's nodes are gone). The control plane sends
/// to a node by name with <see cref="ToNode"/>: forwarded with the original sender, held while the node has not
/// announced itself yet, answered with <see cref="NodeUnavailable"/> when it is gone or stays unknown past the grace.
/// The local node's own agent is reached without waiting for its first heartbeat. Answers <see cref="GetNodes"/>.
/// </summary>
public sealed class NodeDirectory : ReceiveActor, IWithTimers
{
    public const string Name = "node-directory";

    /// <summary>Send <c>Message</c> to the agent of node <c>NodeName</c>, keeping the sender. Local only.</summary>
    public sealed record ToNode(string NodeName, object Message) : INoSerializationVerificationNeeded;

    /// <summary>Directory → sender of <see cref="ToNode"/>: the node is not (or no longer) in the cluster.</summary>
    public sealed record NodeUnavailable(string NodeName, object Message, bool Gone) : INoSerializationVerificationNeeded;

    /// <summary>Every node the directory knows, with its membership status. Replies <see cref="NodeList"/>.</summary>
    public sealed class GetNodes : INoSerializationVerificationNeeded
    {
        public static readonly GetNodes Instance = new();
    }

    public sealed record NodeList(ImmutableArray<Node> Nodes) : INoSerializationVerificationNeeded;

    sealed class Sweep : INoSerializationVerificationNeeded
    {
        public static readonly Sweep Instance = new();
    }

    sealed record Known(NodeHeartbeat Beat, DateTime At);

    sealed record Held(ToNode Message, IActorRef Sender, DateTime Since);

    readonly string? _localName;
    readonly TimeSpan _grace;
    readonly ILoggingAdapter _log = Context.GetLogger();
    readonly Dictionary<string, Known> _nodes = new(StringComparer.Ordinal);
    readonly HashSet<string> _gone = new(StringComparer.Ordinal);
    readonly List<Held> _held = new();
    readonly HashSet<Address> _unreachable = new();
    /// <summary>Every member: those that run no NodeAgent (a lighthouse, a control-only node) are listed from here.</summary>
    readonly Dictionary<Address, Member> _members = new();

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="localName">This member's own worker node, reached at <c>/user/node-agent</c> at once (null: none).</param>
    /// <param name="grace">How long a message to a node that has not announced itself is held.</param>
    public static Props Props(string? localName, TimeSpan grace) =>
        Akka.Actor.Props.Create(() => new NodeDirectory(localName, grace));

    public NodeDirectory(string? localName, TimeSpan grace)
    {
        _localName = localName;
        _grace = grace;

        Receive<NodeHeartbeat>(OnHeartbeat);
        Receive<ToNode>(m => Route(m, Sender));
        Receive<GetNodes>(_ => Sender.Tell(new NodeList(List())));
        Receive<Sweep>(_ => OnSweep());
        Receive<ClusterEvent.UnreachableMember>(m => _unreachable.Add(m.Member.Address));
        Receive<ClusterEvent.ReachableMember>(m => _unreachable.Remove(m.Member.Address));
        Receive<ClusterEvent.MemberRemoved>(m =>
        {
            _members.Remove(m.Member.Address);
            OnRemoved(m.Member.Address);
        });
        Receive<ClusterEvent.IMemberEvent>(m => _members[m.Member.Address] = m.Member);
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
        Receive<SubscribeAck>(_ => { });
    }

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("sweep", Sweep.Instance, TimeSpan.FromMilliseconds(500));
        if (Context.System.Settings.ProviderClass.Contains("Cluster", StringComparison.Ordinal))
        {
            Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
                typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
            DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(NodeTopic.Name, Self));
        }
    }

    protected override void PostStop()
    {
        if (Context.System.Settings.ProviderClass.Contains("Cluster", StringComparison.Ordinal))
            Cluster.Get(Context.System).Unsubscribe(Self);
    }

    void OnHeartbeat(NodeHeartbeat b)
    {
        var name = b.Node.Metadata.Name;
        if (!_nodes.ContainsKey(name)) _log.Info("node {0} announced itself from {1}", name, b.Agent.Path.Address);
        _nodes[name] = new Known(b, DateTime.UtcNow);
        _gone.Remove(name);
        for (var i = _held.Count - 1; i >= 0; i--)
        {
            if (_held[i].Message.NodeName != name) continue;
            b.Agent.Tell(_held[i].Message.Message, _held[i].Sender);
            _held.RemoveAt(i);
        }
    }

    void Route(ToNode m, IActorRef sender)
    {
        if (_nodes.TryGetValue(m.NodeName, out var k))
        {
            k.Beat.Agent.Tell(m.Message, sender);
            return;
        }
        if (m.NodeName == _localName)
        {
            Context.ActorSelection($"/user/{NodeAgent.Name}").Tell(m.Message, sender);
            return;
        }
        if (_gone.Contains(m.NodeName))
        {
            sender.Tell(new NodeUnavailable(m.NodeName, m.Message, Gone: true));
            return;
        }
        _held.Add(new Held(m, sender, DateTime.UtcNow));
    }

    void OnRemoved(Address address)
    {
        _unreachable.Remove(address);
        foreach (var (name, k) in _nodes.Where(kv => kv.Value.Beat.Agent.Path.Address.Equals(address)).ToList())
        {
            _log.Info("node {0} left the cluster ({1})", name, address);
            _nodes.Remove(name);
            _gone.Add(name);
        }
        for (var i = _held.Count - 1; i >= 0; i--)
        {
            if (!_gone.Contains(_held[i].Message.NodeName)) continue;
            _held[i].Sender.Tell(new NodeUnavailable(_held[i].Message.NodeName, _held[i].Message.Message, Gone: true));
            _held.RemoveAt(i);
        }
    }

    void OnSweep()
    {
        var now = DateTime.UtcNow;
        for (var i = _held.Count - 1; i >= 0; i--)
        {
            if (now - _held[i].Since < _grace) continue;
            _held[i].Sender.Tell(new NodeUnavailable(_held[i].Message.NodeName, _held[i].Message.Message, Gone: false));
            _held.RemoveAt(i);
        }
    }

    ImmutableArray<Node> List()
    {
        var workers = _nodes.Values.Select(k =>
        {
            var n = k.Beat.Node;
            var phase = _unreachable.Contains(k.Beat.Agent.Path.Address) ? "Unreachable"
                : DateTime.UtcNow - k.At > TimeSpan.FromSeconds(10) ? "NotReady" : n.Status.Phase;
            return n with { Status = n.Status with { Phase = phase } };
        });
        // members without a NodeAgent, named by their address (their --name lives in their NodeAgent only)
        var withAgent = _nodes.Values.Select(k => k.Beat.Agent.Path.Address).ToHashSet();
        var others = _members.Values.Where(m => !withAgent.Contains(m.Address) && !m.HasRole("worker")).Select(m => new Node
        {
            Metadata = new ObjectMeta { Name = $"{m.Address.Host}:{m.Address.Port}", Namespace = "" },
            Status = new NodeStatus
            {
                Roles = [.. m.Roles.Order(StringComparer.Ordinal)],
                Phase = _unreachable.Contains(m.Address) ? "Unreachable" : m.Status.ToString(),
                Address = m.Address.ToString(),
            },
        });
        return workers.Concat(others).OrderBy(n => n.Metadata.Name, StringComparer.Ordinal).ToImmutableArray();
    }
}

/// <summary>Topic on which every NodeAgent announces itself (<see cref="NodeHeartbeat"/>).</summary>
public static class NodeTopic
{
    public const string Name = "troupe-nodes";
}
