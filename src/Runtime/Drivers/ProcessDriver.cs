using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Text.Json;
using Troupe.Runtime.Linux;

namespace Troupe.Runtime.Drivers;

/// <summary>
/// No isolation, for unprivileged development: each attempt is a plain host process, in its own session and process
/// group (started through <c>setsid</c>, which keeps the pid), so a signal reaches it and its children.
/// <list type="bullet">
/// <item>argv[0] is resolved on the launch's <c>PATH</c> (else the node's): not found → <see cref="ContainerStartException"/>
/// 127, not executable → 126. The environment is exactly the launch's (plus the node's PATH when it has none).</item>
/// <item>Working directory: the launch's <c>WorkingDir</c> when it exists on the host, else
/// <c>{home}/containers/ID/root</c>. Uid, gid, limits, layers, namespaces and Init are ignored.</item>
/// <item>stdout/stderr are read by the driver and written to <c>LogPath</c> in the CRI format.</item>
/// <item><c>{home}/containers/ID/process.json</c> keeps pid, its /proc start time and labels; <c>exit.json</c> the exit the
/// driver saw. After a node restart <see cref="ListAsync"/> reports a live pid as Running; such an adopted process is
/// no longer our child, so <see cref="WaitAsync"/> polls /proc and, not being able to learn its exit code, reports 255
/// (unknown, as for a lost container). Its output pipes died with the old node, so it is best effort: the next write
/// kills it with SIGPIPE. A wrapper shell recording <c>$?</c> was rejected: it would change PID 1 signal semantics.</item>
/// </list>
/// </summary>
public sealed class ProcessDriver : IContainerDriver
{
    private const int UnknownExit = 255;
    private readonly string _containers;
    private readonly ConcurrentDictionary<string, Attempt> _attempts = new();
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new();

    private sealed class Attempt(int pid, long? startTime, IReadOnlyList<string>? env = null, string? cwd = null)
    {
        public readonly int Pid = pid;
        /// <summary>The process's stdin when launched with <see cref="ContainerLaunch.Stdin"/> (closed after the first attach with StdinOnce).</summary>
        public Stream? Stdin;
        public bool StdinOnce;
        /// <summary>What an exec runs with: the attempt's environment and working directory (null after adoption).</summary>
        public readonly IReadOnlyList<string>? Env = env;
        public readonly string? Cwd = cwd;
        public readonly long? StartTime = startTime;
        public readonly TaskCompletionSource<ContainerExit> Exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>A driver keeping its per-container folders under <c>{home}/containers</c>.</summary>
    public ProcessDriver(string home)
    {
        _containers = Path.Combine(Path.GetFullPath(home), "containers");
        Directory.CreateDirectory(_containers);
    }

    /// <inheritdoc />
    public string Name => "process";

    private string Dir(string id) => Path.Combine(_containers, id);

