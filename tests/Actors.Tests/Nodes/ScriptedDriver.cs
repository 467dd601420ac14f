using System.Collections.Concurrent;
using System.Collections.Immutable;
using Troupe.Runtime.Drivers;

namespace Troupe.Actors.Tests.Nodes;

/// <summary>
/// Test driver (until the runtime's FakeDriver is merged) scripted by argv like the runtime's FakeDriver: <c>["exit","3"]</c> exits at once with 3,
/// <c>["exit","1","after","200ms"]</c> exits later, <c>["missing"]</c> fails to start with 127,
/// <c>["ignore-term"]</c> ignores SIGTERM, anything else runs until killed (exit 128+signal).
/// </summary>
public sealed class ScriptedDriver : IContainerDriver
{
    private sealed class Entry
    {
        public required ContainerLaunch Launch;
        public int Pid;
        public DateTimeOffset StartedAt;
        public TaskCompletionSource<ContainerExit> Exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly ConcurrentDictionary<string, Entry> _entries = new();
    private int _nextPid = 1000;
    public string Name => "fake";
    public int Starts;
    public readonly ConcurrentQueue<(string Id, int Signal)> Kills = new();

    public Task<StartedContainer> StartAsync(ContainerLaunch launch, CancellationToken ct = default)
    {
        if (launch.Args.Length > 0 && launch.Args[0] == "missing")
            throw new ContainerStartException($"exec: \"missing\": executable file not found in $PATH", 127);
        var e = new Entry { Launch = launch, Pid = Interlocked.Increment(ref _nextPid), StartedAt = DateTimeOffset.UtcNow };
        if (_entries.TryGetValue(launch.Id, out var old) && !old.Exit.Task.IsCompleted)
            throw new RuntimeInvocationException($"container {launch.Id} is running");
        _entries[launch.Id] = e;
        Interlocked.Increment(ref Starts);
        if (launch.LogPath != "/dev/null")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(launch.LogPath)!);
            var ts = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffffff00Z");
            File.AppendAllText(launch.LogPath, $"{ts} stdout P pid \n{ts} stdout F {e.Pid}\n{ts} stderr F {string.Join(' ', launch.Args)}\n");
        }
        var a = launch.Args;
        if (a.Length >= 2 && a[0] == "exit")
        {
            var code = int.Parse(a[1]);
            var after = a.Length >= 4 && a[2] == "after" ? ParseDuration(a[3]) : TimeSpan.Zero;
            _ = Task.Delay(after).ContinueWith(_ => e.Exit.TrySetResult(new ContainerExit(launch.Id, code, DateTimeOffset.UtcNow)));
        }
        return Task.FromResult(new StartedContainer(launch.Id, e.Pid, e.StartedAt));
    }

    public Task<ContainerExit> WaitAsync(string id, CancellationToken ct = default) =>
        _entries.TryGetValue(id, out var e) ? e.Exit.Task.WaitAsync(ct) : throw new RuntimeInvocationException($"no container {id}");

    /// <summary>These specs exec nothing: a call is a bug in the spec.</summary>
    public Task<int> ExecAsync(string id, ContainerExec exec, CancellationToken ct = default) =>
        Task.FromException<int>(new RuntimeInvocationException($"the scripted driver runs no exec ({id})"));

    public Task AttachAsync(string id, Stream stdin, CancellationToken ct = default) =>
        Task.FromException(new RuntimeInvocationException($"the scripted driver has no stdin ({id})"));

    public Task KillAsync(string id, int signal)
    {
        Kills.Enqueue((id, signal));
        if (_entries.TryGetValue(id, out var e))
        {
            var ignores = e.Launch.Args.Length > 0 && e.Launch.Args[0] == "ignore-term" && signal == 15;
            if (!ignores) e.Exit.TrySetResult(new ContainerExit(id, 128 + signal, DateTimeOffset.UtcNow, Signal: signal));
        }
        return Task.CompletedTask;
    }

    public Task RemoveAsync(string id)
    {
        if (_entries.TryRemove(id, out var e))
            e.Exit.TrySetResult(new ContainerExit(id, 137, DateTimeOffset.UtcNow, Signal: 9));
        return Task.CompletedTask;
    }

    public IReadOnlyList<ContainerLaunch> Launches => _entries.Values.Select(e => e.Launch).ToList();

    public Task<IReadOnlyList<ContainerRecord>> ListAsync() =>
        Task.FromResult<IReadOnlyList<ContainerRecord>>(_entries.Values.Select(e =>
        {
            var done = e.Exit.Task.IsCompleted;
            return new ContainerRecord(e.Launch.Id, done ? "Stopped" : "Running", done ? null : e.Pid, e.StartedAt,
                e.Launch.Labels, done ? e.Exit.Task.Result : null);
        }).ToList());

    public IReadOnlyList<ContainerRecord> List() => ListAsync().Result;

    public bool IsRunning(string id) => _entries.TryGetValue(id, out var e) && !e.Exit.Task.IsCompleted;

    private static TimeSpan ParseDuration(string s) =>
        s.EndsWith("ms") ? TimeSpan.FromMilliseconds(double.Parse(s[..^2]))
        : s.EndsWith('s') ? TimeSpan.FromSeconds(double.Parse(s[..^1])) : TimeSpan.FromSeconds(double.Parse(s));
}
