using System.Collections.Immutable;
using Akka;
using Akka.Actor;
using Akka.Event;
using Troupe.Actors.Catalog;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;
using Troupe.Runtime.Containers;
using Troupe.Runtime.Drivers;
using Troupe.Runtime.Networking;

namespace Troupe.Actors.Nodes;

/// <summary>
/// One pod on this node, child of the <see cref="NodeAgent"/> (named by the pod UID), alive as long as the pod.
/// Persists the pod (<c>pod.json</c>) before anything starts, prepares each container's image, builds its
/// <see cref="ContainerLaunch"/> and runs it as a <see cref="ContainerActor"/> child. Its supervisor strategy is
/// the self-healing: a container's exit fails its ContainerActor, the decider asks the pure
/// <see cref="RestartPolicy"/>, stops the child and (restart) schedules a new attempt after the
/// <see cref="RestartBackoff"/> delay, showing <c>CrashLoopBackOff</c> meanwhile. Restart counts and last states
/// live in <c>state.json</c> and survive a node restart. On every status change: <see cref="PodStatusChanged"/> to
/// the owner and <see cref="ObjectObserved"/> to the catalog; events (Pulled, Created, Started, Killing, BackOff,
/// Failed) as <see cref="EventRecorded"/>. On <see cref="StopPod"/>: graceful stop of every container, remove them
/// and the pod folder, <see cref="PodStopped"/> to each requester, <see cref="ObjectForgotten"/>, stop.
/// PreStart always reads the real state (state.json and the driver's containers of this pod), so a restarted or
/// adopted sandbox watches running attempts instead of starting duplicates.
/// </summary>
public sealed class PodSandbox : ReceiveActor, IWithTimers, IWithStash
{
    /// <summary>
    /// <paramref name="adopted"/>: the pod was found on disk after a node restart (pod.json is not rewritten);
    /// <paramref name="owner"/> may be null until a <see cref="Claim"/> arrives.
    /// </summary>
    public static Props Props(NodeSettings settings, IContainerDriver driver, IPodImageSource images, IActorRef catalog,
        Pod pod, string ownerKey, long epoch, IActorRef? owner, bool adopted) =>
        Akka.Actor.Props.Create(() => new PodSandbox(settings, driver, images, catalog, pod, ownerKey, epoch, owner, adopted))
            .WithDeploy(Deploy.Local);

    /// <summary>NodeAgent → sandbox: a (new) owner claims the pod; it receives the current status at once.</summary>
    public sealed record Claim(IActorRef Owner, string OwnerKey, long Epoch) : INoSerializationVerificationNeeded;