    private static void ValidateId(string id)
    {
        if (string.IsNullOrEmpty(id) || id.StartsWith('.') || id.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
            throw new ArgumentException($"invalid container id '{id}'");
    }

    /// <inheritdoc />
    public async Task<StartedContainer> StartAsync(ContainerLaunch launch, CancellationToken ct = default)
    {
        ValidateId(launch.Id);
        if (launch.Args.IsDefaultOrEmpty) throw new ContainerStartException($"container {launch.Id}: no command", 125);
        var id = launch.Id;
        var gate = _locks.GetOrAdd(id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            if (_attempts.TryGetValue(id, out var old) && !old.Exit.Task.IsCompleted)
                throw new RuntimeInvocationException($"container {id} is running");
            var dir = Dir(id);
            var root = Path.Combine(dir, "root");
            Directory.CreateDirectory(root);
            File.Delete(Path.Combine(dir, "exit.json"));

            var env = launch.Env.IsDefault ? [] : launch.Env.ToList();
            var path = env.FirstOrDefault(e => e.StartsWith("PATH=", StringComparison.Ordinal))?[5..];
            if (path is null)
            {
                path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
                env.Add("PATH=" + path);
            }
            var cwd = !string.IsNullOrEmpty(launch.WorkingDir) && launch.WorkingDir != "/" && Directory.Exists(launch.WorkingDir)
                ? launch.WorkingDir : root;
            var exe = Resolve(launch.Args[0], path, cwd, id);

            var setsid = File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : null;
            var psi = new ProcessStartInfo(setsid ?? exe)
            {
                RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
                UseShellExecute = false, WorkingDirectory = cwd,
            };
            if (setsid is not null) psi.ArgumentList.Add(exe);
            foreach (var a in launch.Args.Skip(1)) psi.ArgumentList.Add(a);
            psi.Environment.Clear();
            foreach (var kv in env)
            {
                var eq = kv.IndexOf('=');
                if (eq > 0) psi.Environment[kv[..eq]] = kv[(eq + 1)..];
            }
            var log = new CriLogWriter(launch.LogPath);
            var p = new Process { StartInfo = psi };
            try { p.Start(); }
            catch (System.ComponentModel.Win32Exception e)
            {
                log.Dispose();
                throw new ContainerStartException($"container {id}: {exe}: {e.Message}", 126);
            }
            if (!launch.Stdin) p.StandardInput.Close();
            var startedAt = DateTimeOffset.UtcNow;
            var attempt = new Attempt(p.Id, Processes.StartTime(p.Id), env, cwd)
            {
                Stdin = launch.Stdin ? p.StandardInput.BaseStream : null, StdinOnce = launch.StdinOnce,
            };
            _attempts[id] = attempt;
            await WriteProcessJsonAsync(dir, attempt, startedAt, launch);
            var pumps = Task.WhenAll(log.PumpAsync("stdout", p.StandardOutput), log.PumpAsync("stderr", p.StandardError));
            _ = Task.Run(async () =>
            {
                await p.WaitForExitAsync(CancellationToken.None);
                // Grandchildren may hold the pipes open; do not wait for them for long.
                await Task.WhenAny(pumps, Task.Delay(TimeSpan.FromSeconds(1)));
                var code = p.ExitCode; // .NET reports 128 + signal for a signal death
                var exit = new ContainerExit(id, code, DateTimeOffset.UtcNow, Signal: code > 128 && code < 128 + 65 ? code - 128 : null);
                try { await File.WriteAllTextAsync(Path.Combine(dir, "exit.json"), $"{{\"code\":{code},\"finishedAt\":\"{exit.FinishedAt:O}\"}}"); }
                catch (IOException) { } // removed meanwhile
                catch (UnauthorizedAccessException) { }
                log.Dispose();
                p.Dispose();
                attempt.Exit.TrySetResult(exit);
            });
            return new StartedContainer(id, attempt.Pid, startedAt);
        }
        finally { gate.Release(); }
    }

    /// <inheritdoc />
    public async Task AttachAsync(string id, Stream stdin, CancellationToken ct = default)
    {
        ValidateId(id);
        if (!_attempts.TryGetValue(id, out var a) || a.Exit.Task.IsCompleted) throw new RuntimeInvocationException($"container {id} is not running");
        if (a.Stdin is not { } input) throw new RuntimeInvocationException($"container {id} was not started with stdin open (run -i)");
        try
        {
            await stdin.CopyToAsync(input, 4096, ct);
            await input.FlushAsync(ct);
        }
        catch (IOException) { return; } // the process ended (its pipe is broken)
        if (a.StdinOnce)
        {
            a.Stdin = null;
            await input.DisposeAsync();
        }
    }

    /// <summary>A host process (no isolation, as the container), with the container's environment and working directory.</summary>
    public async Task<int> ExecAsync(string id, ContainerExec exec, CancellationToken ct = default)
    {
        ValidateId(id);
        if (exec.Args.IsDefaultOrEmpty) throw new ArgumentException("exec needs a command", nameof(exec));
        if (!_attempts.TryGetValue(id, out var a) || a.Exit.Task.IsCompleted || a.Env is null)
            throw new RuntimeInvocationException($"container {id} is not running");
        var env = a.Env.Concat(exec.Env).ToList();
        var path = env.LastOrDefault(e => e.StartsWith("PATH=", StringComparison.Ordinal))?[5..] ?? "/usr/bin:/bin";
        var cwd = exec.WorkingDir is { } w && Directory.Exists(w) ? w : a.Cwd ?? "/";
        string exe;
        try { exe = Resolve(exec.Args[0], path, cwd, id); }
        catch (ContainerStartException e)
        {
            await exec.Stderr.WriteAsync(System.Text.Encoding.UTF8.GetBytes(e.Message + "\n"), ct);
            return e.ExitCode;
        }
        var psi = new ProcessStartInfo(exe) { WorkingDirectory = cwd };
        foreach (var arg in exec.Args.Skip(1)) psi.ArgumentList.Add(arg);
        psi.Environment.Clear();
        foreach (var kv in env)
        {
            var eq = kv.IndexOf('=');
            if (eq > 0) psi.Environment[kv[..eq]] = kv[(eq + 1)..];
        }
        return await Oci.ExecProcess.RunAsync(psi, exec, ct);
    }

    private static string Resolve(string argv0, string path, string cwd, string id)
    {
        string? found = null;
        if (argv0.Contains('/')) found = Path.GetFullPath(argv0, cwd);
        else
            foreach (var d in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
            {
                var candidate = Path.Combine(d, argv0);
                if (File.Exists(candidate)) { found = candidate; if (IsExecutable(candidate)) break; }
            }
        if (found is null || !File.Exists(found) && !Directory.Exists(found))
            throw new ContainerStartException($"container {id}: exec: \"{argv0}\": executable file not found in $PATH", 127);
        if (Directory.Exists(found) || !IsExecutable(found))
            throw new ContainerStartException($"container {id}: exec: \"{argv0}\": permission denied", 126);
        return found;
    }

    private static bool IsExecutable(string file) =>
        (File.GetUnixFileMode(file) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;

    private static async Task WriteProcessJsonAsync(string dir, Attempt a, DateTimeOffset startedAt, ContainerLaunch launch)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("pid", a.Pid);
            if (a.StartTime is { } st) w.WriteNumber("startTime", st);
            w.WriteString("startedAt", startedAt);
            w.WriteString("logPath", launch.LogPath);
            w.WriteStartObject("labels");
            foreach (var (k, v) in launch.Labels) w.WriteString(k, v);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        var tmp = Path.Combine(dir, "process.json.tmp");
        await File.WriteAllBytesAsync(tmp, buffer.ToArray());
        File.Move(tmp, Path.Combine(dir, "process.json"), overwrite: true);
    }

    private sealed record Recorded(int Pid, long? StartTime, DateTimeOffset StartedAt, ImmutableSortedDictionary<string, string> Labels, ContainerExit? Exit)
    {
        public bool Alive => Processes.IsAlive(Pid) && (StartTime is null || Processes.StartTime(Pid) == StartTime);
    }

    private Recorded? Read(string id)
    {
        var dir = Dir(id);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "process.json")));
            var r = doc.RootElement;
            var labels = ImmutableSortedDictionary.CreateBuilder<string, string>();
            if (r.TryGetProperty("labels", out var l))
                foreach (var p in l.EnumerateObject()) labels[p.Name] = p.Value.GetString() ?? "";
            ContainerExit? exit = null;
            var exitFile = Path.Combine(dir, "exit.json");
            if (File.Exists(exitFile))
            {
                using var e = JsonDocument.Parse(File.ReadAllBytes(exitFile));
                var code = e.RootElement.GetProperty("code").GetInt32();
                exit = new ContainerExit(id, code, e.RootElement.GetProperty("finishedAt").GetDateTimeOffset(),
                    Signal: code > 128 && code < 128 + 65 ? code - 128 : null);
            }
            return new Recorded(r.GetProperty("pid").GetInt32(),
                r.TryGetProperty("startTime", out var st) ? st.GetInt64() : null,
                r.GetProperty("startedAt").GetDateTimeOffset(), labels.ToImmutable(), exit);
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public async Task<ContainerExit> WaitAsync(string id, CancellationToken ct = default)
    {
        ValidateId(id);
        if (_attempts.TryGetValue(id, out var a)) return await a.Exit.Task.WaitAsync(ct);
        // Adopted after a node restart: not our child, poll /proc.
        var rec = Read(id) ?? throw new RuntimeInvocationException($"no container {id}");
        while (rec.Exit is null && rec.Alive)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
            rec = Read(id) ?? throw new RuntimeInvocationException($"container {id} was removed");
        }
        return rec.Exit ?? new ContainerExit(id, UnknownExit, DateTimeOffset.UtcNow);
    }

