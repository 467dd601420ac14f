using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Troupe.Actors.Deployments;
using Troupe.Actors.Hosting;
using Troupe.Actors.Nodes;
using Troupe.Actors.Pods;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;
using Troupe.Runtime.Images;

namespace Troupe.Actors.Gateway;

/// <summary>
/// The one door into the control plane, on every node: the HTTP adapter (the command line) and ClusterClient
/// (other .NET services) both send it <see cref="ITroupeMessage"/>s and get one back. It validates whole requests
/// before anything is applied, then routes: Deployments to their shard region, reads to the Catalog, logs and images
/// to the node. It is the edge, so it may Ask; each request runs as a task piped back to its sender, so the gateway
/// never blocks.
/// </summary>
public sealed partial class ApiGateway : ReceiveActor
{
    readonly ActorsSettings _settings;
    readonly IActorRef _deployments;
    readonly IActorRef _barePods;
    readonly IActorRef _services;
    readonly IActorRef _objects;
    readonly IActorRef _catalog;
    readonly IActorRef _nodeAgent;
    readonly IActorRef _directory;
    /// <summary>A cluster registry is configured (<c>troupe.runtime.node.image-registry</c>): workers pull what they lack.</summary>
    readonly bool _clusterRegistry;
    readonly ImageStore _images;
    readonly Pong _pong;
    readonly ILoggingAdapter _log = Context.GetLogger();

    public static Props Props(ActorsSettings settings, IActorRef deployments, IActorRef barePods, IActorRef services, IActorRef objects, IActorRef catalog, IActorRef nodeAgent,
        ImageStore images, Pong pong, IActorRef directory) =>
        Akka.Actor.Props.Create(() => new ApiGateway(settings, deployments, barePods, services, objects, catalog, nodeAgent, images, pong, directory));

