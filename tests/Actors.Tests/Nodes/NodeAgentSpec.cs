using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Troupe.Actors.Catalog;
using Troupe.Actors.Nodes;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;
using Troupe.Runtime.Drivers;
using Xunit;

namespace Troupe.Actors.Tests.Nodes;

/// <summary>Node machinery over an in-memory driver: start, crash loop, policies, idempotency, stop, adoption, logs.</summary>
public sealed class NodeAgentSpec : Akka.TestKit.Xunit2.TestKit
{
    #region Protocol
    public static readonly Config SpecConfig = ConfigurationFactory.ParseString("""
        troupe.runtime.restart-backoff { base = 300ms, max = 1200ms, reset-after = 60s }
        troupe.runtime.node { adoption-claim-timeout = 1s, stop-slack = 2s }
        akka.loglevel = INFO
        """);

    /// <summary>A local image source: every reference but <c>missing</c> resolves to a busybox-like config.</summary>
    public sealed class StaticImages : IPodImageSource
    {
        public Task<PodImage> PrepareAsync(string reference, CancellationToken ct = default) =>
            reference.StartsWith("missing")
                ? Task.FromException<PodImage>(new ImageUnavailableException(reference, "not found locally"))
                : Task.FromResult(new PodImage(reference, "sha256:feed", ["PATH=/bin:/usr/bin"], [], ["sh"], null, null, null, []));
    }

