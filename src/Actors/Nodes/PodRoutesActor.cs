using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using Troupe.Api.Objects;
using Troupe.Runtime.Networking;

namespace Troupe.Actors.Nodes;

/// <summary>
/// One per worker with a pod network, at <c>/user/pod-routes</c>: keeps this host's routes to the pod CIDRs of the
/// workers on other machines (flannel's host-gw: <c>ip route replace CIDR via HOST</c>, no overlay). Every
/// <c>RouteSyncInterval</c> it asks the <see cref="NodeDirectory"/> for the nodes (their <c>spec.podCIDR</c> and
/// <c>status.addresses</c> come from their heartbeats; a node that left the cluster is no longer listed) and, when
/// a node's CIDR or address changed or a node came or left (or <c>RouteResyncInterval</c> passed), runs one pass:
/// the local addresses and this node's routes from the kernel, <see cref="PodRoutesReconciler.Plan"/>, then the
/// changes, on a task piped back to itself (one pass at a time). It turns on <c>net.ipv4.ip_forward</c> when it
/// keeps any route. <see cref="ClearRoutes"/> (the node's shutdown) removes every route it made and stops routing.
/// Conflicting CIDRs and routes the kernel refuses are logged as errors once each, until they change; a refused
/// route is tried again at the next resync.
/// </summary>
public sealed class PodRoutesActor : ReceiveActor, IWithTimers, IWithStash
{
    public const string Name = "pod-routes";

    /// <summary>The node stops: remove every route this node made; replies <see cref="RoutesCleared"/>. Local only.</summary>
    public sealed class ClearRoutes : INoSerializationVerificationNeeded
    {
        public static readonly ClearRoutes Instance = new();
    }

    /// <summary>Reply to <see cref="ClearRoutes"/>: the routes removed, or the error that kept some.</summary>
    public sealed record RoutesCleared(ImmutableArray<PodRoute> Removed, string? Error) : INoSerializationVerificationNeeded;

