using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.Client;
using Akka.Event;
using Microsoft.Data.Sqlite;
using Troupe.Actors.Catalog;
using Troupe.Actors.Deployments;
using Troupe.Actors.Gateway;
using Troupe.Actors.Nodes;
using Troupe.Runtime.Drivers;
using Troupe.Runtime.Build;
using Troupe.Runtime.Images;

namespace Troupe.Actors.Hosting;

/// <summary>
/// <c>troupe-node</c>: the node host program that <c>troupe up</c>, <c>troupe node</c> and <c>troupe lighthouse</c> start.
/// It starts the ActorSystem, the node's actors and the HTTP API, then writes <c>$TROUPE_HOME/node.json</c>.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        NodeOptions options;
        try { options = NodeOptions.Parse(args); }
        catch (ArgumentException e) { Console.Error.WriteLine($"error: {e.Message}"); return 2; }

        var home = TroupeHome.Resolve();
        FileStream? homeLock = null;
        try
        {
            Directory.CreateDirectory(home);
            homeLock = TroupeHome.Lock(home);
            // A node killed with kill -9 keeps its lock until its last thread has exited, which can be a moment
            // after its main thread already shows as a zombie: wait a little before calling the home taken.
            for (var i = 0; homeLock is null && i < 50; i++)
            {
                Thread.Sleep(100);
                homeLock = TroupeHome.Lock(home);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: TROUPE_HOME={home}: {e.Message}");
            return 1;
        }
        if (homeLock is null)
        {
            Console.Error.WriteLine($"error: another Troupe node already runs with TROUPE_HOME={home}");
            return 1;
        }

        try
        {
            return await RunAsync(options, home);
        }
        catch (StartupException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        finally
        {
            TroupeHome.RemoveNodeFile(home, Environment.ProcessId);
            homeLock.Dispose();
        }
    }

    static async Task<int> RunAsync(NodeOptions options, string home)
    {
        var clusterName = ConfigLoader.ClusterName(options); // a bad name is refused before anything waits
        var driverName = DriverFactory.Choose(options.Driver, out var warning);
        if (warning is not null) Console.Error.WriteLine($"warning: {warning}");

        var db = Environment.GetEnvironmentVariable("TROUPE_DB") is { Length: > 0 } v ? v : null;
        if (db is null) EnableWal(home);
        else if (options.Mode != "lighthouse") await PostgresConnection.WaitAsync(db, TimeSpan.FromSeconds(60), Console.Error);
        // the Troupe version every member announces (Member.AppVersion); a --config may say otherwise (tests do)
        var config = ConfigLoader.Load(options, home, AppContext.BaseDirectory)
            .WithFallback(Akka.Configuration.ConfigurationFactory.ParseString($"akka.cluster.app-version = \"{Version}\""));
        if (db is null && options.Mode == "node" && config.GetStringList("akka.cluster.seed-nodes") is { Count: > 0 }
            && config.GetStringList("akka.cluster.roles").Contains("control"))
            Console.Error.WriteLine($"warning: this control node keeps its state in {Path.Combine(home, "state.db")}; " +
                "with more than one control node set TROUPE_DB (config/postgres.hocon) so a Deployment's shard moves with its state");
        CheckPortFree(config);
        var tls = TlsSettings.Create(config, home);
        var system = tls is null ? ActorSystem.Create(clusterName, config) : ActorSystem.Create(clusterName, TlsSetup(config, tls));
        var seedAddresses = (config.GetStringList("akka.cluster.seed-nodes") ?? []).Select(a => Address.Parse(a)).Select(a => $"{a.Host}:{a.Port}").ToList();
        // first, before the cluster dials its seeds: it watches the associations a join attempt makes
        var nameGuard = system.ActorOf(ClusterNameGuard.Props(clusterName, seedAddresses), ClusterNameGuard.Name);
        var log = Logging.GetLogger(system, "troupe-node");
        if (tls is not null)
            log.Info("TLS: remoting and the TCP command API present {0}; peers must chain to {1}{2}", tls.Certificate.Subject, tls.Ca.Subject,
                tls.RequireMutualAuthentication ? " and present their certificate" : "");
        var cluster = Cluster.Get(system);
        var isLighthouse = options.Mode == "lighthouse";
        var nodeName = options.Name ?? (options.Mode == "up" ? Environment.MachineName : $"{Environment.MachineName}-{cluster.SelfAddress.Port}");
        log.Info($"Troupe node {nodeName} ({options.Mode}) at {cluster.SelfAddress}, roles [{string.Join(",", cluster.SelfRoles)}], " +
            $"driver {driverName}, home {home}, seeds [{string.Join(",", config.GetStringList("akka.cluster.seed-nodes") ?? [])}]");

        if (config.GetStringList("akka.cluster.seed-nodes") is not { Count: > 0 })
            cluster.Join(cluster.SelfAddress);

        var up = new TaskCompletionSource();
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        var seeds = string.Join(", ", seedAddresses);
        for (var waited = 1; !up.Task.IsCompleted; waited++)
        {
            // Akka retries the seeds on its own; say so while it does (every 10 s), and why when we know
            var first = await Task.WhenAny(up.Task, system.WhenTerminated, Task.Delay(TimeSpan.FromSeconds(1)));
            if (first == system.WhenTerminated && !up.Task.IsCompleted)
                throw new StartupException(CoordinatedShutdown.Get(system).ShutdownReason?.GetType().Name == "TlsHandshakeFailureReason"
                    ? "the TLS handshake with the cluster failed: this node's certificate or the seed's does not chain to the other's CA (see the log)"
                    : "the node stopped before it joined its cluster");
            if (first == up.Task) break;
            var progress = await nameGuard.Ask<ClusterNameGuard.JoinProgress>(ClusterNameGuard.GetJoinProgress.Instance, TimeSpan.FromSeconds(5));
            var delay = progress.Explain(clusterName);
            if (progress.Mismatches.Length > 0 && progress.Mismatches.Length == seedAddresses.Distinct().Count())
            {
                await system.Terminate();
                throw new StartupException(delay!);
            }
            if (waited >= 60) throw new StartupException($"the node could not join its cluster within 60 s ({delay ?? $"are the seeds {seeds} up?"})");
            if (waited % 10 == 0)
                Console.Error.WriteLine($"troupe-node: not joined yet after {waited} s; still trying the seeds {seeds}{(delay is null ? "" : $" ({delay})")}");
        }

        if (Incompatible(cluster, config.GetString("akka.cluster.app-version")) is { } why)
        {
            await cluster.LeaveAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token).ContinueWith(_ => { });
            await system.Terminate();
            throw new StartupException(why);
        }

        var settings = ActorsSettings.Create(system);
        var catalog = system.ActorOf(CatalogActor.Props(settings), ActorNames.Catalog);
        var isWorker = !isLighthouse && cluster.SelfRoles.Contains("worker");
        var directory = system.ActorOf(NodeDirectory.Props(isWorker ? nodeName : null, settings.NodeUnknownGrace), NodeDirectory.Name);
        var scheduler = isLighthouse ? ActorRefs.Nobody : Troupe.Actors.Scheduling.SchedulerSingleton.Start(system, settings.SchedulerWarmup);
        ImageStore? images = null;
        IActorRef nodeAgent = ActorRefs.Nobody;
        IContainerDriver? driver = null;
        Troupe.Runtime.Networking.Bridge? bridge = null;
        ImageFetch? fetcher = null;
        if (isWorker)
        {
            images = new ImageStore(Path.Combine(home, "images"));
            try { await images.EnsureBusyboxAsync(); }
            catch (InvalidOperationException e)
            {
                // no static busybox on the host: the node still runs images that are loaded, imported or built
                Console.Error.WriteLine($"warning: busybox:latest cannot be made: {e.Message}");
            }
            driver = DriverFactory.Create(driverName, home, nodeName);
            var nodeSettings = NodeSettings.Create(system.Settings.Config, nodeName, home, cluster.SelfAddress.ToString(), driverName, cluster.SelfRoles.Order(StringComparer.Ordinal)) with
            {
                Labels = options.Labels.SetItem("kubernetes.io/hostname", nodeName),
                Taints = options.Taints,
                ApiAddress = options.ApiPort is { } apiPort ? $"{cluster.SelfAddress.Host}:{apiPort}" : null,
            };
            if (driverName == "runc" && Environment.IsPrivilegedProcess)
            {
                // Several nodes may share a host (and a host name): the bridge is this home's own; the pod CIDR is
                // derived from the home and the node name (machines that all use ~/.troupe differ by name), and a home
                // keeps the CIDR it has (network/ipam.json), so an upgraded node's running pods keep their addresses.
                var id = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Path.GetFullPath(home))));
                var cidr = Troupe.Runtime.Networking.PodCidr.Choose(Troupe.Runtime.Networking.PodCidr.Stored(home), home, nodeName);
                var network = new Troupe.Runtime.Networking.PodNetwork(home, $"{nodeName}-{id[..8]}", cidr);
                try { await network.Ipam.RememberAsync(); }
                catch (InvalidDataException e)
                {
                    throw new StartupException($"{Path.Combine(home, "network", "ipam.json")} is damaged ({e.Message}): remove it while the node has no pods");
                }
                nodeSettings = nodeSettings with
                {
                    Network = network,
                    Ports = new Troupe.Runtime.Networking.PortPublisher(),
                };
            }
            // Service and Compose names for pods: a DNS server on the pod bridge's gateway, the pods' nameserver
            Troupe.Actors.Services.ServiceNames? serviceNames = null;
            if (nodeSettings.Network is { } net)
            {
                try
                {
                    await net.Bridge.EnsureAsync();
                    var names = new Troupe.Actors.Services.ServiceNames();
                    var upstreams = File.Exists("/etc/resolv.conf")
                        ? Troupe.Runtime.Networking.DnsServer.UpstreamsFromResolvConf(await File.ReadAllTextAsync("/etc/resolv.conf")) : [];
                    var dns = Troupe.Runtime.Networking.DnsServer.Start(new System.Net.IPEndPoint(net.Bridge.Gateway, 53), names.Lookup, upstreams,
                        Troupe.Actors.Services.ServiceNames.Zone);
                    CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "dns", async () =>
                    {
                        await dns.DisposeAsync();
                        return Akka.Done.Instance;
                    });
                    serviceNames = names;
                    nodeSettings = nodeSettings with { Dns = true };
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    Console.Error.WriteLine($"warning: no DNS server for pods (they keep the host's resolvers): {e.Message}");
                }
            }
            var fetch = fetcher = new ImageFetch(images, new RegistryClient(), system.Settings.Config.GetString("troupe.runtime.node.image-registry", ""),
                ct => PeerApis(directory, nodeName, ct), Path.Combine(home, "images", "fetch"), tls);
            nodeAgent = system.ActorOf(NodeAgent.Props(nodeSettings, driver, new StorePodImages(images, fetch), catalog), ActorNames.NodeAgent);
            // every worker balances every Service's connections (its ClusterIPs on the pod bridge when there is one)
            var podNetwork = nodeSettings.Network;
            bridge = podNetwork?.Bridge;
            var balancer = new Troupe.Runtime.Networking.ServiceBalancer(podNetwork is null ? null : async () =>
            {
                await podNetwork.Bridge.EnsureAsync();
                return podNetwork.Bridge.Name;
            });
            system.ActorOf(Troupe.Actors.Services.ServiceProxy.Props(catalog, balancer, nodeName, settings.ServiceSyncInterval, serviceNames), ActorNames.ServiceProxy);
            // routes to the pods of workers on other machines (host-gw), removed again when this node stops
            if (podNetwork is not null)
            {
                var routes = system.ActorOf(PodRoutesActor.Props(directory, new Troupe.Runtime.Networking.RouteTable(podNetwork.NodeName),
                    nodeName, podNetwork.Ipam.Cidr, nodeSettings.RouteSyncInterval, nodeSettings.RouteResyncInterval), PodRoutesActor.Name);
                var agent = nodeAgent;
                CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "pod-routes", async () =>
                {
                    try
                    {
                        // the pods first (the same phase's "stop all pods" task; asking again only waits with it): a
                        // pod in its grace period still talks to other machines' pods
                        var phase = CoordinatedShutdown.Get(system).Timeout(CoordinatedShutdown.PhaseBeforeActorSystemTerminate);
                        try { await agent.Ask<NodeAgent.AllPodsStopped>(NodeAgent.StopAllPods.Instance, phase - TimeSpan.FromSeconds(12)); }
                        catch (AskTimeoutException) { /* the pods took the whole phase: the routes go anyway */ }
                        var cleared = await routes.Ask<PodRoutesActor.RoutesCleared>(PodRoutesActor.ClearRoutes.Instance, TimeSpan.FromSeconds(10));
                        if (cleared.Error is not null) Console.Error.WriteLine($"warning: routes to other nodes' pods left in place: {cleared.Error}");
                        else if (cleared.Removed.Length > 0) log.Info("removed {0} route(s) to other nodes' pods: {1}", cleared.Removed.Length, string.Join(", ", cleared.Removed));
                    }
                    catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
                    {
                        Console.Error.WriteLine($"warning: routes to other nodes' pods may be left in place: {e.Message}");
                    }
                    return Akka.Done.Instance;
                });
            }
        }
        images ??= new ImageStore(Path.Combine(home, "images"));
        // RUN steps run in runc containers: a node without runc (or not root) still builds Dockerfiles without RUN
        var builder = nodeAgent.IsNobody() ? null : new ImageBuilder(images, Path.Combine(home, "build"), DriverFactory.RuncPath) { Fetch = fetcher is null ? null : fetcher.FetchAsync };

        var region = isLighthouse ? ActorRefs.Nobody : DeploymentRegion.Start(system, settings, nodeName, catalog, scheduler);
        var barePods = isLighthouse ? ActorRefs.Nobody : Troupe.Actors.Pods.BarePodRegion.Start(system, settings, nodeName, catalog);
        var services = isLighthouse ? ActorRefs.Nobody : Troupe.Actors.Services.ServiceRegion.Start(system, settings, catalog);
        var objects = isLighthouse ? ActorRefs.Nobody : Troupe.Actors.Objects.StoredObjectRegion.Start(system, settings, catalog);
        var gateway = system.ActorOf(ApiGateway.Props(settings, region, barePods, services, objects, catalog, nodeAgent, images,
            new Troupe.Api.Protocol.Pong(nodeName, Version, cluster.SelfAddress.ToString(), driverName), directory), ActorNames.Gateway);
        ClusterClientReceptionist.Get(system).RegisterService(gateway);
        system.ActorOf(UndeliveredCommands.Props(), UndeliveredCommands.Name);

        var socket = Path.Combine(home, "troupe.sock");
        var http = await HttpApi.StartAsync(gateway, settings, socket, options.ApiPort, tls, log, images, builder, driver, nodeName,
            (node, ct) => ApiOf(directory, node, ct));

        TroupeHome.WriteNodeFile(home, new NodeFile(Environment.ProcessId, $"{cluster.SelfAddress.Host}:{cluster.SelfAddress.Port}",
            options.ApiPort is { } a ? $"127.0.0.1:{a}" : null, socket, nodeName, driverName));
        log.Info("Troupe node {0} accepts commands on {1}", nodeName, socket);

        // after before-actor-system-terminate, where the NodeAgent stops the pods; a task, so SIGTERM (the CLR's
        // shutdown hook) runs it too before the process exits
        // (once, awaited here as well: the system may finish terminating before the task has)
        var bridgeRemoval = new Lazy<Task>(() => bridge is null ? Task.CompletedTask : RemoveIdleBridgeAsync(bridge));
        if (bridge is not null)
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseActorSystemTerminate, "pod-bridge", async () =>
            {
                await bridgeRemoval.Value;
                return Akka.Done.Instance;
            });

        await system.WhenTerminated;
        await http.StopAsync();
        await bridgeRemoval.Value;
        return 0;
    }

    /// <summary>
    /// A node that stopped its pods leaves no pod bridge behind (a home removed after <c>troupe down</c> would leave it,
    /// with its address, for good); one with a pod still plugged in (the stop timed out) is kept for the next start.
    /// </summary>
    static async Task RemoveIdleBridgeAsync(Troupe.Runtime.Networking.Bridge bridge)
    {
        try
        {
            var ports = Path.Combine("/sys/class/net", bridge.Name, "brif");
            if (!Directory.Exists(ports) || Directory.EnumerateFileSystemEntries(ports).Any()) return;
            await bridge.DeleteAsync();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Console.Error.WriteLine($"warning: pod bridge {bridge.Name} left in place: {e.Message}");
        }
    }

    /// <summary>
    /// Remoting over TLS with the cluster certificate, a peer accepted only when its certificate chains to the
    /// cluster CA (Akka's own check trusts the system's roots, which never signed a cluster's own CA).
    /// </summary>
    static Akka.Actor.Setup.ActorSystemSetup TlsSetup(Akka.Configuration.Config config, TlsSettings tls)
    {
        var ssl = new Akka.Remote.Transport.DotNetty.DotNettySslSetup(tls.Certificate, suppressValidation: false,
            tls.RequireMutualAuthentication, validateCertificateHostname: false,
            (certificate, _, peer, _, log) =>
            {
                if (tls.ChainsToCa(certificate, out var why)) return true;
                log.Warning("TLS: refused {0}: its certificate {1} does not chain to the cluster CA {2}: {3}",
                    peer, certificate?.Subject ?? "(none)", tls.Ca.Subject, why);
                return false;
            });
        return BootstrapSetup.Create().WithConfig(config).And(ssl);
    }

    public static string Version => typeof(Program).Assembly.GetName().Version?.ToString(3) ?? "0.1.0";

    /// <summary>
    /// Members of another Troupe major.minor version than this node's (their <c>akka.cluster.app-version</c>): the
    /// persisted events and internal messages of one version are not promised to the other, so this node leaves.
    /// </summary>
    static string? Incompatible(Cluster cluster, string mine)
    {
        static string MajorMinor(string v) => string.Join('.', v.Split('.', '-', '+').Take(2));
        var other = cluster.State.Members.FirstOrDefault(m => !m.Address.Equals(cluster.SelfAddress)
            && MajorMinor(m.AppVersion.Version) != MajorMinor(mine));
        return other is null ? null
            : $"this node is Troupe {mine} but the cluster's member {other.Address.Host}:{other.Address.Port} runs {other.AppVersion.Version}: " +
              "the versions must agree on major.minor (upgrade the nodes together)";
    }

    /// <summary>
    /// A fixed cluster port another process listens on is an error before the actor system starts: Akka's transport
    /// binds with address reuse and would otherwise come up beside it on the same port.
    /// </summary>
    static void CheckPortFree(Akka.Configuration.Config config)
    {
        var port = config.GetInt("akka.remote.dot-netty.tcp.port", 0);
        if (port == 0) return;
        var host = config.GetString("akka.remote.dot-netty.tcp.hostname", "0.0.0.0");
        var address = System.Net.IPAddress.TryParse(host, out var ip) ? ip : System.Net.IPAddress.Any;
        using var probe = new System.Net.Sockets.Socket(address.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        // SO_REUSEADDR alone (SOL_SOCKET=1, SO_REUSEADDR=2): a port with connections in TIME_WAIT after a restart is
        // free, a port another process listens on is not (.NET's ReuseAddress would add SO_REUSEPORT, as Akka's does)
        probe.SetRawSocketOption(1, 2, BitConverter.GetBytes(1));
        try { probe.Bind(new System.Net.IPEndPoint(address, port)); }
        catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse)
        {
            throw new StartupException($"cluster port {host}:{port} is already in use (another node? choose another --port)");
        }
        catch (System.Net.Sockets.SocketException) { /* not ours to judge (an address not on this machine): Akka says */ }
    }

    /// <summary>The command APIs of the other nodes now up, as the node directory knows them.</summary>
    static async Task<IReadOnlyList<string>> PeerApis(IActorRef directory, string self, CancellationToken ct)
    {
        var list = await directory.Ask<NodeDirectory.NodeList>(NodeDirectory.GetNodes.Instance, TimeSpan.FromSeconds(5), ct);
        return [.. list.Nodes.Where(n => n.Metadata.Name != self && n.Status.Phase == "Up" && n.Status.Api is { Length: > 0 })
            .Select(n => n.Status.Api!)];
    }

    /// <summary>The command API of node <paramref name="node"/> as the node directory knows it, or why there is none to ask.</summary>
    static async Task<(string? Api, string? Why)> ApiOf(IActorRef directory, string node, CancellationToken ct)
    {
        var list = await directory.Ask<NodeDirectory.NodeList>(NodeDirectory.GetNodes.Instance, TimeSpan.FromSeconds(5), ct);
        return list.Nodes.FirstOrDefault(n => n.Metadata.Name == node) switch
        {
            null => (null, "is not in the cluster"),
            { Status.Phase: not "Up" } n => (null, $"is {n.Status.Phase}"),
            { Status.Api: not { Length: > 0 } } => (null, "has no command API (troupe node --api-port) to reach it through"),
            var n => (n.Status.Api, null),
        };
    }

    static void EnableWal(string home)
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(home, "state.db")}");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode=WAL;";
        cmd.ExecuteNonQuery();
    }
}