    public static Pod MakePod(string name, string restartPolicy = "Always", long grace = 1, params string[] args) => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = "default", Uid = Guid.NewGuid().ToString() },
        Spec = new PodSpec
        {
            RestartPolicy = restartPolicy,
            TerminationGracePeriodSeconds = grace,
            Containers = [new Container { Name = "main", Image = "busybox", Command = args.ToImmutableArray() }],
        },
    };
    #endregion

    private readonly string _home = Path.Combine(Path.GetTempPath(), "troupe-node-spec-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly ScriptedDriver _driver = new();
    private readonly TestProbe _catalog;
    private readonly NodeSettings _settings;

    public NodeAgentSpec() : base(SpecConfig)
    {
        _catalog = CreateTestProbe("catalog");
        _settings = NodeSettings.Create(Sys.Settings.Config, "n1", _home, "akka.tcp://troupe@127.0.0.1:4053", "fake");
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        try { Directory.Delete(_home, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private IActorRef Agent(string? name = null) =>
        Sys.ActorOf(NodeAgent.Props(_settings, _driver, new StaticImages(), _catalog.Ref), name ?? NodeAgent.Name);

    private static Pod Status(TestProbe owner, Func<Pod, bool> until, TimeSpan? max = null)
    {
        var m = (PodStatusChanged)owner.FishForMessage(o => o is PodStatusChanged p && until(p.Pod), max ?? TimeSpan.FromSeconds(5));
        return m.Pod;
    }

    private static ContainerStatus C(Pod p) => p.Status!.ContainerStatuses.Single();

    private static bool IsRunning(Pod p) => p.Status?.Phase == "Running" && C(p).State.Running is not null;

    [Fact]
    public void NodeAgent_must_start_a_pod_and_report_it_running()
    {
        var agent = Agent();
        var owner = CreateTestProbe();
        var pod = MakePod("web", args: ["sleep", "100"]);
        agent.Tell(new StartPod(pod, "rs/web", 1), owner.Ref);
        var accepted = owner.ExpectMsg<PodAccepted>();
        Assert.Equal(pod.Metadata.Uid, accepted.Uid);
        Assert.False(accepted.Adopted);

        var pending = Status(owner, p => true);
        Assert.Equal("Pending", pending.Status!.Phase);
        Assert.Equal("ContainerCreating", C(pending).State.Waiting!.Reason);

        var running = Status(owner, IsRunning);
        var cs = C(running);
        Assert.Equal(0, cs.RestartCount);
        Assert.True(cs.Ready);
        Assert.NotNull(cs.Pid);
        Assert.StartsWith("fake://", cs.ContainerID);
        Assert.Equal("127.0.0.1", running.Status!.HostIP);
        Assert.NotNull(running.Status.StartTime);
        Assert.Equal("n1", running.Spec.NodeName);

        // persisted before anything started
        var onDisk = (Pod)ProtocolJson.DeserializeObject(File.ReadAllText(_settings.PodFile(pod.Metadata.Uid!)));
        Assert.Equal("web", onDisk.Metadata.Name);

        // the launch as the driver got it
        var launch = _driver.Launches.Single();
        Assert.Equal(["sleep", "100"], launch.Args.ToArray());
        Assert.Equal("web", launch.Hostname);
        Assert.Equal($"troupe/n1/{pod.Metadata.Uid}/main", launch.CgroupPath);
        Assert.Equal("rs/web", launch.Labels["troupe.owner"]);
        Assert.Equal(_settings.LogFile(pod.Metadata.Uid!, "main", 0), launch.LogPath);

        // catalog: status and the kubelet's events
        var reasons = new List<string>();
        _catalog.FishForMessage(o =>
        {
            if (o is EventRecorded e) reasons.Add(e.Event.Reason);
            return reasons.Contains("Started");
        });
        Assert.Equal(["Pulled", "Created", "Started"], reasons);
    }

    [Fact]
    public void NodeAgent_must_restart_a_crashing_container_with_backoff()
    {
        var agent = Agent();
        var owner = CreateTestProbe();
        var pod = MakePod("crash", "Always", 1, "exit", "1");
        agent.Tell(new StartPod(pod, "rs/crash", 1), owner.Ref);
        owner.ExpectMsg<PodAccepted>();

        // First restart is immediate; the second waits base (300ms) in CrashLoopBackOff, the third 600ms.
        var backoff = Status(owner, p => C(p).State.Waiting?.Reason == "CrashLoopBackOff");
        var cs = C(backoff);
        Assert.Equal("Running", backoff.Status!.Phase);
        Assert.Equal(2, cs.RestartCount);
        Assert.Equal("back-off 300ms restarting failed container=main pod=crash", cs.State.Waiting!.Message);
        Assert.Equal(1, cs.LastState.Terminated!.ExitCode);
        Assert.Equal("Error", cs.LastState.Terminated.Reason);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var next = Status(owner, p => C(p).State.Waiting?.Reason == "CrashLoopBackOff" && C(p).RestartCount == 3);
        Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(250), $"restarted after {sw.Elapsed}");
        Assert.Equal("back-off 600ms restarting failed container=main pod=crash", C(next).State.Waiting!.Message);

        _catalog.FishForMessage(o => o is EventRecorded { Event: { Reason: "BackOff", Type: "Warning" } });

        // the counts survive in state.json
        AwaitAssert(() =>
        {
            var state = PodSandboxState.FromJson(File.ReadAllText(_settings.StateFile(pod.Metadata.Uid!)));
            Assert.True(state.Containers["main"].RestartCount >= 3);
        });
    }

    [Fact]
    public void NodeAgent_must_fail_a_pod_with_restart_policy_never()
    {
        var agent = Agent();
        var owner = CreateTestProbe();
        agent.Tell(new StartPod(MakePod("once", "Never", 1, "exit", "3"), "job/once", 1), owner.Ref);
        owner.ExpectMsg<PodAccepted>();
        var failed = Status(owner, p => p.Status!.Phase == "Failed");
        var t = C(failed).State.Terminated!;
        Assert.Equal(3, t.ExitCode);
        Assert.Equal("Error", t.Reason);
        Assert.Equal(0, C(failed).RestartCount);
        Assert.Equal(1, _driver.Starts);
    }

    [Fact]
    public void NodeAgent_must_complete_a_pod_with_on_failure_and_exit_0()
    {
        var agent = Agent();
        var owner = CreateTestProbe();
        agent.Tell(new StartPod(MakePod("job", "OnFailure", 1, "exit", "0", "after", "100ms"), "job/job", 1), owner.Ref);
        owner.ExpectMsg<PodAccepted>();
        var done = Status(owner, p => p.Status!.Phase == "Succeeded");
        Assert.Equal("Completed", C(done).State.Terminated!.Reason);
        Assert.Equal(1, _driver.Starts);
    }

    [Fact]
    public void NodeAgent_must_report_a_command_that_cannot_start()
    {
        var agent = Agent();
        var owner = CreateTestProbe();
        agent.Tell(new StartPod(MakePod("bad", "Never", 1, "missing"), "rs/bad", 1), owner.Ref);
        owner.ExpectMsg<PodAccepted>();
        var failed = Status(owner, p => p.Status!.Phase == "Failed");
        var t = C(failed).State.Terminated!;
        Assert.Equal(127, t.ExitCode);
        Assert.Equal("StartError", t.Reason);
        Assert.Contains("not found", t.Message);
        _catalog.FishForMessage(o => o is EventRecorded { Event: { Reason: "Failed", Type: "Warning" } });
    }

    [Fact]
    public void NodeAgent_must_wait_in_err_image_pull_for_a_missing_image()
    {
        var agent = Agent();
        var owner = CreateTestProbe();
        var pod = MakePod("noimg", args: ["sleep"]);
        pod = pod with { Spec = pod.Spec with { Containers = [pod.Spec.Containers[0] with { Image = "missing:1" }] } };
        agent.Tell(new StartPod(pod, "rs/noimg", 1), owner.Ref);
        owner.ExpectMsg<PodAccepted>();
        var waiting = Status(owner, p => C(p).State.Waiting?.Reason == "ErrImagePull");
        Assert.Equal("Pending", waiting.Status!.Phase);
        Assert.Contains("missing:1", C(waiting).State.Waiting!.Message);
        Assert.Equal(0, _driver.Starts);
    }

    [Fact]
    public void NodeAgent_must_start_a_pod_once_for_the_same_uid()
    {
        var agent = Agent();
        var owner1 = CreateTestProbe();
        var owner2 = CreateTestProbe();
        var pod = MakePod("web", args: ["sleep"]);
        agent.Tell(new StartPod(pod, "rs/web", 1), owner1.Ref);
        var a1 = owner1.ExpectMsg<PodAccepted>();
        Status(owner1, IsRunning);
        agent.Tell(new StartPod(pod, "rs/web", 1), owner2.Ref);
        var a2 = owner2.ExpectMsg<PodAccepted>();
        Assert.Equal(a1.Sandbox, a2.Sandbox);
        // the new owner gets the current status at once, and from now on
        Assert.True(IsRunning(owner2.ExpectMsg<PodStatusChanged>().Pod));
        Assert.Equal(1, _driver.Starts);
        Assert.Single(_driver.Launches);
    }

    [Fact]
    public void NodeAgent_must_refuse_a_stale_epoch()
    {
        var agent = Agent();
        var owner = CreateTestProbe();
        agent.Tell(new StartPod(MakePod("a", args: ["sleep"]), "rs/x", 5), owner.Ref);
        owner.ExpectMsg<PodAccepted>();
        var stale = MakePod("b", args: ["sleep"]);
        agent.Tell(new StartPod(stale, "rs/x", 4), owner.Ref);
        var rejected = owner.FishForMessage<PodRejected>(_ => true);
        Assert.Equal(stale.Metadata.Uid, rejected.Uid);
        Assert.Contains("stale", rejected.Reason);
        agent.Tell(new StartPod(MakePod("c", args: ["sleep"]), "rs/x", 5), owner.Ref);
        owner.FishForMessage<PodAccepted>(_ => true);
    }

    [Fact]
    public void NodeAgent_must_stop_a_pod_and_remove_everything()
    {
        var agent = Agent();
        var owner = CreateTestProbe();
        var pod = MakePod("web", args: ["sleep"]);
        agent.Tell(new StartPod(pod, "rs/web", 1), owner.Ref);
        var accepted = owner.ExpectMsg<PodAccepted>();
        Status(owner, IsRunning);
        owner.Watch(accepted.Sandbox);
        agent.Tell(new StopPod(pod.Metadata.Uid!), owner.Ref);
        owner.FishForMessage(o => o is PodStopped s && s.Uid == pod.Metadata.Uid);
        owner.FishForMessage(o => o is Terminated);
        Assert.Empty(_driver.List());
        Assert.Contains(_driver.Kills, k => k.Signal == 15);
        Assert.False(Directory.Exists(_settings.PodDir(pod.Metadata.Uid!)));
        _catalog.FishForMessage(o => o is ObjectForgotten { Kind: "Pod", Name: "web" } f && f.Uid == pod.Metadata.Uid);
        // unknown pod: stopped at once
        agent.Tell(new StopPod("nope"), owner.Ref);
        owner.FishForMessage(o => o is PodStopped { Uid: "nope" });
    }

    [Fact]
    public void NodeAgent_must_kill_a_container_that_ignores_sigterm_after_the_grace_period()
    {
        var agent = Agent();
        var owner = CreateTestProbe();
        var pod = MakePod("stubborn", "Always", 1, "ignore-term");
        agent.Tell(new StartPod(pod, "rs/s", 1), owner.Ref);
        owner.ExpectMsg<PodAccepted>();
        Status(owner, IsRunning);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        agent.Tell(new StopPod(pod.Metadata.Uid!), owner.Ref);
        owner.FishForMessage(o => o is PodStopped, TimeSpan.FromSeconds(5));
        Assert.InRange(sw.Elapsed.TotalSeconds, 0.9, 3);
        Assert.Equal(new[] { 15, 9 }, _driver.Kills.Select(k => k.Signal).Take(2));
    }

    [Fact]
    public async Task NodeAgent_must_adopt_running_containers_after_a_restart()
    {
        var agent1 = Agent("agent-1");
        var owner = CreateTestProbe();
        var pod = MakePod("web", args: ["sleep"]);
        agent1.Tell(new StartPod(pod, "rs/web", 7), owner.Ref);
        owner.ExpectMsg<PodAccepted>();
        var pid = C(Status(owner, IsRunning)).Pid;

        // kill -9 of the node: the actors go, the container keeps running
        Watch(agent1);
        Sys.Stop(agent1);
        ExpectTerminated(agent1);
        Assert.True(_driver.IsRunning(ContainerLaunchBuilder.ContainerId(pod.Metadata.Uid!, "main")));

        var agent2 = Agent("agent-2");
        var owner2 = CreateTestProbe();
        agent2.Tell(new StartPod(pod, "rs/web", 7), owner2.Ref);
        var accepted = owner2.ExpectMsg<PodAccepted>();
        Assert.True(accepted.Adopted);
        var adopted = Status(owner2, IsRunning);
        Assert.Equal(pid, C(adopted).Pid);
        Assert.Equal(0, C(adopted).RestartCount);
        Assert.Equal(1, _driver.Starts);
        // the epoch seen before the restart still counts
        agent2.Tell(new StartPod(MakePod("old", args: ["sleep"]), "rs/web", 6), owner2.Ref);
        owner2.FishForMessage(o => o is PodRejected);
        // and it still supervises: an exit now restarts it
        await _driver.KillAsync(ContainerLaunchBuilder.ContainerId(pod.Metadata.Uid!, "main"), 9);
        var restarted = Status(owner2, p => IsRunning(p) && C(p).RestartCount == 1);
        Assert.NotEqual(pid, C(restarted).Pid);
        Assert.Equal(137, C(restarted).LastState.Terminated!.ExitCode);
    }

    [Fact]
    public void NodeAgent_must_keep_restart_counts_across_a_node_restart()
    {
        var agent1 = Agent("agent-1");
        var owner = CreateTestProbe();
        var pod = MakePod("crash", "Always", 1, "exit", "1", "after", "50ms");
        agent1.Tell(new StartPod(pod, "rs/crash", 1), owner.Ref);
        owner.ExpectMsg<PodAccepted>();
        Status(owner, p => C(p).RestartCount >= 2);
        Watch(agent1);
        Sys.Stop(agent1);
        ExpectTerminated(agent1);

        var agent2 = Agent("agent-2");
        var owner2 = CreateTestProbe();
        agent2.Tell(new StartPod(pod, "rs/crash", 1), owner2.Ref);
        owner2.FishForMessage(o => o is PodAccepted);
        var after = Status(owner2, p => C(p).RestartCount >= 3);
        Assert.True(C(after).RestartCount >= 3);
    }

    [Fact]
    public void NodeAgent_must_remove_an_adopted_pod_nobody_claims()
    {
        var agent1 = Agent("agent-1");
        var owner = CreateTestProbe();
        var pod = MakePod("orphan", args: ["sleep"]);
        agent1.Tell(new StartPod(pod, "rs/gone", 1), owner.Ref);
        owner.ExpectMsg<PodAccepted>();
        Status(owner, IsRunning);
        Watch(agent1);
        Sys.Stop(agent1);
        ExpectTerminated(agent1);

        Agent("agent-2");
        // claim timeout is 1s in this spec
        AwaitAssert(() =>
        {
            Assert.Empty(_driver.List());
            Assert.False(Directory.Exists(_settings.PodDir(pod.Metadata.Uid!)));
        }, TimeSpan.FromSeconds(6), TimeSpan.FromMilliseconds(100));
        _catalog.FishForMessage(o => o is ObjectForgotten f && f.Uid == pod.Metadata.Uid, TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task NodeAgent_must_clean_up_what_no_pod_owns_on_start()
    {
        // a container of this node whose pod folder is gone, another node's container, and an empty pod folder
        var labels = ImmutableSortedDictionary<string, string>.Empty
            .Add("troupe.node", "n1").Add("troupe.pod.uid", "gone-uid").Add("troupe.container.name", "main");
        await _driver.StartAsync(new ContainerLaunch { Id = "gone-main", Args = ["sleep"], LogPath = "/dev/null", Labels = labels });
        await _driver.StartAsync(new ContainerLaunch
        {
            Id = "other-main", Args = ["sleep"], LogPath = "/dev/null",
            Labels = labels.SetItem("troupe.node", "n2").SetItem("troupe.pod.uid", "other-uid"),
        });
        Directory.CreateDirectory(_settings.PodDir("empty-uid"));
        File.WriteAllText(_settings.PodFile("empty-uid"), ProtocolJson.Serialize(MakePod("empty") with
        {
            Metadata = new ObjectMeta { Name = "empty", Uid = "empty-uid" },
        }));

        var agent = Agent();
        var owner = CreateTestProbe();
        agent.Tell(DescribeNode.Instance, owner.Ref); // answered only once recovery is done
        owner.ExpectMsg<NodeDescribed>();
        Assert.Equal(["other-main"], _driver.List().Select(r => r.Id));
        Assert.False(Directory.Exists(_settings.PodDir("empty-uid")));
    }

    [Fact]
    public void NodeAgent_must_serve_current_and_previous_logs()
    {
        var agent = Agent();
        var owner = CreateTestProbe();
        var pod = MakePod("logs", "Always", 1, "exit", "1", "after", "100ms");
        var uid = pod.Metadata.Uid!;
        agent.Tell(new StartPod(pod, "rs/logs", 1), owner.Ref);
        owner.ExpectMsg<PodAccepted>();
        var first = C(Status(owner, IsRunning));

        agent.Tell(new GetPodLog(uid, null, true, null), owner.Ref);
        var none = owner.FishForMessage<CommandRejected>(_ => true);
        Assert.Equal("NotFound", none.Code);
        Assert.Equal("previous terminated container \"main\" in pod \"logs\" not found", none.Reason);

        agent.Tell(new GetPodLog(uid, "main", false, null), owner.Ref);
        var current = owner.FishForMessage<ContainerLog>(_ => true);
        Assert.Equal($"pid {first.Pid}\nexit 1 after 100ms\n", current.Text);

        var second = C(Status(owner, p => IsRunning(p) && C(p).RestartCount == 1));
        agent.Tell(new GetPodLog(uid, "main", true, null), owner.Ref);
        var previous = owner.FishForMessage<ContainerLog>(_ => true);
        Assert.Equal($"pid {first.Pid}\nexit 1 after 100ms\n", previous.Text);
        Assert.EndsWith("0.log", previous.Path);

        agent.Tell(new GetPodLog(uid, "main", false, 1), owner.Ref);
        Assert.Equal("exit 1 after 100ms\n", owner.FishForMessage<ContainerLog>(_ => true).Text);
        agent.Tell(new GetPodLog(uid, "main", false, null), owner.Ref);
        Assert.StartsWith($"pid {second.Pid}\n", owner.FishForMessage<ContainerLog>(_ => true).Text);

        agent.Tell(new GetPodLog(uid, "nope", false, null), owner.Ref);
        Assert.Equal("NotFound", owner.FishForMessage<CommandRejected>(_ => true).Code);
        agent.Tell(new GetPodLog("unknown", null, false, null), owner.Ref);
        Assert.Equal("NotFound", owner.FishForMessage<CommandRejected>(_ => true).Code);
    }

    [Fact]
    public void NodeAgent_must_describe_its_node()
    {
        var agent = Agent();
        var owner = CreateTestProbe();
        var pod = MakePod("web", args: ["sleep"]);
        pod = pod with
        {
            Spec = pod.Spec with
            {
                Containers = [pod.Spec.Containers[0] with
                {
                    Resources = new ResourceRequirements
                    {
                        Limits = ImmutableSortedDictionary<string, string>.Empty.Add("cpu", "250m").Add("memory", "64Mi"),
                    },
                }],
            },
        };
        agent.Tell(new StartPod(pod, "rs/web", 1), owner.Ref);
        owner.ExpectMsg<PodAccepted>();
        agent.Tell(DescribeNode.Instance, owner.Ref);
        var node = owner.FishForMessage<NodeDescribed>(_ => true).Node;
        Assert.Equal("n1", node.Metadata.Name);
        Assert.Equal("fake", node.Status.Driver);
        Assert.Equal(1, node.Status.Pods);
        Assert.Equal(Environment.ProcessorCount.ToString(), node.Status.Capacity["cpu"]);
        Assert.EndsWith("Ki", node.Status.Capacity["memory"]);
        Assert.Equal("250m", node.Status.Allocated["cpu"]);
        Assert.Equal("64Mi", node.Status.Allocated["memory"]);
        AwaitAssert(() => Assert.Single(_driver.Launches));
        var launch = _driver.Launches.Single();
        Assert.Equal(250, launch.CpuMillis);
        Assert.Equal(64L * 1024 * 1024, launch.MemoryLimitBytes);
    }

    [Fact]
    public void NodeAgent_must_stop_every_pod_on_shutdown()
    {
        var agent = Agent();
        var owner = CreateTestProbe();
        for (var i = 0; i < 3; i++)
        {
            agent.Tell(new StartPod(MakePod($"p{i}", args: ["sleep"]), $"rs/p{i}", 1), owner.Ref);
            owner.FishForMessage(o => o is PodAccepted);
        }
        AwaitAssert(() => Assert.Equal(3, _driver.List().Count(r => r.Status == "Running")));
        agent.Tell(NodeAgent.StopAllPods.Instance, owner.Ref);
        owner.FishForMessage(o => o is NodeAgent.AllPodsStopped, TimeSpan.FromSeconds(5));
        Assert.Empty(_driver.List());
        agent.Tell(new StartPod(MakePod("late", args: ["sleep"]), "rs/late", 1), owner.Ref);
        Assert.Contains("shutting down", owner.FishForMessage<PodRejected>(_ => true).Reason);
    }

    [Fact]
    public async Task NodeAgent_must_stop_pods_when_the_actor_system_shuts_down()
    {
        var agent = Agent();
        var owner = CreateTestProbe();
        agent.Tell(new StartPod(MakePod("web", args: ["sleep"]), "rs/web", 1), owner.Ref);
        owner.ExpectMsg<PodAccepted>();
        Status(owner, IsRunning);
        await CoordinatedShutdown.Get(Sys).Run(CoordinatedShutdown.UnknownReason.Instance).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Empty(_driver.List());
    }
}
