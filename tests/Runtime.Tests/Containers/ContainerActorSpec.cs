using System.Collections.Immutable;
using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Troupe.Runtime.Containers;
using Troupe.Runtime.Drivers;
using Xunit;

namespace Troupe.Runtime.Tests.Containers;

public sealed class ContainerActorSpec : TestKit
{
    #region Protocol
    /// <summary>Parent that forwards what its child says, and every failure, to a probe; failed children stop.</summary>
    private sealed class Parent : ReceiveActor
    {
        private readonly IActorRef _probe;
        public Parent(Props child, IActorRef probe)
        {
            _probe = probe;
            var c = Context.ActorOf(child, "c");
            ReceiveAny(m =>
            {
                if (Sender.Equals(c)) _probe.Forward(m);
                else c.Forward(m);
            });
        }
        protected override SupervisorStrategy SupervisorStrategy() =>
            new OneForOneStrategy(ex => { _probe.Tell(new Failed(ex)); return Directive.Stop; });
    }
    private sealed record Failed(Exception Cause);
    #endregion

    private readonly ScriptedDriver _driver = new();

    private static ContainerLaunch Launch(params string[] args) => new()
    {
        Id = "pod1-web", Args = args.ToImmutableArray(), LogPath = "/dev/null",
    };

    private IActorRef Spawn(Props child, TestProbe probe) => Sys.ActorOf(Props.Create(() => new Parent(child, probe.Ref)));

    [Fact]
    public void ContainerActor_must_report_started_then_fail_with_the_exit()
    {
        var probe = CreateTestProbe();
        Spawn(ContainerActor.Props("web", _driver, Launch("exit", "3", "after", "100ms")), probe);
        var started = probe.ExpectMsg<ContainerStarted>();
        Assert.Equal("web", started.Name);
        Assert.Equal("pod1-web", started.ContainerId);
        Assert.True(started.Pid > 0);
        // The failure (a system message to the parent) and the informational ContainerExited race: either may come first.
        var both = probe.ReceiveN(2);
        var failed = Assert.Single(both.OfType<Failed>());
        var ex = Assert.IsType<ContainerExitedException>(failed.Cause);
        Assert.Equal(3, ex.Exit.ExitCode);
        Assert.Equal("web", ex.Name);
        Assert.False(ex.StartFailed);
        Assert.Equal(started.StartedAt, ex.StartedAt);
        Assert.Equal(3, Assert.Single(both.OfType<ContainerExited>()).Exit.ExitCode);
    }

    [Fact]
    public void ContainerActor_must_fail_with_127_when_the_command_cannot_start()
    {
        var probe = CreateTestProbe();
        Spawn(ContainerActor.Props("web", _driver, Launch("missing")), probe);
        var ex = Assert.IsType<ContainerExitedException>(probe.ExpectMsg<Failed>().Cause);
        Assert.True(ex.StartFailed);
        Assert.Equal(127, ex.Exit.ExitCode);
        Assert.Contains("not found", ex.Detail);
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void ContainerActor_must_stop_with_sigterm_and_report_stopped()
    {
        var probe = CreateTestProbe();
        var parent = Spawn(ContainerActor.Props("web", _driver, Launch("sleep", "100")), probe);
        probe.ExpectMsg<ContainerStarted>();
        parent.Tell(new StopContainer(TimeSpan.FromSeconds(5)));
        var stopped = probe.ExpectMsg<ContainerStopped>();
        Assert.Equal(143, stopped.Exit!.ExitCode);
        Assert.Equal([("pod1-web", 15)], _driver.Kills.ToArray());
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // no failure: a requested stop is not a crash
    }

    [Fact]
    public void ContainerActor_must_sigkill_after_the_grace_period()
    {
        var probe = CreateTestProbe();
        var parent = Spawn(ContainerActor.Props("web", _driver, Launch("ignore-term")), probe);
        probe.ExpectMsg<ContainerStarted>();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        parent.Tell(new StopContainer(TimeSpan.FromMilliseconds(300)));
        var stopped = probe.ExpectMsg<ContainerStopped>(TimeSpan.FromSeconds(3));
        Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(280), $"killed after {sw.Elapsed}");
        Assert.Equal(137, stopped.Exit!.ExitCode);
        Assert.Equal(new[] { 15, 9 }, _driver.Kills.Select(k => k.Signal));
    }

    [Fact]
    public async Task ContainerActor_must_adopt_a_running_attempt_without_starting_it()
    {
        var probe = CreateTestProbe();
        var running = await _driver.StartAsync(Launch("exit", "0", "after", "200ms"));
        Spawn(ContainerActor.Adopt("web", _driver, running), probe);
        var started = probe.ExpectMsg<ContainerStarted>();
        Assert.Equal(running.Pid, started.Pid);
        Assert.Equal(1, _driver.Starts);
        // The failure (a system message to the parent) and the informational ContainerExited race: either may come first.
        var both = probe.ReceiveN(2);
        var ex = Assert.IsType<ContainerExitedException>(Assert.Single(both.OfType<Failed>()).Cause);
        Assert.Equal(0, ex.Exit.ExitCode);
        Assert.Equal(0, Assert.Single(both.OfType<ContainerExited>()).Exit.ExitCode);
    }

    [Fact]
    public void ContainerActor_must_use_the_image_stop_signal()
    {
        var probe = CreateTestProbe();
        var parent = Spawn(ContainerActor.Props("web", _driver, Launch("sleep"), stopSignal: 3), probe);
        probe.ExpectMsg<ContainerStarted>();
        parent.Tell(new StopContainer(TimeSpan.FromSeconds(5)));
        Assert.Equal(131, probe.ExpectMsg<ContainerStopped>().Exit!.ExitCode);
    }
}