/// <summary>A failure at start that the user can act on: one line, exit 1.</summary>
public sealed class StartupException(string message) : Exception(message);

/// <summary><c>$TROUPE_HOME/node.json</c>: how the command line finds the local node.</summary>
public sealed record NodeFile(int Pid, string Address, string? Api, string Socket, string Name, string Driver);

/// <summary>The node's home folder, its lock and its node file.</summary>
public static class TroupeHome
{
    public static string Resolve() =>
        Path.GetFullPath(Environment.GetEnvironmentVariable("TROUPE_HOME") is { Length: > 0 } h
            ? h : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".troupe"));

    /// <summary>An exclusive lock on <c>node.lock</c>: one node process per home (SQLite is for one process). Null when taken.</summary>
    public static FileStream? Lock(string home)
    {
        try { return new FileStream(Path.Combine(home, "node.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (IOException e) when (e.HResult == 11 || e.Message.Contains("used by another process") || e.Message.Contains("lock")) { return null; }
    }

    public static void WriteNodeFile(string home, NodeFile f)
    {
        var tmp = Path.Combine(home, $"node.json.{f.Pid}.tmp");
        File.WriteAllText(tmp, JsonSerializer.Serialize(f, NodeFileJson.Default.NodeFile));
        File.Move(tmp, Path.Combine(home, "node.json"), overwrite: true);
    }

    public static void RemoveNodeFile(string home, int pid)
    {
        var path = Path.Combine(home, "node.json");
        try
        {
            if (File.Exists(path) && JsonSerializer.Deserialize(File.ReadAllText(path), NodeFileJson.Default.NodeFile)?.Pid == pid)
                File.Delete(path);
            var sock = Path.Combine(home, "troupe.sock");
            if (File.Exists(sock)) File.Delete(sock);
        }
        catch (Exception) { /* best effort at exit */ }
    }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(NodeFile))]
internal sealed partial class NodeFileJson : System.Text.Json.Serialization.JsonSerializerContext;
