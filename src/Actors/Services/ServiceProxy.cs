using System.Collections.Immutable;
using System.Net;
using Akka.Actor;
using Akka.Event;
using Troupe.Actors.Catalog;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;
using Troupe.Runtime.Networking;

namespace Troupe.Actors.Services;

/// <summary>
/// One per worker node: keeps the node's <see cref="ServiceBalancer"/> in step with the Services and their ready
/// endpoints in the Catalog. It reads the Catalog every <c>interval</c> (a local in-memory read, acted on only when
/// the Catalog's resourceVersion moved), so a pod that stops being ready leaves the balancer within that interval.
/// Each Service listens on its ClusterIP:port; NodePort and LoadBalancer Services also on 0.0.0.0:nodePort, and
/// LoadBalancer ones on 0.0.0.0:port (the node is the load balancer, as k3s and Docker Desktop do). A port it
/// cannot listen on is reported once as a Warning event on the Service.
/// </summary>
public sealed class ServiceProxy : ReceiveActor, IWithTimers
{
    sealed class Tick : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly Tick Instance = new();
    }

    sealed record Applied(long Version, IReadOnlyList<(string Owner, string Error)> Errors) : INoSerializationVerificationNeeded;

    readonly IActorRef _catalog;
    readonly ServiceBalancer _balancer;
    readonly ServiceNames? _names;
    readonly string _nodeName;
    readonly TimeSpan _interval;
    readonly ILoggingAdapter _log = Context.GetLogger();
    readonly HashSet<string> _reported = new();
    long _seenVersion = -1;
    bool _busy;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary><paramref name="names"/>: kept in step too, for the node's DNS server (null: none runs).</summary>
    public static Props Props(IActorRef catalog, ServiceBalancer balancer, string nodeName, TimeSpan interval, ServiceNames? names = null) =>
        Akka.Actor.Props.Create(() => new ServiceProxy(catalog, balancer, nodeName, interval, names));

    public ServiceProxy(IActorRef catalog, ServiceBalancer balancer, string nodeName, TimeSpan interval, ServiceNames? names = null)
    {
        _names = names;
        _catalog = catalog;
        _balancer = balancer;
        _nodeName = nodeName;
        _interval = interval;
        Receive<Tick>(_ => OnTick());
        Receive<Applied>(a =>
        {
            _busy = false;
            _seenVersion = a.Version;
            foreach (var (owner, error) in a.Errors)
            {
                if (!_reported.Add(owner + error)) continue;
                _log.Warning("service {0}: {1}", owner, error);
                foreach (var one in owner.Split(',', StringSplitOptions.RemoveEmptyEntries))
                {
                    var (ns, name) = one.IndexOf('/') is var i and > 0 ? (one[..i], one[(i + 1)..]) : ("default", one);
                    _catalog.Tell(new EventRecorded(new Event
                    {
                        InvolvedObject = new ObjectReference("Service", ns, name),
                        Reason = "FailedToListen", Type = "Warning", Message = error, LastTimestamp = DateTimeOffset.UtcNow,
                        Source = new EventSource("service-proxy", _nodeName),
                    }));
                }
            }
        });
        Receive<Status.Failure>(f =>
        {
            _busy = false;
            _seenVersion = -1;
            _log.Warning("service proxy: {0}", f.Cause.Message);
        });
    }

    protected override void PreStart() => Timers.StartPeriodicTimer("tick", Tick.Instance, TimeSpan.Zero, _interval);

    protected override void PostStop() => _balancer.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));

    void OnTick()
    {
        if (_busy) return;
        _busy = true;
        var catalog = _catalog;
        var balancer = _balancer;
        var seen = _seenVersion;
        var names = _names;
        async Task<object> Sync()
        {
            var services = await catalog.Ask<ITroupeMessage>(new GetObjects("Service", AllNamespaces: true), TimeSpan.FromSeconds(5));
            if (services is not ObjectList list) return new Applied(seen, []);
            if (list.ResourceVersion == seen) return new Applied(seen, []);
            var endpoints = await catalog.Ask<ITroupeMessage>(new GetObjects("Endpoints", AllNamespaces: true), TimeSpan.FromSeconds(5));
            var byName = (endpoints as ObjectList)?.Items.OfType<Endpoints>()
                .ToDictionary(e => (e.Metadata.Namespace, e.Metadata.Name)) ?? [];
            var wanted = Wanted(list.Items.OfType<Service>(), byName);
            if (names is not null)
            {
                // headless Services resolve to their ready pods
                var pods = list.Items.OfType<Service>().Any(s => s.Spec.ClusterIP == "None")
                    && await catalog.Ask<ITroupeMessage>(new GetObjects("Pod", AllNamespaces: true), TimeSpan.FromSeconds(5)) is ObjectList pl
                    ? pl.Items.OfType<Pod>().ToList() : [];
                names.Set(list.Items.OfType<Service>(), pods);
            }
            var errors = await balancer.ApplyAsync(wanted);
            // a port that could not be listened on is tried again on the next change, not on every tick
            return new Applied(list.ResourceVersion, errors);
        }
        Sync().PipeTo(Self);
    }

    /// <summary>The listeners a set of Services asks for, with their ready backends.</summary>
    public static List<BalancedPort> Wanted(IEnumerable<Service> services, IReadOnlyDictionary<(string, string), Endpoints> endpoints)
    {
        var wanted = new List<BalancedPort>();
        foreach (var svc in services)
        {
            if (svc.Spec.ClusterIP is not { } cip || cip == "None" || !IPAddress.TryParse(cip, out var clusterIp)) continue;
            var owner = $"{svc.Metadata.Namespace}/{svc.Metadata.Name}";
            endpoints.TryGetValue((svc.Metadata.Namespace, svc.Metadata.Name), out var ep);
            foreach (var port in svc.Spec.Ports)
            {
                var backends = ep is null ? ImmutableArray<IPEndPoint>.Empty : ep.Subsets
                    .SelectMany(s => s.Ports.Where(p => p.Name == port.Name && p.Protocol == port.Protocol)
                        .SelectMany(p => s.Addresses.Select(a => new IPEndPoint(IPAddress.Parse(a.Ip), p.Port))))
                    .ToImmutableArray();
                wanted.Add(new BalancedPort(clusterIp, port.Port, backends, owner));
                if (svc.Spec.Type is "NodePort" or "LoadBalancer" && port.NodePort is { } np)
                    wanted.Add(new BalancedPort(IPAddress.Any, np, backends, owner));
                if (svc.Spec.Type == "LoadBalancer")
                    wanted.Add(new BalancedPort(IPAddress.Any, port.Port, backends, owner));
            }
        }
        return wanted;
    }
}