    sealed class Tick : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly Tick Instance = new();
    }

    sealed record Passed(RoutePlan? Plan, ImmutableArray<(NodeRoute Route, string Error)> Failed, bool ForwardingTurnedOn,
        string? Error) : INoSerializationVerificationNeeded;

    readonly IActorRef _directory;
    readonly RouteTable _table;
    readonly string _selfName;
    readonly Cidr _selfCidr;
    readonly TimeSpan _interval, _resync;
    readonly ILoggingAdapter _log = Context.GetLogger();
    readonly HashSet<string> _reported = new(StringComparer.Ordinal);
    string? _lastInput;
    DateTime _lastPass = DateTime.MinValue;
    /// <summary>
    /// Until then no route is removed: just after a start (a restart after kill -9 included) the directory has not
    /// heard every worker's heartbeat yet, and removing their routes would cut the adopted pods' traffic for a beat.
    /// </summary>
    readonly DateTime _removalsFrom = DateTime.UtcNow + RemovalWarmup;

    static readonly TimeSpan RemovalWarmup = TimeSpan.FromSeconds(5);
    bool _busy;

    public ITimerScheduler Timers { get; set; } = null!;
    public IStash Stash { get; set; } = null!;

    public static Props Props(IActorRef directory, RouteTable table, string selfName, Cidr selfCidr, TimeSpan interval, TimeSpan resync) =>
        Akka.Actor.Props.Create(() => new PodRoutesActor(directory, table, selfName, selfCidr, interval, resync));

    public PodRoutesActor(IActorRef directory, RouteTable table, string selfName, Cidr selfCidr, TimeSpan interval, TimeSpan resync)
    {
        _directory = directory;
        _table = table;
        _selfName = selfName;
        _selfCidr = selfCidr;
        _interval = interval;
        _resync = resync;
        Receive<Tick>(_ => _directory.Tell(NodeDirectory.GetNodes.Instance));
        Receive<NodeDirectory.NodeList>(OnNodes);
        Receive<Passed>(OnPassed);
        Receive<ClearRoutes>(_ =>
        {
            if (_busy) { Stash.Stash(); return; }
            Timers.CancelAll();
            var replyTo = Sender;
            Become(Clearing);
            _table.ClearAsync().ContinueWith(t => t.IsCompletedSuccessfully
                ? new RoutesCleared([.. t.Result], null)
                : new RoutesCleared([], t.Exception?.GetBaseException().Message ?? "cancelled")).PipeTo(replyTo);
        });
    }

    void Clearing()
    {
        Receive<ClearRoutes>(_ => Sender.Tell(new RoutesCleared([], null)));
        ReceiveAny(_ => { });
    }

    protected override void PreStart()
    {
        _log.Info("routes to other machines' pods: this node's pod CIDR is {0}; its routes are `ip route show proto {1} metric {2}`",
            _selfCidr, RouteTable.Protocol, _table.Metric);
        Timers.StartPeriodicTimer("tick", Tick.Instance, TimeSpan.Zero, _interval);
    }

    void OnNodes(NodeDirectory.NodeList list)
    {
        if (_busy) return;
        var peers = list.Nodes.Select(n => (n.Metadata.Name, n.Spec.PodCIDR, Host: NodeAddress.Preferred(n.Status.Addresses)))
            .OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        var input = string.Join(";", peers.Select(p => $"{p.Name}={p.PodCIDR}@{p.Host}"));
        if (input == _lastInput && DateTime.UtcNow - _lastPass < _resync) return;
        _lastInput = input;
        _lastPass = DateTime.UtcNow;
        _busy = true;
        PassAsync(peers).PipeTo(Self);
    }

    async Task<Passed> PassAsync(List<(string Name, string? PodCIDR, string? Host)> nodes)
    {
        try
        {
            var peers = new List<RoutePeer>();
            foreach (var (name, cidr, host) in nodes)
                peers.Add(new RoutePeer(name, cidr, host is null ? null : await ResolveAsync(host)));
            var local = await RouteTable.LocalAddressesAsync();
            var installed = await _table.ListAsync();
            var plan = PodRoutesReconciler.Plan(_selfName, _selfCidr, peers, local, installed);
            if (DateTime.UtcNow < _removalsFrom) plan = plan with { Remove = [] };
            foreach (var r in plan.Remove) await _table.DeleteAsync(r);
            var forwarding = !plan.Wanted.IsEmpty && await RouteTable.EnableForwardingAsync();
            var failed = ImmutableArray.CreateBuilder<(NodeRoute, string)>();
            foreach (var r in plan.Replace)
            {
                try { await _table.ReplaceAsync(r.Route); }
                catch (NetworkSetupException e) { failed.Add((r, e.Message)); }
            }
            return new Passed(plan, failed.ToImmutable(), forwarding, null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new Passed(null, [], false, e.Message);
        }
    }

    /// <summary>An IP as it is; a host name resolved (IPv4 first), or null when it does not resolve.</summary>
    static async Task<IPAddress?> ResolveAsync(string host)
    {
        if (IPAddress.TryParse(host, out var ip)) return ip;
        try
        {
            var all = await Dns.GetHostAddressesAsync(host);
            return all.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork);
        }
        catch (SocketException) { return null; }
    }

    void OnPassed(Passed p)
    {
        _busy = false;
        Stash.UnstashAll();
        // a pass in the warm-up kept routes it might have removed: the next tick looks again
        if (DateTime.UtcNow < _removalsFrom + _interval) _lastInput = null;
        if (p.Plan is not { } plan)
        {
            // tried again at the next resync, or sooner when a node changes
            _log.Warning("routes to other nodes' pods: {0}", p.Error);
            return;
        }
        if (p.ForwardingTurnedOn)
            _log.Info("turned on net.ipv4.ip_forward (it was off): this host now forwards between other nodes and its pod bridge");
        foreach (var r in plan.Remove)
            _log.Info("removed route {0} (its node left, moved or conflicts)", r);
        var failedNodes = p.Failed.Select(f => f.Route.Node).ToHashSet(StringComparer.Ordinal);
        foreach (var r in plan.Replace.Where(r => !failedNodes.Contains(r.Node)))
            _log.Info("route to node {0}'s pods: {1}", r.Node, r.Route);
        var now = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in plan.Conflicts)
        {
            now.Add(c.Message);
            if (_reported.Add(c.Message)) _log.Error("pod CIDR conflict: {0}", c.Message);
        }
        // same host, a member without pods and conflicts (logged above) are no news; anything else is a misconfiguration
        foreach (var (node, why) in plan.Unrouted.Where(u => u.Value is not ("same host" or "advertises no pod CIDR" or "its pod CIDR conflicts")))
        {
            var line = $"no route to node {node}'s pods: it {why}";
            now.Add(line);
            if (_reported.Add(line)) _log.Warning(line);
        }
        foreach (var (r, error) in p.Failed)
        {
            var line = $"no route to node {r.Node}'s pods ({r.Route}): {error}";
            now.Add(line);
            if (_reported.Add(line)) _log.Error(line + " (host-gw routing needs the nodes on one link; tried again every resync)");
        }
        _reported.IntersectWith(now);
    }
}
