using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Troupe.Runtime.Containers;

namespace Troupe.Actors.Nodes;

/// <summary>
/// One worker node's settings, read once. <c>Home</c> is <c>$TROUPE_HOME</c> (pods live under
/// <c>Home/pods/&lt;uid&gt;/</c>); <c>Address</c> the node's cluster address (<c>akka.tcp://troupe@10.0.0.5:4053</c> or
/// <c>host:port</c>); <c>DriverName</c> the container driver's name (<c>runc</c>, <c>process</c>, <c>fake</c>), also the
/// scheme of <c>containerID</c>s. Keys: <c>troupe.runtime.node.adoption-claim-timeout</c>, <c>troupe.runtime.node.stop-slack</c>.
/// </summary>
public sealed record NodeSettings(
    string NodeName,
    string Home,
    string Address,
    string DriverName,
    RuntimeSettings Runtime,
    TimeSpan AdoptionClaimTimeout,
    TimeSpan StopSlack,
    ImmutableArray<string> Roles)
{
    /// <summary>
    /// The node's pod network (bridge, veth pairs, addresses) and port proxy; null where the driver cannot use them
    /// (not runc, not root). A pod that publishes ports (<c>hostPort</c>, <c>troupe run -p</c>) gets its own network
    /// namespace on the bridge and its ports proxied from the host.
    /// </summary>
    public Troupe.Runtime.Networking.PodNetwork? Network { get; init; }
    /// <summary>A DNS server answers Service names on the bridge's gateway: pods get it as their nameserver.</summary>
    public bool Dns { get; init; }

    public Troupe.Runtime.Networking.PortPublisher? Ports { get; init; }

    /// <summary>The node's labels (<c>troupe node --label K=V</c>), matched by pods' <c>nodeSelector</c>.</summary>
    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>The node's taints (<c>troupe node --taint K=V:NoSchedule</c>): only pods that tolerate them are placed here.</summary>
    public ImmutableArray<Troupe.Api.Objects.Taint> Taints { get; init; } = ImmutableArray<Troupe.Api.Objects.Taint>.Empty;

    /// <summary>How often the agent announces itself (<see cref="NodeHeartbeat"/>): <c>troupe.runtime.node.heartbeat-interval</c>.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the routes to other nodes' pods look at the node list: <c>troupe.runtime.node.route-sync-interval</c>.</summary>
    public TimeSpan RouteSyncInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often those routes are checked against the kernel even when no node changed: <c>troupe.runtime.node.route-resync-interval</c>.</summary>
    public TimeSpan RouteResyncInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The node's command API as other nodes reach it (<c>host:port</c>), or null without <c>--api-port</c>.</summary>
    public string? ApiAddress { get; init; }

    /// <summary>Pods this node takes at most (<c>troupe.runtime.node.max-pods</c>, Kubernetes' default 110).</summary>
    public int MaxPods { get; init; } = 110;

    /// <summary>Read from a full config (falls back to Troupe.Runtime's reference.conf).</summary>
    public static NodeSettings Create(Config config, string nodeName, string home, string address, string driverName,
        IEnumerable<string>? roles = null)
    {
        var c = (config ?? ConfigurationFactory.Empty).WithFallback(RuntimeSettings.DefaultConfig());
        if (string.IsNullOrWhiteSpace(nodeName)) throw new ArgumentException("node name is required", nameof(nodeName));
        return new NodeSettings(nodeName, Path.GetFullPath(home), address, driverName, RuntimeSettings.Create(c),
            c.GetTimeSpan("troupe.runtime.node.adoption-claim-timeout"),
            c.GetTimeSpan("troupe.runtime.node.stop-slack"),
            (roles ?? ["worker"]).ToImmutableArray())
        {
            HeartbeatInterval = c.GetTimeSpan("troupe.runtime.node.heartbeat-interval", TimeSpan.FromSeconds(1)),
            MaxPods = c.GetInt("troupe.runtime.node.max-pods", 110),
            RouteSyncInterval = c.GetTimeSpan("troupe.runtime.node.route-sync-interval", TimeSpan.FromSeconds(1)),
            RouteResyncInterval = c.GetTimeSpan("troupe.runtime.node.route-resync-interval", TimeSpan.FromSeconds(30)),
        };
    }

    /// <summary>Read from the actor system's configuration.</summary>
    public static NodeSettings Create(ActorSystem system, string nodeName, string home, string address, string driverName,
        IEnumerable<string>? roles = null) => Create(system.Settings.Config, nodeName, home, address, driverName, roles);

    /// <summary>A named volume's directory: <c>Home/volumes/NAME/_data</c>, as docker keeps them.</summary>
    public string VolumeDir(string name) =>
        Troupe.Api.Objects.VolumeNames.IsValid(name) ? Path.Combine(Home, "volumes", name, "_data") : throw new ArgumentException($"invalid volume name \"{name}\"");

    /// <summary><c>Home/pods</c>: one folder per pod UID.</summary>
    public string PodsDir => Path.Combine(Home, "pods");

    public string PodDir(string uid) => Path.Combine(PodsDir, uid);

    /// <summary>The pod as its owner sent it, persisted before anything starts.</summary>
    public string PodFile(string uid) => Path.Combine(PodDir(uid), "pod.json");

    /// <summary>What must survive a node restart: restart counts, last states, owner and epoch.</summary>
    public string StateFile(string uid) => Path.Combine(PodDir(uid), "state.json");

    /// <summary>One CRI-format log file per attempt: <c>pods/&lt;uid&gt;/logs/&lt;container&gt;/&lt;attempt&gt;.log</c>.</summary>
    public string LogFile(string uid, string container, int attempt) =>
        Path.Combine(PodDir(uid), "logs", container, $"{attempt}.log");

    /// <summary>The host part of <see cref="Address"/>: what <c>status.hostIP</c> shows.</summary>
    public string HostIP
    {
        get
        {
            var a = Address;
            var at = a.LastIndexOf('@');
            if (at >= 0) a = a[(at + 1)..];
            var scheme = a.IndexOf("://", StringComparison.Ordinal);
            if (scheme >= 0) a = a[(scheme + 3)..];
            if (a.StartsWith('['))
            {
                var end = a.IndexOf(']');
                return end > 0 ? a[1..end] : a;
            }
            var colon = a.LastIndexOf(':');
            return colon > 0 && a.IndexOf(':') == colon ? a[..colon] : a;
        }
    }
}
