using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Akka.Remote;
using Troupe.Actors.Serialization;

namespace Troupe.Actors.Hosting;

/// <summary>
/// A seed's answer to a node that dialled it under another cluster name (ActorSystem name): sent by the seed's
/// <see cref="ClusterNameGuard"/> to the stranger's guard, which makes the stranger give up with one line.
/// </summary>
/// <param name="Seed">required: the seed's <c>host:port</c>, as the stranger dialled it</param>
/// <param name="SeedCluster">required: the seed's cluster name</param>
/// <param name="NodeCluster">required: the name the stranger dialled it under (its own)</param>
public sealed record ClusterNameMismatch(string Seed, string SeedCluster, string NodeCluster) : IInternalMessage
{
    /// <summary>The stranger's error line.</summary>
    public string Explain() =>
        $"the seed {Seed} is a member of cluster \"{SeedCluster}\", not \"{NodeCluster}\" (ACTORSYSTEM / --cluster-name must match)";
}

/// <summary>
/// Makes a cluster-name mismatch visible on both sides, which Akka alone does not (it drops the messages).
/// <para>
/// What Akka.Remote (classic, 1.5) does when a node named <c>x</c> dials a seed named <c>other</c> as
/// <c>akka.tcp://x@seed:4053</c>: the transport handshake succeeds (neither side checks the peer's system name), so the
/// node sees an outbound <see cref="AssociatedEvent"/> for the seed and the seed an inbound one carrying the node's
/// real address <c>akka.tcp://x@node:port</c>. Then every InitJoin is dropped by the seed's DefaultMessageDispatcher,
/// which finds the recipient <c>akka.tcp://x@seed:4053/</c> not local and logs an error
/// ("Dropping message [...] for non-local recipient [...] arriving at [akka.tcp://x@seed:4053] ..."). The node hears
/// nothing back: it cannot tell this from a seed that is slow, and never learns the seed's name.
/// </para>
/// <para>
/// As a seed (any member), this actor watches for that drop on the event stream: a message for this host and port
/// under another name. It warns once per stranger (the inbound association of that name) and tells the stranger's
/// guard (<see cref="ClusterNameMismatch"/>, addressed to its real name, so it is delivered). As a joining node,
/// it keeps what its seeds said, which seeds' transports answered and which of those answered an <see cref="Identify"/>
/// sent under this node's name (a seed that is not a Troupe node says nothing of its name: it drops the Identify when
/// the names differ), for <see cref="GetJoinProgress"/>.
/// </para>
/// </summary>
public sealed class ClusterNameGuard : ReceiveActor
{
    public const string Name = "cluster-name-guard";

    /// <summary>Asked by the node program while it waits to join; answered with <see cref="JoinProgress"/>.</summary>
    public sealed class GetJoinProgress : INoSerializationVerificationNeeded
    {
        public static readonly GetJoinProgress Instance = new();
        GetJoinProgress() { }
    }

    /// <summary>
    /// The seeds (<c>host:port</c>) whose transport accepted this node's association; of those, the ones that answered
    /// an <see cref="Identify"/> sent under this node's cluster name (so theirs is the same); and what seeds of another
    /// cluster name said (one per seed).
    /// </summary>
    public sealed record JoinProgress(ImmutableArray<string> Answering, ImmutableArray<string> SameName,
        ImmutableArray<ClusterNameMismatch> Mismatches) : INoSerializationVerificationNeeded
    {
        /// <summary>
        /// Why this node has not joined yet, when its seeds said or showed something: a Troupe seed of another cluster name
        /// said so (<see cref="ClusterNameMismatch"/>); a seed's transport accepted the association but the seed never
        /// answered under this node's name (a seed that is not a Troupe node says nothing more: likely another name); or
        /// it did answer under this name but did not let the node in (it is not a member itself yet, ...). Null when no
        /// seed answered.
        /// </summary>
        public string? Explain(string clusterName)
        {
            if (Mismatches.Length > 0)
                return string.Join("; ", Mismatches.Select(m => m.Explain()));
            var silent = Answering.Except(SameName).ToList();
            if (silent.Count > 0)
                return $"the seed{(silent.Count > 1 ? "s" : "")} {string.Join(", ", silent)} answer{(silent.Count > 1 ? "" : "s")} " +
                    $"but {(silent.Count > 1 ? "do" : "does")} not let this node join: a different cluster name (this node's is \"{clusterName}\")?";
            if (SameName.Length > 0)
                return $"the seed{(SameName.Length > 1 ? "s" : "")} {string.Join(", ", SameName)} of cluster \"{clusterName}\" " +
                    $"answer{(SameName.Length > 1 ? "" : "s")} but {(SameName.Length > 1 ? "have" : "has")} not let this node join yet";
            return null;
        }
    }

    /// <summary>The format of Akka.Remote's drop (DefaultMessageDispatcher, Endpoint.cs), its arguments: payload type, recipient, recipient address, our addresses.</summary>
    const string NonLocalDrop = "Dropping message [{0}] for non-local recipient [{1}]";