    #region INTERNAL messages
    private sealed record Initialized(PodSandboxState State, IReadOnlyList<ContainerRecord> Records,
        PodNetworkInfo? Network = null, IReadOnlyList<IAsyncDisposable>? Published = null, string? NetworkError = null) : INoSerializationVerificationNeeded;
    private sealed record InitFailed(Exception Cause) : INoSerializationVerificationNeeded;
    private sealed record ImageReady(string Name, int Generation, PodImage Image, PodInputs Inputs) : INoSerializationVerificationNeeded;
    private sealed record ImageFailed(string Name, int Generation, Exception Cause) : INoSerializationVerificationNeeded;
    private sealed record RestartDue(string Name, int Generation) : INoSerializationVerificationNeeded, IDeadLetterSuppression;
    private sealed record ProbeDue(string Name, string Kind, int Epoch) : INoSerializationVerificationNeeded, IDeadLetterSuppression;
    private sealed record ProbeDone(string Name, string Kind, int Epoch, ProbeOutcome Outcome) : INoSerializationVerificationNeeded, IDeadLetterSuppression;
    private sealed class StopTimedOut : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly StopTimedOut Instance = new();
    }
    private sealed class Removed : INoSerializationVerificationNeeded
    {
        public static readonly Removed Instance = new();
    }
    #endregion

    /// <summary>One pod container across its attempts (actor-private, mutable).</summary>
    private sealed class Track(Container spec)
    {
        public Container Spec { get; } = spec;
        public string Name => Spec.Name;
        public ContainerStage Stage = ContainerStage.Creating;
        public string? WaitingReason = "ContainerCreating";
        public string? WaitingMessage;
        public int RestartCount;
        public int Attempt;
        public RestartBackoff Backoff;
        public ContainerStateTerminated? LastTerminated;
        public ContainerStateTerminated? Terminated;
        public DateTimeOffset? StartedAt;
        public DateTimeOffset? LastExitAt;
        public int? Pid;
        public int StopSignal = ContainerActor.SigTerm;
        public string? ImageId;
        public IActorRef? Actor;
        public bool Adopting;
        public int Generation;
        public int ImageFailures;
        /// <summary>Probes of the current attempt: a result of an older attempt carries an older epoch.</summary>
        public int ProbeEpoch;
        /// <summary>The readiness probe's verdict (true without one); the startup probe passed (true without one).</summary>
        public bool Ready = true;
        public bool StartupPassed = true;
        public readonly Dictionary<string, (int Passes, int Fails)> ProbeRuns = new();
    }

    private readonly NodeSettings _settings;
    private readonly IContainerDriver _driver;
    private readonly IPodImageSource _images;
    private readonly IActorRef _catalog;
    private readonly bool _adopted;
    private readonly string _uid;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<Track> _tracks = new();
    private readonly HashSet<string> _pendingStops = new();
    private readonly List<IActorRef> _stopRequesters = new();
    private Pod _pod;
    private string _ownerKey;
    private long _epoch;
    private IActorRef? _owner;
    private DateTimeOffset? _startTime;
    private string? _lastPublished;
    private Task _saves = Task.CompletedTask;
    private bool _stopping;
    private bool _halted;
    private PodNetworkInfo? _network;
    private IReadOnlyList<IAsyncDisposable> _published = [];
    private string? _networkError;
    private readonly List<IActorRef> _haltWaiters = new();
    private bool _removing;
    private DateTimeOffset? _deletionTimestamp;
    private int _childSeq;
    private int _eventSeq;

    public ITimerScheduler Timers { get; set; } = null!;
    public IStash Stash { get; set; } = null!;

    public PodSandbox(NodeSettings settings, IContainerDriver driver, IPodImageSource images, IActorRef catalog,
        Pod pod, string ownerKey, long epoch, IActorRef? owner, bool adopted)
    {
        _settings = settings;
        _driver = driver;
        _images = images;
        _catalog = catalog;
        _pod = pod with { Status = null };
        _uid = pod.Metadata.Uid ?? throw new ArgumentException("pod has no uid");
        _ownerKey = ownerKey;
        _epoch = epoch;
        _owner = owner;
        _adopted = adopted;
        Initializing();
    }

    private string PodName => _pod.Metadata.Name;
    private string Namespace => _pod.Metadata.Namespace;

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(ex =>
    {
        // Runs on this actor's thread while it handles the child's failure: safe to touch our state.
        if (ex is ContainerExitedException cee) OnContainerFailed(cee);
        else _log.Error(ex, "container supervisor of pod {0} failed", PodName);
        return Directive.Stop;
    }, loggingEnabled: false);

    #region Initializing
    protected override void PreStart()
    {
        var podFile = _settings.PodFile(_uid);
        var stateFile = _settings.StateFile(_uid);
        var podJson = ProtocolJson.Serialize(_pod);
        var write = !_adopted;
        var uid = _uid;
        var driver = _driver;
        var network = _settings.Network;
        var proxy = _settings.Ports;
        var hostname = _pod.Spec.Hostname ?? PodName;
        var publish = PublishedPorts(_pod);
        async Task<Initialized> Init()
        {
            if (write) await AtomicFile.WriteAsync(podFile, podJson);
            var state = await PodSandboxState.LoadAsync(stateFile) ?? new PodSandboxState();
            var all = await driver.ListAsync();
            var mine = all.Where(r => r.Labels.TryGetValue(ContainerLaunchBuilder.LabelPodUid, out var u) && u == uid).ToList();
            if (network is null) return new Initialized(state, mine);
            // Every pod: its own network namespace with an address on the node's bridge; a proxy per published port.
            PodNetworkInfo? info = null;
            var published = new List<IAsyncDisposable>();
            try
            {
                info = await network.SetupAsync(uid, hostname);
                foreach (var p in proxy is null ? [] : publish)
                {
                    var hostIp = p.HostIP is { Length: > 0 } ip ? System.Net.IPAddress.Parse(ip) : System.Net.IPAddress.Any;
                    published.Add(p.Protocol.Equals("UDP", StringComparison.OrdinalIgnoreCase)
                        ? UdpPublishedPort.Start(hostIp, p.HostPort!.Value, new System.Net.IPEndPoint(info.IP, p.ContainerPort))
                        : await proxy!.PublishAsync(hostIp, p.HostPort!.Value, info.IP, p.ContainerPort));
                }
                return new Initialized(state, mine, info, published);
            }
            catch (Exception ex) when (ex is PortInUseException or NetworkSetupException or IpamExhaustedException or FormatException or System.Net.Sockets.SocketException)
            {
                foreach (var p in published) await p.DisposeAsync();
                if (info is not null) try { await network.TeardownAsync(uid); } catch (Exception) { /* reported below */ }
                return new Initialized(state, mine, NetworkError: ex.Message);
            }
        }
        Init().PipeTo(Self, success: i => i, failure: ex => new InitFailed(ex));
    }

    private void Initializing()
    {
        Receive<Initialized>(OnInitialized);
        Receive<InitFailed>(m => throw new IOException($"pod {PodName} ({_uid}): cannot read its state: {m.Cause.Message}", m.Cause));
        ReceiveAny(_ => Stash.Stash());
    }

    /// <summary>The container ports the pod publishes on the host (<c>hostPort</c>, TCP or UDP).</summary>
    internal static List<PortSpec> PublishedPorts(Pod pod) =>
        pod.Spec.Containers.SelectMany(c => c.Ports).Where(p => p.HostPort is > 0 && p.Protocol.ToUpperInvariant() is "TCP" or "UDP").ToList();

    private void OnInitialized(Initialized init)
    {
        var state = init.State;
        _network = init.Network;
        _published = init.Published ?? [];
        _networkError = init.NetworkError;
        if (string.IsNullOrEmpty(_ownerKey) || state.Epoch > _epoch && !string.IsNullOrEmpty(state.OwnerKey))
        {
            _ownerKey = state.OwnerKey;
            _epoch = state.Epoch;
        }
        _startTime = state.StartTime ?? DateTimeOffset.UtcNow;
        var toLaunch = new List<Track>();
        foreach (var spec in _pod.Spec.Containers)
        {
            var t = new Track(spec);
            if (state.Containers.TryGetValue(spec.Name, out var s))
            {
                t.RestartCount = s.RestartCount;
                t.Attempt = s.Attempt;
                t.Backoff = new RestartBackoff(s.Backoff);
                t.LastTerminated = s.LastTerminated;
                t.Terminated = s.Terminated;
                t.LastExitAt = s.LastExitAt;
                t.StopSignal = s.StopSignal;
                t.ImageId = s.ImageId;
            }
            _tracks.Add(t);
            var id = ContainerLaunchBuilder.ContainerId(_uid, spec.Name);
            var rec = init.Records.FirstOrDefault(r => r.Id == id);
            if (rec is { Status: "Running" or "Paused", Pid: { } pid })
            {
                // Adopt: the same process keeps running; only watch it.
                var started = new StartedContainer(id, pid, rec.StartedAt ?? DateTimeOffset.UtcNow);
                t.Stage = ContainerStage.Running;
                t.Terminated = null;
                t.Pid = pid;
                t.StartedAt = started.StartedAt;
                t.WaitingReason = null;
                t.Adopting = true;
                t.Actor = Context.ActorOf(ContainerActor.Adopt(spec.Name, _driver, started, t.StopSignal), ChildName(t));
                Context.Watch(t.Actor);
                _log.Info("pod {0}: adopted running container {1} (pid {2})", PodName, spec.Name, pid);
            }
            else if (t.Terminated is not null)
            {
                t.Stage = ContainerStage.Terminated;
                t.WaitingReason = null;
            }
            else if (rec?.Exit is { } exit && exit.FinishedAt != t.LastExitAt)
            {
                // It exited while nobody watched: decide now, as if we had seen it.
                HandleExit(t, exit, rec.StartedAt, false, null);
            }
            else toLaunch.Add(t);
        }
        foreach (var t in toLaunch) Launch(t);
        SaveState();
        Publish();
        Become(Active);
        Stash.UnstashAll();
    }
    #endregion

    #region Active
    private void Active()
    {
        Receive<ImageReady>(OnImageReady);
        Receive<ImageFailed>(OnImageFailed);
        Receive<ContainerStarted>(OnContainerStarted);
        Receive<ContainerExited>(m => _log.Debug("pod {0}: container {1} exited with {2}", PodName, m.Name, m.Exit.ExitCode));
        Receive<ContainerStopped>(OnContainerStopped);
        Receive<ProbeDue>(OnProbeDue);
        Receive<ProbeDone>(OnProbeDone);
        Receive<RestartDue>(m =>
        {
            var t = Find(m.Name);
            if (t is null || _stopping || m.Generation != t.Generation || t.Actor is not null) return;
            Launch(t);
            Publish();
        });
        Receive<Terminated>(OnChildTerminated);
        Receive<Claim>(OnClaim);
        Receive<StopPod>(OnStopPod);
        Receive<HaltPod>(OnHaltPod);
        Receive<StopTimedOut>(_ =>
        {
            _log.Warning("pod {0}: containers [{1}] did not stop in time; removing anyway", PodName, string.Join(",", _pendingStops));
            _pendingStops.Clear();
            CheckStopped();
        });
        Receive<Removed>(_ => OnRemoved());
        Receive<GetPodLog>(OnGetPodLog);
    }

    private void Launch(Track t)
    {
        t.Generation++;
        t.Stage = ContainerStage.Creating;
        t.WaitingReason = "ContainerCreating";
        t.WaitingMessage = null;
        t.Pid = null;
        t.Adopting = false;
        var (name, gen, image) = (t.Name, t.Generation, t.Spec.Image);
        PrepareAsync(image).PipeTo(Self,
            success: ready => new ImageReady(name, gen, ready.Image, ready.Inputs),
            failure: ex => new ImageFailed(name, gen, ex is AggregateException { InnerException: { } inner } ? inner : ex));
    }

    /// <summary>The image, and the ConfigMaps the pod refers to as the Catalog has them now (the kubelet reads them per start).</summary>
    private async Task<(PodImage Image, PodInputs Inputs)> PrepareAsync(string reference)
    {
        var image = PrepareImage(reference);
        var wanted = PodInputs.ConfigMapsOf(_pod);
        // read on the actor's thread, before the first await
        var (podIp, hostIp, ns, catalog) = (_network?.IP.ToString(), _settings.HostIP, Namespace, _catalog);
        var configMaps = new Dictionary<string, ConfigMap>(StringComparer.Ordinal);
        if (!wanted.IsEmpty && await catalog.Ask<ITroupeMessage>(new GetObjects("ConfigMap", ns), TimeSpan.FromSeconds(5)) is ObjectList list)
            foreach (var cm in list.Items.OfType<ConfigMap>().Where(c => wanted.Contains(c.Metadata.Name)))
                configMaps[cm.Metadata.Name] = cm;
        return (await image, new PodInputs(configMaps, podIp, hostIp));
    }

    private Task<PodImage> PrepareImage(string reference)
    {
        try { return _images.PrepareAsync(reference); }
        catch (Exception ex) { return Task.FromException<PodImage>(ex); }
    }

    private void OnImageReady(ImageReady m)
    {
        var t = Find(m.Name);
        if (t is null || _stopping || m.Generation != t.Generation) return;
        t.ImageFailures = 0;
        Record("Pulled", $"Container image \"{t.Spec.Image}\" already present on machine");
        ContainerLaunch launch;
        try
        {
            if (_networkError is not null) throw new ContainerStartException(_networkError, 125);
            launch = ContainerLaunchBuilder.Build(_pod, t.Spec, m.Image, _settings, _ownerKey, t.Attempt, m.Inputs);
            if (_network is not null)
                launch = launch with
                {
                    NetworkNamespacePath = _network.NetnsPath,
                    ResolvConf = _settings.Dns ? Troupe.Runtime.Networking.DnsServer.PodResolvConf(_network.Gateway, Namespace, Troupe.Actors.Services.ServiceNames.Zone) : null,
                };
            Directory.CreateDirectory(Path.GetDirectoryName(launch.LogPath)!);
        }
        catch (Exception ex) when (ex is ContainerStartException or ArgumentException or FormatException or IOException)
        {
            var code = ex is ContainerStartException cse ? cse.ExitCode : 128;
            HandleExit(t, new ContainerExit(ContainerLaunchBuilder.ContainerId(_uid, t.Name), code, DateTimeOffset.UtcNow), null, true, ex.Message);
            SaveState();
            Publish();
            return;
        }
        t.StopSignal = ContainerLaunchBuilder.StopSignal(m.Image.StopSignal);
        t.ImageId = m.Image.ImageId;
        t.Actor = Context.ActorOf(ContainerActor.Props(t.Name, _driver, launch, t.StopSignal), ChildName(t));
        Context.Watch(t.Actor);
        Record("Created", $"Created container {t.Name}");
        Publish();
    }

    private void OnImageFailed(ImageFailed m)
    {
        var t = Find(m.Name);
        if (t is null || _stopping || m.Generation != t.Generation) return;
        t.ImageFailures++;
        t.WaitingReason = t.ImageFailures > 1 ? "ImagePullBackOff" : "ErrImagePull";
        t.WaitingMessage = m.Cause.Message;
        Record("Failed", m.Cause.Message, "Warning");
        var delay = RestartBackoff.DelayFor(t.ImageFailures, _settings.Runtime.RestartBackoff);
        Timers.StartSingleTimer(RestartTimer(t), new RestartDue(t.Name, t.Generation), delay);
        Publish();
    }

    private void OnContainerStarted(ContainerStarted m)
    {
        var t = Find(m.Name);
        if (t is null || !Sender.Equals(t.Actor)) return;
        t.Stage = ContainerStage.Running;
        t.Pid = m.Pid;
        t.StartedAt = m.StartedAt;
        t.WaitingReason = null;
        t.WaitingMessage = null;
        if (!t.Adopting) Record("Started", $"Started container {t.Name}");
        t.Adopting = false;
        StartProbes(t);
        SaveState();
        Publish();
    }

    #region Probes
    private static Probe? ProbeOf(Track t, string kind) => kind switch
    {
        "Startup" => t.Spec.StartupProbe,
        "Liveness" => t.Spec.LivenessProbe,
        _ => t.Spec.ReadinessProbe,
    };

    /// <summary>A new attempt runs: the startup probe first (when there is one), then liveness and readiness.</summary>
    private void StartProbes(Track t)
    {
        t.ProbeEpoch++;
        t.ProbeRuns.Clear();
        t.StartupPassed = t.Spec.StartupProbe is null;
        t.Ready = t.Spec.ReadinessProbe is null;
        if (!t.StartupPassed) Schedule(t, "Startup", initial: true);
        else StartRunningProbes(t);
    }

    private void StartRunningProbes(Track t)
    {
        if (t.Spec.LivenessProbe is not null) Schedule(t, "Liveness", initial: true);
        if (t.Spec.ReadinessProbe is not null) Schedule(t, "Readiness", initial: true);
    }

    private void Schedule(Track t, string kind, bool initial)
    {
        var probe = ProbeOf(t, kind)!;
        var delay = TimeSpan.FromSeconds(initial ? probe.InitialDelaySeconds : probe.PeriodSeconds);
        Timers.StartSingleTimer($"probe-{t.Name}-{kind}", new ProbeDue(t.Name, kind, t.ProbeEpoch), delay);
    }

    private void OnProbeDue(ProbeDue m)
    {
        var t = Find(m.Name);
        if (t is null || t.ProbeEpoch != m.Epoch || t.Stage != ContainerStage.Running || _stopping) return;
        var probe = ProbeOf(t, m.Kind)!;
        var timeout = TimeSpan.FromSeconds(probe.TimeoutSeconds);
        var host = _network?.IP ?? System.Net.IPAddress.Loopback;
        int Port(IntOrString p) => p.Number ?? t.Spec.Ports.FirstOrDefault(x => x.Name == p.Value)?.ContainerPort ?? 0;
        var driver = _driver;
        var id = ContainerLaunchBuilder.ContainerId(_uid, t.Name);
        Task<ProbeOutcome> run = probe switch
        {
            { HttpGet: { } hg } => Prober.HttpGetAsync(hg.Scheme, host, Port(hg.Port), hg.Path, hg.HttpHeaders.Select(h => (h.Name, h.Value)), timeout),
            { TcpSocket: { } ts } => Prober.TcpAsync(host, Port(ts.Port), timeout),
            { Exec: { } ex } => Prober.ExecAsync(driver, id, ex.Command, timeout),
            _ => Task.FromResult(new ProbeOutcome(true, "")),
        };
        run.PipeTo(Self, success: o => new ProbeDone(m.Name, m.Kind, m.Epoch, o),
            failure: e => new ProbeDone(m.Name, m.Kind, m.Epoch, new ProbeOutcome(false, e.Message)));
    }

    private void OnProbeDone(ProbeDone m)
    {
        var t = Find(m.Name);
        if (t is null || t.ProbeEpoch != m.Epoch || t.Stage != ContainerStage.Running || _stopping) return;
        var probe = ProbeOf(t, m.Kind)!;
        var (passes, fails) = t.ProbeRuns.GetValueOrDefault(m.Kind);
        (passes, fails) = m.Outcome.Passed ? (passes + 1, 0) : (0, fails + 1);
        t.ProbeRuns[m.Kind] = (passes, fails);
        if (!m.Outcome.Passed) Record("Unhealthy", $"{m.Kind} probe failed: {m.Outcome.Detail}", "Warning");
        switch (m.Kind)
        {
            case "Startup" when m.Outcome.Passed:
                t.StartupPassed = true;
                Publish();
                StartRunningProbes(t);
                return;
            case "Startup" or "Liveness" when fails >= probe.FailureThreshold:
                // as the kubelet: the container is killed, and restarted (or not) as its restartPolicy says
                Record("Killing", $"Container {t.Name} failed {m.Kind.ToLowerInvariant()} probe, will be restarted");
                t.ProbeEpoch++;
                _ = _driver.KillAsync(ContainerLaunchBuilder.ContainerId(_uid, t.Name), ContainerActor.SigKill);
                return;
            case "Readiness":
                var ready = passes >= probe.SuccessThreshold ? true : fails >= probe.FailureThreshold ? false : t.Ready;
                if (ready != t.Ready)
                {
                    t.Ready = ready;
                    Publish();
                }
                break;
        }
        Schedule(t, m.Kind, initial: false);
    }
    #endregion

    /// <summary>The decider's work: the attempt ended (or could not start); ask the policy.</summary>
    private void OnContainerFailed(ContainerExitedException e)
    {
        var t = Find(e.Name);
        if (t?.Actor is null) return;
        t.Actor = null;
        HandleExit(t, e.Exit, e.StartedAt, e.StartFailed, e.Detail);
        SaveState();
        Publish();
    }

    private void HandleExit(Track t, ContainerExit exit, DateTimeOffset? startedAt, bool startFailed, string? detail)
    {
        var term = new ContainerStateTerminated
        {
            ExitCode = exit.ExitCode,
            Signal = exit.Signal,
            Reason = startFailed ? "StartError" : exit.Reason,
            Message = detail,
            StartedAt = startedAt,
            FinishedAt = exit.FinishedAt,
            ContainerID = $"{_settings.DriverName}://{ContainerLaunchBuilder.ContainerId(_uid, t.Name)}",
        };
        t.LastExitAt = exit.FinishedAt;
        t.Pid = null;
        t.Adopting = false;
        if (_stopping)
        {
            t.Stage = ContainerStage.Terminated;
            t.Terminated = term;
            _pendingStops.Remove(t.Name);
            CheckStopped();
            return;
        }
        if (startFailed) Record("Failed", $"Error: {detail}", "Warning");
        if (_halted || RestartPolicy.Decide(_pod.Spec.RestartPolicy, exit) == RestartDecision.Terminate)
        {
            t.Stage = ContainerStage.Terminated;
            t.Terminated = term;
            t.WaitingReason = null;
            _log.Info("pod {0}: container {1} terminated ({2}, exit code {3}); restartPolicy {4}",
                PodName, t.Name, term.Reason, exit.ExitCode, _pod.Spec.RestartPolicy);
            return;
        }
        t.LastTerminated = term;
        t.RestartCount++;
        t.Attempt++;
        var ranFor = startedAt is { } s ? exit.FinishedAt - s : TimeSpan.Zero;
        var (delay, next) = t.Backoff.NextRestart(ranFor, _settings.Runtime.RestartBackoff);
        t.Backoff = next;
        if (delay <= TimeSpan.Zero)
        {
            Launch(t);
            return;
        }
        t.Generation++;
        t.Stage = ContainerStage.Waiting;
        t.WaitingReason = "CrashLoopBackOff";
        t.WaitingMessage = $"back-off {RestartBackoff.Format(delay)} restarting failed container={t.Name} pod={PodName}";
        Record("BackOff", $"Back-off restarting failed container {t.Name} in pod {PodName}_{Namespace}({_uid})", "Warning");
        Timers.StartSingleTimer(RestartTimer(t), new RestartDue(t.Name, t.Generation), delay);
    }

    private void OnChildTerminated(Terminated m)
    {
        var t = _tracks.FirstOrDefault(x => m.ActorRef.Equals(x.Actor));
        if (t is null) return; // already handled by the decider or by ContainerStopped
        t.Actor = null;
        _log.Warning("pod {0}: the actor of container {1} stopped unexpectedly", PodName, t.Name);
        HandleExit(t, new ContainerExit(ContainerLaunchBuilder.ContainerId(_uid, t.Name), 255, DateTimeOffset.UtcNow),
            t.StartedAt, false, "container supervision stopped unexpectedly");
        SaveState();
        Publish();
    }

    private void OnClaim(Claim m)
    {
        _owner = m.Owner;
        if (m.Epoch >= _epoch)
        {
            _ownerKey = m.OwnerKey;
            _epoch = m.Epoch;
            SaveState();
        }
        m.Owner.Tell(new PodStatusChanged(_uid, CurrentPod()));
    }
    #endregion

    #region Stopping
    /// <summary><c>troupe stop</c> / <c>kill</c>: end the containers, restart none, keep the pod.</summary>
    private void OnHaltPod(HaltPod m)
    {
        if (_stopping)
        {
            Sender.Tell(new PodHalted(_uid));
            return;
        }
        _halted = true;
        var grace = TimeSpan.FromSeconds(Math.Max(0, m.GracePeriodSeconds ?? _pod.Spec.TerminationGracePeriodSeconds));
        foreach (var t in _tracks)
        {
            if (t.Stage == ContainerStage.Terminated) continue;
            if (t.Actor is null)
            {
                // waiting for a restart or an image: that attempt never comes
                t.Generation++;
                Timers.Cancel(RestartTimer(t));
                t.Stage = ContainerStage.Terminated;
                t.WaitingReason = null;
                t.Terminated ??= t.LastTerminated ?? new ContainerStateTerminated { ExitCode = 0, Reason = "Completed", FinishedAt = DateTimeOffset.UtcNow };
            }
            else if (t.Stage == ContainerStage.Running)
            {
                if (m.Signal is null) Record("Killing", $"Stopping container {t.Name}");
                t.Actor.Tell(new SignalContainer(m.Signal, m.Signal is null ? grace : null));
            }
            else t.Actor.Tell(new StopContainer(grace)); // still starting: it stops once started
        }
        if (m.Signal is null) _haltWaiters.Add(Sender);
        else Sender.Tell(new PodHalted(_uid));
        SaveState();
        Publish();
    }

    private void CheckHalted()
    {
        if (_haltWaiters.Count == 0 || _tracks.Any(t => t.Stage != ContainerStage.Terminated)) return;
        foreach (var w in _haltWaiters) w.Tell(new PodHalted(_uid));
        _haltWaiters.Clear();
    }

    private void OnStopPod(StopPod m)
    {
        if (!Sender.IsNobody() && !Sender.Equals(Context.System.DeadLetters) && !_stopRequesters.Contains(Sender))
            _stopRequesters.Add(Sender);
        if (_stopping) return;
        _stopping = true;
        _deletionTimestamp = DateTimeOffset.UtcNow;
        var grace = TimeSpan.FromSeconds(Math.Max(0, m.GracePeriodSeconds ?? _pod.Spec.TerminationGracePeriodSeconds));
        Timers.CancelAll();
        foreach (var t in _tracks)
        {
            t.Generation++;
            if (t.Actor is not null)
            {
                Record("Killing", $"Stopping container {t.Name}");
                t.Actor.Tell(new StopContainer(grace));
                _pendingStops.Add(t.Name);
            }
            else if (t.Stage != ContainerStage.Terminated)
            {
                t.Stage = ContainerStage.Terminated;
                t.Terminated ??= t.LastTerminated ?? new ContainerStateTerminated { ExitCode = 0, Reason = "Completed", FinishedAt = DateTimeOffset.UtcNow };
            }
        }
        Timers.StartSingleTimer("stop-timeout", StopTimedOut.Instance, grace + _settings.StopSlack);
        Publish();
        CheckStopped();
    }

    private void OnContainerStopped(ContainerStopped m)
    {
        var t = Find(m.Name);
        if (t is null) return;
        if (Sender.Equals(t.Actor)) t.Actor = null;
        t.Stage = ContainerStage.Terminated;
        t.Pid = null;
        if (m.Exit is { } exit)
            t.Terminated = new ContainerStateTerminated
            {
                ExitCode = exit.ExitCode,
                Signal = exit.Signal,
                Reason = exit.Reason,
                StartedAt = t.StartedAt,
                FinishedAt = exit.FinishedAt,
                ContainerID = $"{_settings.DriverName}://{ContainerLaunchBuilder.ContainerId(_uid, t.Name)}",
            };
        _pendingStops.Remove(t.Name);
        Publish();
        CheckStopped();
    }

    private void CheckStopped()
    {
        if (!_stopping || _removing || _pendingStops.Count > 0) return;
        _removing = true;
        var ids = _tracks.Select(t => ContainerLaunchBuilder.ContainerId(_uid, t.Name)).ToList();
        var dir = _settings.PodDir(_uid);
        var saves = _saves;
        var driver = _driver;
        var log = _log;
        var published = _published;
        var network = _network is not null ? _settings.Network : null;
        var uid = _uid;
        async Task RemoveAll()
        {
            try { await saves; } catch { /* a failed save does not matter any more */ }
            foreach (var p in published) await p.DisposeAsync();
            foreach (var id in ids)
            {
                try { await driver.RemoveAsync(id); }
                catch (Exception ex) { log.Warning("removing container {0} failed: {1}", id, ex.Message); }
            }
            if (network is not null)
            {
                try { await network.TeardownAsync(uid); }
                catch (Exception ex) { log.Warning("removing the network of pod {0} failed: {1}", uid, ex.Message); }
            }
            try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
            catch (Exception ex) { log.Warning("removing {0} failed: {1}", dir, ex.Message); }
        }
        RemoveAll().PipeTo(Self, success: () => Removed.Instance, failure: _ => Removed.Instance);
    }

    private void OnRemoved()
    {
        foreach (var r in _stopRequesters) r.Tell(new PodStopped(_uid));
        if (_owner is not null && !_stopRequesters.Contains(_owner)) _owner.Tell(new PodStopped(_uid));
        _catalog.Tell(new ObjectForgotten("Pod", Namespace, PodName, _uid));
        _log.Info("pod {0} ({1}) stopped and removed", PodName, _uid);
        Context.Stop(Self);
    }
    #endregion

    #region Logs
    private void OnGetPodLog(GetPodLog m)
    {
        var t = m.Container is null ? _tracks.FirstOrDefault() : Find(m.Container);
        if (t is null)
        {
            Sender.Tell(CommandRejected.NotFound($"container {m.Container} is not valid for pod {PodName}"));
            return;
        }
        // Attempt k is the current (running, finished for good) or next (waiting, re-creating) attempt. As the
        // kubelet does: a waiting container's "current" log is its last terminated attempt, k-1; --previous is
        // always the attempt lastState.terminated describes, k-1.
        int index;
        if (m.Previous)
        {
            if (t.LastTerminated is null || t.Attempt == 0)
            {
                Sender.Tell(CommandRejected.NotFound($"previous terminated container \"{t.Name}\" in pod \"{PodName}\" not found"));
                return;
            }
            index = t.Attempt - 1;
        }
        else
            index = t.Stage is ContainerStage.Waiting || t.Stage == ContainerStage.Creating && t.LastTerminated is not null
                ? t.Attempt - 1 : t.Attempt;
        var path = _settings.LogFile(_uid, t.Name, Math.Max(0, index));
        var (pod, name, running) = (PodName, t.Name, t.Stage == ContainerStage.Running);
        var finished = t.Stage == ContainerStage.Terminated;
        CriLog.ReadAsync(path, m.Tail).PipeTo(Sender,
            success: text => new ContainerLog(pod, name, text, path, running, finished),
            failure: ex => new CommandRejected("Internal", $"reading the log of {name}: {ex.Message}"));
    }
    #endregion

    #region Status, events, state
    private Track? Find(string name) => _tracks.FirstOrDefault(t => t.Name == name);

    private string ChildName(Track t) => $"{t.Name}-a{t.Attempt}-{++_childSeq}";

    private static string RestartTimer(Track t) => $"restart-{t.Name}";

    private Pod CurrentPod()
    {
        var views = _tracks.Select(t => new ContainerView(t.Name, t.Spec.Image, t.ImageId, t.Stage, t.RestartCount,
            t.WaitingReason, t.WaitingMessage, t.StartedAt, t.Pid,
            $"{_settings.DriverName}://{ContainerLaunchBuilder.ContainerId(_uid, t.Name)}", t.Terminated, t.LastTerminated,
            Ready: t.Ready && t.StartupPassed, Started: t.StartupPassed)).ToList();
        var status = PodStatusBuilder.Build(views, _settings.HostIP, _startTime);
        if (_network is not null) status = status with { PodIP = _network.IP.ToString() };
        return _pod with
        {
            Metadata = _pod.Metadata with { DeletionTimestamp = _deletionTimestamp ?? _pod.Metadata.DeletionTimestamp },
            Spec = _pod.Spec with { NodeName = _pod.Spec.NodeName ?? _settings.NodeName },
            Status = status,
        };
    }

    private void Publish()
    {
        if (_tracks.Count == 0 && !_stopping) return; // not initialized yet
        CheckHalted();
        var pod = CurrentPod();
        var json = ProtocolJson.Serialize(pod);
        if (json == _lastPublished) return;
        _lastPublished = json;
        _owner?.Tell(new PodStatusChanged(_uid, pod));
        _catalog.Tell(new ObjectObserved(pod));
    }

    private void Record(string reason, string message, string type = "Normal")
    {
        var now = DateTimeOffset.UtcNow;
        var ev = new Event
        {
            Metadata = new ObjectMeta
            {
                Name = $"{PodName}.{now.UtcTicks:x}{++_eventSeq:x2}",
                Namespace = Namespace,
                CreationTimestamp = now,
            },
            InvolvedObject = new ObjectReference("Pod", Namespace, PodName, _uid),
            Reason = reason,
            Message = message,
            Type = type,
            FirstTimestamp = now,
            LastTimestamp = now,
            Source = new EventSource("kubelet", _settings.NodeName),
        };
        _catalog.Tell(new EventRecorded(ev));
    }

    private void SaveState()
    {
        if (_removing) return;
        var state = new PodSandboxState
        {
            OwnerKey = _ownerKey,
            Epoch = _epoch,
            StartTime = _startTime,
            Containers = _tracks.ToImmutableSortedDictionary(t => t.Name, t => new ContainerRecordState
            {
                RestartCount = t.RestartCount,
                Attempt = t.Attempt,
                Backoff = t.Backoff.Consecutive,
                LastTerminated = t.LastTerminated,
                Terminated = t.Stage == ContainerStage.Terminated ? t.Terminated : null,
                LastExitAt = t.LastExitAt,
                StopSignal = t.StopSignal,
                ImageId = t.ImageId,
            }),
        };
        var path = _settings.StateFile(_uid);
        var json = state.ToJson();
        var log = _log;
        // Ordered, off the actor thread: each write waits for the previous one.
        _saves = _saves.ContinueWith(async _ =>
        {
            try { await AtomicFile.WriteAsync(path, json); }
            catch (Exception ex) { log.Warning("saving {0} failed: {1}", path, ex.Message); }
        }, TaskScheduler.Default).Unwrap();
    }
    #endregion
}