    /// <inheritdoc />
    public Task KillAsync(string id, int signal)
    {
        ValidateId(id);
        int pid;
        if (_attempts.TryGetValue(id, out var a))
        {
            if (a.Exit.Task.IsCompleted) return Task.CompletedTask;
            pid = a.Pid;
        }
        else if (Read(id) is { Exit: null, Alive: true } rec) pid = rec.Pid;
        else return Task.CompletedTask;
        // The whole process group (setsid made the process its leader); the process alone if that fails.
        try
        {
            if (!Processes.Kill(-pid, signal)) Processes.Kill(pid, signal);
        }
        catch (InvalidOperationException e) { throw new RuntimeInvocationException($"kill {id}: {e.Message}", false, e); }
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task RemoveAsync(string id)
    {
        ValidateId(id);
        await KillAsync(id, 9);
        if (_attempts.TryRemove(id, out var a))
            await Task.WhenAny(a.Exit.Task, Task.Delay(TimeSpan.FromSeconds(5)));
        else if (Read(id) is { } rec)
            for (var i = 0; i < 100 && rec.Alive; i++) await Task.Delay(20);
        var dir = Dir(id);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ContainerRecord>> ListAsync()
    {
        var result = new List<ContainerRecord>();
        foreach (var dir in Directory.EnumerateDirectories(_containers).Order(StringComparer.Ordinal))
        {
            var id = Path.GetFileName(dir);
            if (Read(id) is not { } rec) continue;
            var running = _attempts.TryGetValue(id, out var a) ? !a.Exit.Task.IsCompleted : rec.Exit is null && rec.Alive;
            var exit = running ? null : a is { Exit.Task.IsCompletedSuccessfully: true } ? a.Exit.Task.Result
                : rec.Exit ?? new ContainerExit(id, UnknownExit, DateTimeOffset.UtcNow);
            result.Add(new ContainerRecord(id, running ? "Running" : "Stopped", running ? rec.Pid : null, rec.StartedAt, rec.Labels, exit));
        }
        return Task.FromResult<IReadOnlyList<ContainerRecord>>(result);
    }
}
