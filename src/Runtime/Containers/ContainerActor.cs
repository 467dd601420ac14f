using Akka.Actor;
using Akka;
using Akka.Event;
using Troupe.Runtime.Drivers;

namespace Troupe.Runtime.Containers;

/// <summary>
/// One attempt of one pod container, over an <see cref="IContainerDriver"/>. Created by its PodSandbox either to
/// start a new attempt (<see cref="Props"/>) or to watch one that already runs (<see cref="Adopt"/>, after a node
/// restart). Tells the parent <see cref="ContainerStarted"/>; when the attempt ends on its own it tells
/// <see cref="ContainerExited"/> and then fails with <see cref="ContainerExitedException"/>, so the parent's
/// supervisor strategy decides what happens next (that is the self-healing). A start failure fails it the same
/// way with <c>StartFailed</c>. On <see cref="StopContainer"/>: stop signal, SIGKILL after the grace period,
/// <see cref="ContainerStopped"/>, stop. Every driver call is async and piped back to Self. Stopping the actor
/// does not stop the container (conmon keeps it running): that is what adoption relies on.
/// </summary>
public sealed class ContainerActor : ReceiveActor, IWithTimers
{
    public const int SigTerm = 15;
    public const int SigKill = 9;

    /// <summary>Start a new attempt of <paramref name="launch"/>. <paramref name="stopSignal"/>: the image's STOPSIGNAL (default SIGTERM).</summary>
    public static Props Props(string name, IContainerDriver driver, ContainerLaunch launch, int stopSignal = SigTerm) =>
        Akka.Actor.Props.Create(() => new ContainerActor(name, driver, launch, null, stopSignal)).WithDeploy(Deploy.Local);

    /// <summary>Watch an attempt that already runs (adoption); nothing is started.</summary>
    public static Props Adopt(string name, IContainerDriver driver, StartedContainer running, int stopSignal = SigTerm) =>
        Akka.Actor.Props.Create(() => new ContainerActor(name, driver, null, running, stopSignal)).WithDeploy(Deploy.Local);