    readonly string _clusterName;
    readonly ImmutableHashSet<string> _seeds;
    readonly ILoggingAdapter _log = Context.GetLogger();
    readonly Dictionary<Address, int> _inbound = [];
    readonly HashSet<string> _warned = [];
    readonly HashSet<string> _answering = [];
    readonly HashSet<string> _sameName = [];
    readonly Dictionary<string, ClusterNameMismatch> _mismatches = [];

    /// <param name="clusterName">this node's cluster (ActorSystem) name</param>
    /// <param name="seeds">the seeds this node dials, <c>host:port</c></param>
    public static Props Props(string clusterName, IEnumerable<string> seeds) =>
        Akka.Actor.Props.Create(() => new ClusterNameGuard(clusterName, seeds.ToImmutableHashSet()));

    public ClusterNameGuard(string clusterName, ImmutableHashSet<string> seeds)
    {
        _clusterName = clusterName;
        _seeds = seeds;
        // here rather than in PreStart: the cluster dials its seeds as soon as the system is up
        Context.System.EventStream.Subscribe(Self, typeof(AssociatedEvent));
        Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));
        Context.System.EventStream.Subscribe(Self, typeof(Error));

        Receive<AssociatedEvent>(e =>
        {
            if (e.IsInbound) _inbound[e.RemoteAddress] = _inbound.GetValueOrDefault(e.RemoteAddress) + 1;
            else if (_seeds.Contains(HostPort(e.RemoteAddress)))
            {
                _answering.Add(HostPort(e.RemoteAddress));
                Ask(e.RemoteAddress);
            }
        });
        Receive<DisassociatedEvent>(e =>
        {
            if (e.IsInbound && _inbound.TryGetValue(e.RemoteAddress, out var n) && --n <= 0)
            {
                _inbound.Remove(e.RemoteAddress);
                _warned.Remove(e.RemoteAddress.ToString());
            }
            else if (!e.IsInbound) _answering.Remove(HostPort(e.RemoteAddress));
        });
        // any answer, even "no such actor", comes only from a system of this node's name: one of another name drops it
        Receive<ActorIdentity>(id => { if (id.MessageId is string seed && _answering.Contains(seed)) _sameName.Add(seed); });
        Receive<Error>(e => OnError(e));
        Receive<ClusterNameMismatch>(m =>
        {
            if (_seeds.Contains(m.Seed) && m.NodeCluster == _clusterName) _mismatches[m.Seed] = m;
        });
        Receive<GetJoinProgress>(_ =>
        {
            Sender.Tell(new JoinProgress([.. _answering.Order()], [.. _sameName.Order()], [.. _mismatches.Values.OrderBy(m => m.Seed)]));
            // asked again while the node waits: an Identify lost with a first association is not the last word
            foreach (var seed in _answering.Except(_sameName).Except(_mismatches.Keys)) Ask(AddressOf(seed));
        });
    }

    Address AddressOf(string seed)
    {
        var self = ((ExtendedActorSystem)Context.System).Provider.DefaultAddress;
        var colon = seed.LastIndexOf(':');
        return new Address(self.Protocol, _clusterName, seed[..colon], int.Parse(seed[(colon + 1)..]));
    }

    /// <summary>An <see cref="Identify"/> to the seed's guard under this node's cluster name.</summary>
    void Ask(Address seed) =>
        Context.ActorSelection(new RootActorPath(new Address(seed.Protocol, _clusterName, seed.Host, seed.Port)) / "user" / Name)
            .Tell(new Identify(HostPort(seed)));

    void OnError(Error e)
    {
        if (e.Message is not LogMessage { Format: { } format } message || !format.StartsWith(NonLocalDrop, StringComparison.Ordinal)) return;
        var args = message.Parameters().ToArray();
        var self = ((ExtendedActorSystem)Context.System).Provider.DefaultAddress;
        if (args.Length < 3 || args[2] is not Address dialled || dialled.System == self.System
            || dialled.Host != self.Host || dialled.Port != self.Port) return;

        var seed = HostPort(dialled);
        var strangers = _inbound.Keys.Where(a => a.System == dialled.System).ToList();
        if (strangers.Count == 0)
        {
            if (_warned.Add(dialled.System))
                _log.Warning("a message for cluster \"{0}\" reached {1}, a member of cluster \"{2}\", and was dropped (ACTORSYSTEM / --cluster-name must match)",
                    dialled.System, seed, _clusterName);
            return;
        }
        foreach (var stranger in strangers)
        {
            if (_warned.Add(stranger.ToString()))
                _log.Warning("the node {0} tries to join cluster \"{1}\" through {2}, a member of cluster \"{3}\": its messages are dropped " +
                    "(ACTORSYSTEM / --cluster-name must match)", HostPort(stranger), stranger.System, seed, _clusterName);
            // every time (each of its join attempts): cheap, and a lost answer is sent again
            Context.ActorSelection(new RootActorPath(stranger) / "user" / Name).Tell(new ClusterNameMismatch(seed, _clusterName, stranger.System));
        }
    }

    static string HostPort(Address a) => $"{a.Host}:{a.Port}";
}