    /// <param name="directory">The node directory: pods' nodes are reached through it.</param>
    public ApiGateway(ActorsSettings settings, IActorRef deployments, IActorRef barePods, IActorRef services, IActorRef objects, IActorRef catalog, IActorRef nodeAgent, ImageStore images, Pong pong,
        IActorRef directory)
    {
        _objects = objects;
        _settings = settings;
        _deployments = deployments;
        _barePods = barePods;
        _services = services;
        _catalog = catalog;
        _nodeAgent = nodeAgent;
        _directory = directory;
        _clusterRegistry = Context.System.Settings.Config.GetString("troupe.runtime.node.image-registry", "") is { Length: > 0 };
        _images = images;
        _pong = pong;

        Receive<Ping>(_ => Sender.Tell(_pong));
        Receive<GetObjects>(m => Reply(m, GetObjectsAsync(m)));
        Receive<ApplyObjects>(m => Reply(m, ApplyAsync(m)));
        Receive<ScaleDeployment>(m => Reply(m, ScaleAsync(m)));
        Receive<DeleteObject>(m => Reply(m, DeleteAsync(m)));
        Receive<RunPod>(m => Reply(m, RunPodAsync(m)));
        Receive<StopPodContainers>(m => Reply(m, StopPodContainersAsync(m)));
        Receive<GetContainerLog>(m => Reply(m, LogAsync(m)));
        Receive<GetImages>(m => Reply(m, ImagesAsync()));
        Receive<ImportImage>(m => Reply(m, ImportAsync(m)));
        ReceiveImageRequests();
        Receive<ShutdownNode>(_ =>
        {
            Sender.Tell(new CommandAccepted("shutting down"));
            var system = Context.System;
            system.Scheduler.Advanced.ScheduleOnce(TimeSpan.FromMilliseconds(100),
                () => CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance));
        });
        Receive<ITroupeMessage>(m => Sender.Tell(CommandRejected.Invalid($"{m.GetType().Name} is not a request")));
    }

    void Reply(ITroupeMessage request, Task<ITroupeMessage> work)
    {
        var log = _log;
        work.ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully) return t.Result;
            var e = t.Exception?.GetBaseException();
            if (e is NodeGoneException gone) return new CommandRejected("Unavailable", gone.Message);
            if (e is AskTimeoutException or TaskCanceledException)
                return new CommandRejected("Unavailable", $"the control plane did not answer {request.GetType().Name} in time");
            log.Error(e, "request {0} failed", request.GetType().Name);
            return new CommandRejected("Internal", e?.Message ?? "internal error");
        }).PipeTo(Sender);
    }

    async Task<ITroupeMessage> GetObjectsAsync(GetObjects m)
    {
        if (Kinds.Resolve(m.Kind) == "Node")
        {
            // every worker the node directory has heard from, with its membership status; this node's own at once
            var known = (await _directory.Ask<NodeDirectory.NodeList>(NodeDirectory.GetNodes.Instance, _settings.AskTimeout)).Nodes;
            if (!_nodeAgent.IsNobody() && known.All(n => n.Metadata.Name != _pong.NodeName))
                known = known.Add((await _nodeAgent.Ask<NodeDescribed>(DescribeNode.Instance, _settings.AskTimeout)).Node);
            Troupe.Actors.Catalog.LabelQuery? selector = null;
            if (!string.IsNullOrWhiteSpace(m.LabelSelector) && !Troupe.Actors.Catalog.LabelQuery.TryParse(m.LabelSelector, out selector, out var err))
                return CommandRejected.Invalid($"unable to parse requirement: {err}");
            var nodes = known.Where(n => (m.Name is null || n.Metadata.Name == m.Name) && (selector is null || selector!.Matches(n.Metadata.Labels)))
                .OrderBy(n => n.Metadata.Name, StringComparer.Ordinal).Cast<KubeObject>().ToImmutableArray();
            if (m.Name is not null && nodes.IsEmpty) return CommandRejected.NotFound($"nodes \"{m.Name}\" not found");
            return new ObjectList(nodes, 0);
        }
        return await _catalog.Ask<ITroupeMessage>(m, _settings.AskTimeout);
    }

    async Task<bool> ImagesFetchableAsync()
    {
        if (_clusterRegistry) return true;
        var nodes = (await _directory.Ask<NodeDirectory.NodeList>(NodeDirectory.GetNodes.Instance, _settings.AskTimeout)).Nodes;
        return nodes.Count(n => !n.Status.Roles.IsDefault && n.Status.Roles.Contains("worker")) > 1;
    }

    async Task<ITroupeMessage> ApplyAsync(ApplyObjects m)
    {
        // validate everything before applying anything: the same rules the command line checks, for callers
        // that come over ClusterClient without it
        var problems = Troupe.Api.Manifests.ManifestValidator.Check(m.Objects).Select(p => p.ToString()).ToList();
        // an image this node lacks is an error only where no node could get it: one node and no cluster registry
        // (in a cluster a worker fetches it from the node that has it, or from the registry; ErrImagePull otherwise)
        var fetchable = await ImagesFetchableAsync();
        async Task<bool> Missing(string image) => !fetchable && await _images.ResolveAsync(image) is null;
        foreach (var o in m.Objects)
        {
            switch (o)
            {
                case Deployment d:
                    if (d.Spec.Replicas > _settings.MaxReplicas)
                        problems.Add($"deployment.apps/{d.Metadata.Name}: spec.replicas: must be at most {_settings.MaxReplicas}");
                    foreach (var c in d.Spec.Template.Spec.InitContainers.Concat(d.Spec.Template.Spec.Containers))
                        if (await Missing(c.Image))
                            problems.Add($"deployment.apps/{d.Metadata.Name}: spec.template.spec.containers[{c.Name}].image: image \"{c.Image}\" is not in the node's image store (troupe load, build or pull it first)");
                    break;
                case Pod p:
                    foreach (var c in p.Spec.InitContainers.Concat(p.Spec.Containers))
                        if (await Missing(c.Image))
                            problems.Add($"pod/{p.Metadata.Name}: spec.containers[{c.Name}].image: image \"{c.Image}\" is not in the node's image store (troupe load, build or pull it first)");
                    break;
                case Service or ConfigMap or Namespace:
                    break;
                default:
                    problems.Add($"{Kinds.ResourceWord(o.Kind)}/{o.Metadata.Name}: kind {o.Kind} is parsed but not run by Troupe yet (only Deployments, Pods, Services, ConfigMaps and Namespaces)");
                    break;
            }
        }
        var (services, serviceProblems, warnings) = await PrepareServicesAsync(m);
        problems.AddRange(serviceProblems);
        problems.AddRange(await MissingNamespacesAsync(m));
        problems.AddRange(await ImmutableConfigMapChangesAsync(m));
        if (problems.Count > 0) return CommandRejected.Invalid(string.Join("; ", problems));

        var results = ImmutableArray.CreateBuilder<AppliedObject>();
        // namespaces and configmaps first: what pods read when they start is there before them
        if (await ApplyStoredAsync(m, results) is { } refused) return refused;
        foreach (var d in m.Objects.OfType<Deployment>())
        {
            string action;
            if (m.DryRun) action = await DryRunActionAsync("Deployment", d.Metadata);
            else
            {
                var reply = await _deployments.Ask<ITroupeMessage>(
                    new ApplyDeployment(DeploymentIds.Of(d.Metadata.Namespace, d.Metadata.Name), d), _settings.AskTimeout);
                if (reply is not CommandAccepted ok) return reply;
                action = ok.Message;
            }
            results.Add(new AppliedObject("Deployment", d.Metadata.Namespace, d.Metadata.Name, action));
        }
        foreach (var p in m.Objects.OfType<Pod>())
        {
            string action;
            if (m.DryRun) action = await DryRunActionAsync("Pod", p.Metadata);
            else
            {
                var reply = await _barePods.Ask<object>(new CreateBarePod(PodIds.Of(p.Metadata.Namespace, p.Metadata.Name), OnThisNode(p), false), _settings.AskTimeout);
                if (reply is not BarePodAccepted ok) return reply as ITroupeMessage ?? new CommandRejected("Internal", "unexpected reply");
                action = ok.Action;
            }
            results.Add(new AppliedObject("Pod", p.Metadata.Namespace, p.Metadata.Name, action));
        }
        if (await ApplyServicesAsync(services, m.DryRun, results) is { } failed) return failed;
        return new ObjectsApplied(results.ToImmutable(), 0) { Warnings = warnings.Count == 0 ? null : [.. warnings] };
    }

    /// <summary>What an apply would do to an object, from the Catalog: <c>configured</c> when it exists, else <c>created</c>.</summary>
    async Task<string> DryRunActionAsync(string kind, ObjectMeta meta) =>
        await _catalog.Ask<ITroupeMessage>(new GetObjects(kind, meta.Namespace, meta.Name), _settings.AskTimeout) is ObjectList
            ? "configured" : "created";

    async Task<ITroupeMessage> ScaleAsync(ScaleDeployment m)
    {
        if (m.Replicas < 0) return CommandRejected.Invalid($"replicas must be 0 or more, got {m.Replicas}");
        if (m.Replicas > _settings.MaxReplicas) return CommandRejected.Invalid($"replicas must be at most {_settings.MaxReplicas}, got {m.Replicas}");
        return await _deployments.Ask<ITroupeMessage>(new ScaleDeploymentTo(DeploymentIds.Of(m.Namespace, m.Name), m.Replicas), _settings.AskTimeout);
    }

    async Task<ITroupeMessage> DeleteAsync(DeleteObject m)
    {
        switch (Kinds.Resolve(m.Kind))
        {
            case "Deployment":
                return await _deployments.Ask<ITroupeMessage>(new DeleteDeployment(DeploymentIds.Of(m.Namespace, m.Name)), _settings.AskTimeout);
            case "Pod":
                var found = await _catalog.Ask<ITroupeMessage>(new GetObjects("Pod", m.Namespace, m.Name), _settings.AskTimeout);
                if (found is ObjectList { Items: [Pod pod, ..] } && !pod.Metadata.OwnerReferences.IsDefaultOrEmpty)
                {
                    // as in Kubernetes: the pod goes; its ReplicaSet makes a new one
                    await AskNodeAsync<PodStopped>(pod, new StopPod(pod.Metadata.Uid!, m.GracePeriodSeconds),
                        TimeSpan.FromSeconds((m.GracePeriodSeconds ?? pod.Spec.TerminationGracePeriodSeconds) + 30));
                    return new CommandAccepted("deleted");
                }
                // unknown to the catalog: not woken as an entity just to say so (sharding would remember it)
                if (found is not ObjectList { Items: [Pod, ..] }) return found is ObjectList ? CommandRejected.NotFound($"pods \"{m.Name}\" not found") : found;
                // a bare pod (apply, troupe run): its entity forgets it and stops it
                var grace = m.GracePeriodSeconds ?? (found is ObjectList { Items: [Pod bare, ..] } ? bare.Spec.TerminationGracePeriodSeconds : 30);
                return await _barePods.Ask<ITroupeMessage>(new DeleteBarePod(PodIds.Of(m.Namespace, m.Name), m.GracePeriodSeconds),
                    TimeSpan.FromSeconds(grace + 30));
            case "Service":
                return await _services.Ask<ITroupeMessage>(new Troupe.Actors.Services.DeleteService(Troupe.Actors.Services.ServiceIds.Of(m.Namespace, m.Name)), _settings.AskTimeout);
            case "ConfigMap" or "Namespace":
                return await DeleteStoredAsync(Kinds.Resolve(m.Kind)!, m);
            case null:
                return CommandRejected.Invalid($"the server doesn't have a resource type \"{m.Kind}\"");
            default:
                return CommandRejected.Invalid($"deleting {m.Kind} objects is not supported by Troupe yet");
        }
    }

    async Task<ITroupeMessage> RunPodAsync(RunPod m)
    {
        var (pod, unbindable) = WithFreeHostPorts(m.Pod);
        if (unbindable is not null) return CommandRejected.Invalid(unbindable);
        var problems = Troupe.Api.Manifests.ManifestValidator.Check(pod, null, dockerName: true).Select(p => p.ToString()).ToList();
        if (problems.Count > 0) return CommandRejected.Invalid(string.Join("; ", problems));
        foreach (var c in pod.Spec.Containers)
        {
            if (await _images.ResolveAsync(c.Image) is not { } image)
                return CommandRejected.NotFound($"Unable to find image '{c.Image}' in the node's image store (troupe build, load, import or pull it first)");
            // ps shows what runs: the image's entrypoint and command when the run gave neither
            if (c == pod.Spec.Containers[0] && c.Command.IsEmpty && c.Args.IsEmpty
                && pod.Metadata.Annotations.GetValueOrDefault(PodAnnotations.Command) is null or "")
                pod = pod with { Metadata = pod.Metadata with { Annotations = pod.Metadata.Annotations.SetItem(PodAnnotations.Command,
                    string.Join(' ', image.Config.Entrypoint.Concat(image.Config.Cmd))) } };
        }
        if (PortsTaken(pod) is { } taken) return CommandRejected.Invalid(taken);
        foreach (var v in pod.Spec.Volumes)
            if (v.HostPath is { } hp && !Directory.Exists(hp.Path) && !File.Exists(hp.Path))
                return CommandRejected.Invalid($"invalid mount config for type \"bind\": bind source path does not exist: {hp.Path}");
        var reply = await _barePods.Ask<object>(new CreateBarePod(PodIds.Of(pod.Metadata.Namespace, pod.Metadata.Name), OnThisNode(pod), true), _settings.AskTimeout);
        return reply is BarePodAccepted ok ? new CommandAccepted(ok.Uid) : reply as ITroupeMessage ?? new CommandRejected("Internal", "unexpected reply");
    }

    /// <summary>
    /// <c>run -p CONTAINER</c> asks for host port 0: a free one of this host is chosen now (the kernel's pick from
    /// its ephemeral range, as docker's), so <c>ps</c> and <c>get pods</c> show the port the pod is reached on.
    /// </summary>
    static (Pod Pod, string? Error) WithFreeHostPorts(Pod pod)
    {
        if (!pod.Spec.Containers.Any(c => c.Ports.Any(p => p.HostPort == 0))) return (pod, null);
        try
        {
            var containers = pod.Spec.Containers.Select(c => c with
            {
                Ports = [.. c.Ports.Select(p => p.HostPort == 0 ? p with { HostPort = FreeHostPort(p.HostIP ?? "0.0.0.0", p.Protocol) } : p)],
            }).ToList();
            return (pod with { Spec = pod.Spec with { Containers = [.. containers] } }, null);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or FormatException)
        {
            return (pod, $"no free host port to publish on: {e.Message}");
        }
    }

    static int FreeHostPort(string ip, string protocol)
    {
        var udp = protocol.Equals("UDP", StringComparison.OrdinalIgnoreCase);
        using var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork,
            udp ? System.Net.Sockets.SocketType.Dgram : System.Net.Sockets.SocketType.Stream,
            udp ? System.Net.Sockets.ProtocolType.Udp : System.Net.Sockets.ProtocolType.Tcp);
        s.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Parse(ip), 0));
        return ((System.Net.IPEndPoint)s.LocalEndPoint!).Port;
    }

    /// <summary>
    /// docker's refusal of a host port that is taken, before anything is created (the node binds it again when the
    /// pod starts; a port taken in between fails that pod's start with the same words).
    /// </summary>
    static string? PortsTaken(Pod pod)
    {
        var seen = new HashSet<(string, int)>();
        foreach (var p in pod.Spec.Containers.SelectMany(c => c.Ports).Where(p => p.HostPort is > 0))
        {
            var ip = p.HostIP ?? "0.0.0.0";
            var udp = p.Protocol.Equals("UDP", StringComparison.OrdinalIgnoreCase);
            if (!seen.Add((ip + (udp ? "/udp" : ""), p.HostPort!.Value))) return $"Bind for {ip}:{p.HostPort} failed: port is published twice";
            try
            {
                if (udp)
                {
                    using var u = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
                    u.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Parse(ip), p.HostPort.Value));
                }
                else
                {
                    var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Parse(ip), p.HostPort.Value);
                    l.Start();
                    l.Stop();
                }
            }
            catch (System.Net.Sockets.SocketException)
            {
                return $"Bind for {ip}:{p.HostPort} failed: port is already allocated";
            }
        }
        return null;
    }

    async Task<ITroupeMessage> StopPodContainersAsync(StopPodContainers m)
    {
        var found = await _catalog.Ask<ITroupeMessage>(new GetObjects("Pod", m.Namespace, m.Name), _settings.AskTimeout);
        if (found is not ObjectList { Items: [Pod pod, ..] }) return found;
        var grace = m.GracePeriodSeconds ?? pod.Spec.TerminationGracePeriodSeconds;
        await AskNodeAsync<PodHalted>(pod, new HaltPod(pod.Metadata.Uid!, m.Signal, m.GracePeriodSeconds), TimeSpan.FromSeconds(grace + 30));
        return new CommandAccepted(m.Signal is null ? "stopped" : "killed");
    }

    async Task<ITroupeMessage> LogAsync(GetContainerLog m)
    {
        var found = await _catalog.Ask<ITroupeMessage>(new GetObjects("Pod", m.Namespace, m.Pod), _settings.AskTimeout);
        if (found is not ObjectList { Items: [Pod pod, ..] }) return found;
        return await AskNodeAsync<ITroupeMessage>(pod, new GetPodLog(pod.Metadata.Uid!, m.Container, m.Previous, m.Tail), _settings.AskTimeout);
    }

    /// <summary>Asks the NodeAgent of the pod's node, wherever it is; a node that is gone is a clear refusal.</summary>
    async Task<T> AskNodeAsync<T>(Pod pod, object message, TimeSpan timeout)
    {
        var node = pod.Spec.NodeName ?? _pong.NodeName;
        var reply = await _directory.Ask<object>(new NodeDirectory.ToNode(node, message), timeout);
        return reply switch
        {
            T t => t,
            NodeDirectory.NodeUnavailable u => throw new NodeGoneException($"pod {pod.Metadata.Name} is on node {u.NodeName}, which is not in the cluster"),
            CommandRejected r when typeof(T) != typeof(ITroupeMessage) => throw new NodeGoneException(r.Reason),
            _ => throw new InvalidOperationException($"unexpected reply {reply.GetType().Name}"),
        };
    }

    /// <summary>A pod from this API without a node runs on this node when it is a worker (troupe run, a bare Pod).</summary>
    Pod OnThisNode(Pod pod) =>
        pod.Spec.NodeName is null && !_nodeAgent.IsNobody() ? pod with { Spec = pod.Spec with { NodeName = _pong.NodeName } } : pod;

    async Task<ITroupeMessage> ImagesAsync()
    {
        var list = await _images.ListAsync();
        return new ImageList(list.Select(i => new ImageSummary(i.Repository, i.Tag, i.Digest, i.Created, i.Size)).ToImmutableArray());
    }

    async Task<ITroupeMessage> ImportAsync(ImportImage m)
    {
        if (!File.Exists(m.TarPath)) return CommandRejected.Invalid($"open {m.TarPath}: no such file");
        try
        {
            var refs = await _images.LoadAsync(m.TarPath);
            return new CommandAccepted(string.Join("\n", refs.Select(r => $"Loaded image: {Short(r)}")));
        }
        catch (Exception e) when (e is InvalidDataException or IOException or FormatException or InvalidOperationException)
        {
            return CommandRejected.Invalid(e.Message.StartsWith(m.TarPath, StringComparison.Ordinal) ? e.Message : $"{m.TarPath}: {e.Message}");
        }
    }
}

/// <summary>A pod's node is not in the cluster (or refused): the request fails with the reason.</summary>
sealed class NodeGoneException(string message) : Exception(message);