    #region INTERNAL messages
    private sealed record AttemptStarted(StartedContainer Started) : INoSerializationVerificationNeeded;
    private sealed record AttemptStartFailed(Exception Cause) : INoSerializationVerificationNeeded;
    private sealed record AttemptExited(ContainerExit Exit) : INoSerializationVerificationNeeded;
    private sealed record WaitFailed(Exception Cause) : INoSerializationVerificationNeeded;
    private sealed class GraceExpired : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly GraceExpired Instance = new();
    }
    #endregion

    private const string KillTimer = "kill";
    private readonly string _name;
    private readonly IContainerDriver _driver;
    private readonly ContainerLaunch? _launch;
    private readonly int _stopSignal;
    private readonly string _id;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _cts = new();
    private StartedContainer? _started;
    private TimeSpan? _stopRequested;
    private bool _stopping;

    public ITimerScheduler Timers { get; set; } = null!;

    public ContainerActor(string name, IContainerDriver driver, ContainerLaunch? launch, StartedContainer? adopted, int stopSignal)
    {
        _name = name;
        _driver = driver;
        _launch = launch;
        _started = adopted;
        _stopSignal = stopSignal <= 0 ? SigTerm : stopSignal;
        _id = launch?.Id ?? adopted!.Id;

        Receive<AttemptStarted>(m => OnStarted(m.Started));
        Receive<AttemptStartFailed>(m => FailStart(m.Cause));
        Receive<AttemptExited>(m => OnExited(m.Exit));
        Receive<WaitFailed>(m =>
        {
            if (_stopping)
            {
                Context.Parent.Tell(new ContainerStopped(_name, null));
                Context.Stop(Self);
                return;
            }
            // The driver lost the attempt: report it as an unknown exit so the policy decides.
            var exit = new ContainerExit(_id, 255, DateTimeOffset.UtcNow);
            throw new ContainerExitedException(_name, exit, _started?.StartedAt, false,
                $"lost track of container {_name}: {m.Cause.Message}");
        });
        Receive<StopContainer>(m => OnStop(m.GracePeriod));
        Receive<SignalContainer>(m =>
        {
            if (_started is null || _stopping) return; // not running (yet): nothing to signal
            var signal = m.Signal ?? _stopSignal;
            Safe(() => _driver.KillAsync(_id, signal)).PipeTo(Self, success: () => Done.Instance, failure: _ => Done.Instance);
            if (m.KillAfter is { } after && signal != SigKill) Timers.StartSingleTimer(KillTimer, GraceExpired.Instance, after);
        });
        Receive<GraceExpired>(_ =>
        {
            _log.Info("container {0} ({1}) did not stop within its grace period: SIGKILL", _name, _id);
            Safe(() => _driver.KillAsync(_id, SigKill)).PipeTo(Self, success: () => Done.Instance, failure: _ => Done.Instance);
        });
        Receive<StopWatching>(_ => Context.Stop(Self));
        Receive<Done>(_ => { });
    }

    protected override void PreStart()
    {
        if (_started is { } running)
        {
            Self.Tell(new AttemptStarted(running));
            return;
        }
        Safe(() => _driver.StartAsync(_launch!, _cts.Token)).PipeTo(Self,
            success: s => new AttemptStarted(s),
            failure: ex => new AttemptStartFailed(Unwrap(ex)));
    }

    protected override void PostStop() => _cts.Cancel();

    private void OnStarted(StartedContainer s)
    {
        _started = s;
        Context.Parent.Tell(new ContainerStarted(_name, s.Pid, s.StartedAt, s.Id));
        Safe(() => _driver.WaitAsync(_id, _cts.Token)).PipeTo(Self,
            success: e => new AttemptExited(e),
            failure: ex => new WaitFailed(Unwrap(ex)));
        if (_stopRequested is { } grace) OnStop(grace);
    }

    private void FailStart(Exception cause)
    {
        if (_stopRequested is not null)
        {
            Context.Parent.Tell(new ContainerStopped(_name, null));
            Context.Stop(Self);
            return;
        }
        var code = cause is ContainerStartException cse ? cse.ExitCode : 128;
        var exit = new ContainerExit(_id, code, DateTimeOffset.UtcNow);
        _log.Warning("container {0} ({1}) could not start: {2}", _name, _id, cause.Message);
        throw new ContainerExitedException(_name, exit, null, true, cause.Message);
    }

    private void OnExited(ContainerExit exit)
    {
        Timers.Cancel(KillTimer);
        if (_stopping || _stopRequested is not null)
        {
            Context.Parent.Tell(new ContainerStopped(_name, exit));
            Context.Stop(Self);
            return;
        }
        Context.Parent.Tell(new ContainerExited(_name, exit));
        throw new ContainerExitedException(_name, exit, _started?.StartedAt);
    }

    private void OnStop(TimeSpan grace)
    {
        _stopRequested ??= grace;
        if (_started is null || _stopping) return; // still starting: stop once started
        _stopping = true;
        if (grace <= TimeSpan.Zero)
        {
            Safe(() => _driver.KillAsync(_id, SigKill)).PipeTo(Self, success: () => Done.Instance, failure: _ => Done.Instance);
            return;
        }
        Safe(() => _driver.KillAsync(_id, _stopSignal)).PipeTo(Self, success: () => Done.Instance, failure: _ => Done.Instance);
        Timers.StartSingleTimer(KillTimer, GraceExpired.Instance, grace);
    }

    /// <summary>A driver that throws before returning its task fails the task instead of this actor's Receive.</summary>
    private static Task<T> Safe<T>(Func<Task<T>> call)
    {
        try { return call(); }
        catch (Exception ex) { return Task.FromException<T>(ex); }
    }

    private static Task Safe(Func<Task> call)
    {
        try { return call(); }
        catch (Exception ex) { return Task.FromException(ex); }
    }

    private static Exception Unwrap(Exception ex) =>
        ex is AggregateException { InnerExceptions.Count: 1 } agg ? Unwrap(agg.InnerExceptions[0]) : ex;
}
