using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;

namespace Troupe.Runtime.Drivers;

/// <summary>
/// In-memory containers scripted by argv, for scale and chaos figures (1,000+ pods per node cost a few hundred bytes
/// each): <c>["exit","3"]</c> exits at once with 3, <c>["exit","1","after","200ms"]</c> exits later,
/// <c>["missing"]</c> (argv[0] = missing) fails to start with 127, <c>["ignore-term"]</c> ignores SIGTERM,
/// anything else runs until killed (exit 128 + signal). Writes one CRI log line per attempt unless the log path is
/// <c>/dev/null</c>. Pids are fake (from 100000 up). Nothing survives the process: after a restart the list is empty.
/// </summary>
public sealed class FakeDriver : IContainerDriver
{
    private sealed class Attempt(ContainerLaunch launch, int pid, DateTimeOffset startedAt)
    {
        public readonly ContainerLaunch Launch = launch;
        public readonly int Pid = pid;
        public readonly DateTimeOffset StartedAt = startedAt;
        public readonly TaskCompletionSource<ContainerExit> Exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool IgnoresTerm => Launch.Args.Length > 0 && Launch.Args[0] == "ignore-term";
    }

    private readonly ConcurrentDictionary<string, Attempt> _attempts = new();
    private int _nextPid = 99_999;

    /// <inheritdoc />
    public string Name => "fake";

    /// <inheritdoc />
    public Task<StartedContainer> StartAsync(ContainerLaunch launch, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        var a = launch.Args;
        if (a.IsDefaultOrEmpty) throw new ContainerStartException($"container {launch.Id}: no command", 125);
        if (a[0] == "missing")
            throw new ContainerStartException($"exec: \"{a[0]}\": executable file not found in $PATH", 127);
        TimeSpan? exitAfter = null;
        var code = 0;
        if (a[0] == "exit")
        {
            if (a.Length < 2 || !int.TryParse(a[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out code))
                throw new ContainerStartException($"fake script: exit needs a code: {string.Join(' ', a)}", 125);
            exitAfter = a.Length >= 4 && a[2] == "after" ? ParseDuration(a[3]) : TimeSpan.Zero;
        }
        var attempt = new Attempt(launch, Interlocked.Increment(ref _nextPid), DateTimeOffset.UtcNow);
        while (true)
        {
            if (_attempts.TryGetValue(launch.Id, out var old))
            {
                if (!old.Exit.Task.IsCompleted) throw new RuntimeInvocationException($"container {launch.Id} is running");
                if (_attempts.TryUpdate(launch.Id, attempt, old)) break;
            }
            else if (_attempts.TryAdd(launch.Id, attempt)) break;
        }
        if (launch.LogPath != "/dev/null")
        {
            if (Path.GetDirectoryName(launch.LogPath) is { Length: > 0 } dir) Directory.CreateDirectory(dir);
            File.AppendAllText(launch.LogPath, $"{CriLog.Timestamp(DateTimeOffset.UtcNow)} stdout F started {launch.Id}\n");
        }
        if (exitAfter is { } after)
        {
            var exit = () => attempt.Exit.TrySetResult(new ContainerExit(launch.Id, code, DateTimeOffset.UtcNow));
            if (after <= TimeSpan.Zero) exit();
            else _ = Task.Delay(after).ContinueWith(_ => exit(), TaskScheduler.Default);
        }
        return Task.FromResult(new StartedContainer(launch.Id, attempt.Pid, attempt.StartedAt));
    }

    /// <inheritdoc />
    public Task<ContainerExit> WaitAsync(string id, CancellationToken ct = default) =>
        _attempts.TryGetValue(id, out var e)
            ? e.Exit.Task.WaitAsync(ct)
            : Task.FromException<ContainerExit>(new RuntimeInvocationException($"no container {id}"));

    /// <summary>
    /// The fake runs no process: <c>exit N</c> returns N, <c>missing</c> 127, anything else prints its arguments and
    /// returns 0. A container that is not running refuses, as runc does.
    /// </summary>
    public async Task<int> ExecAsync(string id, ContainerExec exec, CancellationToken ct = default)
    {
        if (!_attempts.TryGetValue(id, out var e) || e.Exit.Task.IsCompleted) throw new RuntimeInvocationException($"container {id} is not running");
        var a = exec.Args;
        if (a.IsDefaultOrEmpty) throw new ArgumentException("exec needs a command", nameof(exec));
        if (a[0] == "missing") return 127;
        if (a[0] == "exit" && a.Length > 1 && int.TryParse(a[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var code)) return code;
        await exec.Stdout.WriteAsync(System.Text.Encoding.UTF8.GetBytes(string.Join(' ', a) + "\n"), ct);
        return 0;
    }

    /// <inheritdoc />
    public async Task AttachAsync(string id, Stream stdin, CancellationToken ct = default)
    {
        if (!_attempts.TryGetValue(id, out var e) || e.Exit.Task.IsCompleted) throw new RuntimeInvocationException($"container {id} is not running");
        await stdin.CopyToAsync(Stream.Null, ct); // a fake process reads its input and does nothing with it
    }

    /// <inheritdoc />
    public Task KillAsync(string id, int signal)
    {
        if (_attempts.TryGetValue(id, out var e) && !(signal == 15 && e.IgnoresTerm))
            e.Exit.TrySetResult(new ContainerExit(id, 128 + signal, DateTimeOffset.UtcNow, Signal: signal));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task RemoveAsync(string id)
    {
        if (_attempts.TryRemove(id, out var e))
            e.Exit.TrySetResult(new ContainerExit(id, 137, DateTimeOffset.UtcNow, Signal: 9));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ContainerRecord>> ListAsync() =>
        Task.FromResult<IReadOnlyList<ContainerRecord>>(_attempts.Values.Select(e =>
        {
            var done = e.Exit.Task.IsCompleted;
            return new ContainerRecord(e.Launch.Id, done ? "Stopped" : "Running", done ? null : e.Pid, e.StartedAt,
                e.Launch.Labels, done ? e.Exit.Task.Result : null);
        }).ToList());

    private static TimeSpan ParseDuration(string s) =>
        s.EndsWith("ms", StringComparison.Ordinal) ? TimeSpan.FromMilliseconds(double.Parse(s[..^2], CultureInfo.InvariantCulture))
        : s.EndsWith('s') ? TimeSpan.FromSeconds(double.Parse(s[..^1], CultureInfo.InvariantCulture))
        : TimeSpan.FromSeconds(double.Parse(s, CultureInfo.InvariantCulture));
}
