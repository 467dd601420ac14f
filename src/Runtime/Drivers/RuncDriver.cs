using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Troupe.Runtime.Linux;
using Troupe.Runtime.Oci;

namespace Troupe.Runtime.Drivers;

/// <summary>
/// The real driver: one OCI bundle per container under <c>{home}/containers/ID</c>, an overlay root file system,
/// <c>runc --root {home}/runc</c>, and <c>conmon</c> as each container's monitor (see <see cref="Conmon"/> and
/// README.md). Exits are learnt from conmon's exit files in <c>{home}/containers/exits</c> (inotify plus a 1 s poll),
/// so containers keep running across a node restart and a new instance on the same home adopts them.
/// Created by the node's DriverFactory; needs root. Everything it touches is under its home or its own cgroup paths.
/// </summary>
public sealed class RuncDriver : IContainerDriver, IDisposable
{
    private readonly string _home;
    private readonly string _nodeName;
    private readonly string _containers;
    private readonly string _exits;
    private readonly string _sockets;
    private readonly Runc _runc;
    private readonly Conmon _conmon;
    private readonly string _initBinary;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new();
    private readonly ConcurrentDictionary<string, Waiter> _waiters = new();
    private readonly FileSystemWatcher? _watcher;
    private readonly Timer _poll;

    private sealed class Waiter
    {
        public readonly TaskCompletionSource<ContainerExit> Exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int MissedPolls;
    }

    /// <summary>
    /// A driver for the node <paramref name="nodeName"/> keeping its state under <paramref name="home"/>.
    /// <paramref name="initBinary"/>: the init bind-mounted for <see cref="ContainerLaunch.Init"/>.
    /// </summary>
    public RuncDriver(string home, string nodeName, string runcPath, string conmonPath, string initBinary = "/usr/bin/catatonit")
    {
        _home = Path.GetFullPath(home);
        _nodeName = nodeName;
        _containers = Path.Combine(_home, "containers");
        _exits = Path.Combine(_containers, "exits");
        _sockets = Path.Combine(_containers, "sock");
        _initBinary = initBinary;
        Directory.CreateDirectory(_exits);
        Directory.CreateDirectory(_sockets);
        Directory.CreateDirectory(Path.Combine(_home, "runc"));
        _runc = new Runc(runcPath, Path.Combine(_home, "runc"));
        _conmon = new Conmon(conmonPath, runcPath);
        try
        {
            _watcher = new FileSystemWatcher(_exits) { NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size };
            _watcher.Created += (_, e) => TryComplete(e.Name!);
            _watcher.Changed += (_, e) => TryComplete(e.Name!);
            _watcher.Renamed += (_, e) => TryComplete(e.Name!);
            _watcher.EnableRaisingEvents = true;
        }
        catch (IOException) { _watcher = null; } // out of inotify watches: the poll still works
        _poll = new Timer(_ => Poll(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <inheritdoc />
    public string Name => "runc";

    private string Bundle(string id) => Path.Combine(_containers, id);
    private string ExitFile(string id) => Path.Combine(_exits, id);

    private static void ValidateId(string id)
    {
        if (string.IsNullOrEmpty(id) || id is "exits" or "sock" || id.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) || id.StartsWith('.'))
            throw new ArgumentException($"invalid container id '{id}'");
    }

    private async Task<IDisposable> LockAsync(string id)
    {
        var s = _locks.GetOrAdd(id, _ => new SemaphoreSlim(1, 1));
        await s.WaitAsync();
        return new Releaser(s);
    }

    private sealed class Releaser(SemaphoreSlim s) : IDisposable
    {
        public void Dispose() => s.Release();
    }

    /// <inheritdoc />
    public async Task<StartedContainer> StartAsync(ContainerLaunch launch, CancellationToken ct = default)
    {
        ValidateId(launch.Id);
        if (launch.Layers.IsDefaultOrEmpty)
            throw new ContainerStartException($"container {launch.Id}: no image layers to make a root file system from", 125);
        if (launch.Args.IsDefaultOrEmpty)
            throw new ContainerStartException($"container {launch.Id}: no command", 125);
        var id = launch.Id;
        using var _ = await LockAsync(id);
        var bundle = Bundle(id);
        Directory.CreateDirectory(bundle);

        // The previous attempt, if any: it must have stopped; forget its exit.
        var state = await _runc.StateAsync(id);
        if (state is { Status: "running" or "paused" })
            throw new RuntimeInvocationException($"container {id} is {state.Status}");
        if (state is not null) await _runc.DeleteAsync(id, force: true);
        ForgetExit(id);

        var rootfs = Path.Combine(bundle, "rootfs");
        if (!File.Exists(Path.Combine(bundle, "rootfs.copy")) && !Mounts.IsMountPoint(rootfs))
        {
            try
            {
                var how = await RootFs.PrepareAsync(launch.Layers, rootfs, Path.Combine(bundle, "upper"), Path.Combine(bundle, "work"));
                if (how == "copy") await File.WriteAllTextAsync(Path.Combine(bundle, "rootfs.copy"), "", ct);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new RuntimeInvocationException($"container {id}: cannot prepare its root file system: {e.Message}", false, e);
            }
        }

        if (launch.Init)
        {
            // runc would start the init fine and the command's absence would only be its exit 127: check first.
            var pathVar = launch.Env.IsDefault ? null : launch.Env.FirstOrDefault(e => e.StartsWith("PATH=", StringComparison.Ordinal))?[5..];
            if (RootFsLookup.Check(rootfs, launch.Args[0], pathVar ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    string.IsNullOrEmpty(launch.WorkingDir) ? "/" : launch.WorkingDir) is { } code)
                throw new ContainerStartException(code == 127
                    ? $"container {id}: exec: \"{launch.Args[0]}\": executable file not found in $PATH"
                    : $"container {id}: exec: \"{launch.Args[0]}\": permission denied", code);
        }
        var hostname = string.IsNullOrEmpty(launch.Hostname) ? id : launch.Hostname;
        var files = new BundleWriter.Files(Path.Combine(bundle, "hosts"), Path.Combine(bundle, "hostname"),
            Path.Combine(bundle, "resolv.conf"), launch.Init ? _initBinary : null);
        await File.WriteAllTextAsync(files.Hosts, BundleWriter.HostsFile(hostname), ct);
        await File.WriteAllTextAsync(files.Hostname, hostname + "\n", ct);
        await File.WriteAllTextAsync(files.ResolvConf, launch.ResolvConf ?? ResolvConf(), ct);
        await File.WriteAllBytesAsync(Path.Combine(bundle, "labels.json"), BundleWriter.LabelsJson(launch.Labels), ct);
        await File.WriteAllBytesAsync(Path.Combine(bundle, "config.json"), BundleWriter.ConfigJson(launch, files), ct);
        if (launch.CgroupPath is { Length: > 0 } cg) await File.WriteAllTextAsync(Path.Combine(bundle, "cgroup"), cg, ct);
        // conmon makes the attach socket either way; only a launch with stdin has a pipe behind it
        if (launch.Stdin) await File.WriteAllTextAsync(Path.Combine(bundle, "stdin"), launch.StdinOnce ? "once" : "open", ct);
        else File.Delete(Path.Combine(bundle, "stdin"));
        var persist = Path.Combine(bundle, "persist");
        Directory.CreateDirectory(persist);
        if (Path.GetDirectoryName(launch.LogPath) is { Length: > 0 } logDir) Directory.CreateDirectory(logDir);

        var paths = new Conmon.Paths(bundle, Path.Combine(bundle, "pidfile"), Path.Combine(bundle, "conmon.pid"),
            launch.LogPath, _exits, persist, _sockets, _runc.Root, Path.Combine(bundle, "conmon.log"));
        int pid;
        try
        {
            pid = await _conmon.CreateAsync(id, paths, new Conmon.Stdio(launch.Stdin, !launch.StdinOnce, launch.Tty), ct);
            await _runc.StartAsync(id);
        }
        catch
        {
            // Leave nothing of this attempt behind (the root file system stays for the next attempt; Remove cleans it).
            try { await _runc.DeleteAsync(id, force: true); } catch (RuntimeInvocationException) { }
            ForgetExit(id);
            throw;
        }
        var startedAt = DateTimeOffset.UtcNow;
        await File.WriteAllTextAsync(Path.Combine(bundle, "started"), startedAt.ToString("O"), CancellationToken.None);
        return new StartedContainer(id, pid, startedAt);
    }

    private void ForgetExit(string id)
    {
        File.Delete(ExitFile(id));
        var persist = Path.Combine(Bundle(id), "persist");
        if (Directory.Exists(persist))
        {
            File.Delete(Path.Combine(persist, "exit"));
            File.Delete(Path.Combine(persist, "oom"));
        }
        if (Directory.Exists(Bundle(id))) File.Delete(Path.Combine(Bundle(id), "pidfile"));
        if (_waiters.TryGetValue(id, out var w) && w.Exit.Task.IsCompleted) _waiters.TryRemove(new(id, w));
    }

    private static string ResolvConf()
    {
        // The host's resolvers minus loopback ones (unreachable from the container's network namespace).
        try
        {
            var lines = File.ReadAllLines("/etc/resolv.conf")
                .Where(l => !(l.StartsWith("nameserver", StringComparison.Ordinal) && (l.Contains(" 127.") || l.Contains(" ::1"))));
            return string.Join('\n', lines) + "\n";
        }
        catch (IOException) { return ""; }
    }

    /// <inheritdoc />
    public Task<ContainerExit> WaitAsync(string id, CancellationToken ct = default)
    {
        ValidateId(id);
        if (ReadExit(id) is { } done) return Task.FromResult(done);
        if (!Directory.Exists(Bundle(id))) throw new RuntimeInvocationException($"no container {id}");
        var w = _waiters.GetOrAdd(id, _ => new Waiter());
        TryComplete(id); // the exit may have landed between the check and the registration
        return w.Exit.Task.WaitAsync(ct);
    }

    /// <summary>The exit conmon recorded for the current attempt, or null while it runs.</summary>
    private ContainerExit? ReadExit(string id)
    {
        var file = ExitFile(id);
        string text;
        try { text = File.ReadAllText(file).Trim(); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
        catch (IOException) { return null; }
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var code)) return null;
        var oom = File.Exists(Path.Combine(Bundle(id), "persist", "oom"));
        var finished = new DateTimeOffset(File.GetLastWriteTimeUtc(file), TimeSpan.Zero);
        return new ContainerExit(id, code, finished, oom, code > 128 && code < 128 + 65 ? code - 128 : null);
    }

    private void TryComplete(string id)
    {
        if (!_waiters.TryGetValue(id, out var w)) return;
        if (ReadExit(id) is not { } exit) return;
        if (w.Exit.TrySetResult(exit)) _waiters.TryRemove(new(id, w));
    }

    private void Poll()
    {
        foreach (var (id, w) in _waiters)
        {
            TryComplete(id);
            if (w.Exit.Task.IsCompleted) continue;
            // conmon gone without an exit file (killed, or the host rebooted): the attempt is lost.
            var conmonPid = ReadPid(Path.Combine(Bundle(id), "conmon.pid"));
            if (conmonPid is { } cp && Processes.IsAlive(cp)) { w.MissedPolls = 0; continue; }
            if (++w.MissedPolls < 3) continue;
            if (w.Exit.TrySetException(new RuntimeInvocationException($"container {id}: its monitor (conmon) is gone and left no exit code")))
                _waiters.TryRemove(new(id, w));
        }
    }

    private static int? ReadPid(string file)
    {
        try { return int.TryParse(File.ReadAllText(file).Trim(), out var pid) && pid > 0 ? pid : null; }
        catch (IOException) { return null; }
    }

    /// <inheritdoc />
    public async Task<int> ExecAsync(string id, ContainerExec exec, CancellationToken ct = default)
    {
        ValidateId(id);
        if (exec.Args.IsDefaultOrEmpty) throw new ArgumentException("exec needs a command", nameof(exec));
        var state = await _runc.StateAsync(id);
        if (state is not { Status: "running" })
            throw new RuntimeInvocationException($"container {id} is not running{(state is null ? "" : $" ({state.Status})")}");
        var log = Path.Combine(Path.GetTempPath(), $"troupe-exec-{Guid.NewGuid():N}.json");
        var argv = new List<string> { _runc.Path, "--root", _runc.Root, "--log", log, "--log-format", "json", "exec" };
        if (exec.Tty) argv.Add("--tty");
        if (exec.WorkingDir is { } cwd) argv.AddRange(["--cwd", cwd]);
        if (exec.User is { } user)
        {
            // runc takes numbers only: names from the container's own passwd and group, as docker exec -u does
            var root = Path.Combine(Bundle(id), "rootfs");
            uint uid, gid;
            try { (uid, gid) = Images.ImageUser.Resolve(user, p => Build.FsUtil.Resolve(root, p) is { } f && File.Exists(f) ? File.ReadAllText(f) : null); }
            catch (FormatException e) { throw new RuntimeInvocationException(e.Message); }
            argv.AddRange(["--user", $"{uid}:{gid}"]);
        }
        foreach (var e in exec.Env) argv.AddRange(["--env", e]);
        argv.Add(id);
        argv.AddRange(exec.Args);
        System.Diagnostics.ProcessStartInfo psi;
        if (exec.Tty)
        {
            // runc's foreground --tty proxies the container's terminal through its own, which must be one: util-linux
            // `script` gives runc a pseudo-terminal (not echoing, exit code passed on) over our pipes
            psi = new System.Diagnostics.ProcessStartInfo(File.Exists("/usr/bin/script") ? "/usr/bin/script" : "script");
            // script's own terminal raw before runc starts: else output that comes before runc switches it gets a
            // second \r (onlcr) and typed input an echo
            var line = "stty raw -echo 2>/dev/null; exec " + string.Join(' ', argv.Select(ShellQuote));
            foreach (var a in new[] { "-q", "-e", "-E", "never", "-c", line, "/dev/null" }) psi.ArgumentList.Add(a);
            psi.Environment["SHELL"] = "/bin/sh"; // script runs the command line with $SHELL -c: quoted for sh
        }
        else
        {
            psi = new System.Diagnostics.ProcessStartInfo(argv[0]);
            foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        }
        try
        {
            var code = await ExecProcess.RunAsync(psi, exec, ct, holdStdin: exec.Tty);
            if (code != 255 || !File.Exists(log)) return code;
            // 255 is also what runc answers when it could not start the process: its log says which
            var failure = File.ReadLines(log).Select(l => l.Contains("\"level\":\"error\"", StringComparison.Ordinal) ? l : null).LastOrDefault(l => l is not null);
            if (failure is null || !failure.Contains("exec failed", StringComparison.Ordinal)) return code;
            if (failure.Contains("executable file not found", StringComparison.Ordinal) || failure.Contains("no such file or directory", StringComparison.Ordinal)) return 127;
            if (failure.Contains("permission denied", StringComparison.Ordinal) || failure.Contains("is a directory", StringComparison.Ordinal)) return 126;
            throw new RuntimeInvocationException($"runc exec {id}: {System.Text.Json.JsonDocument.Parse(failure).RootElement.GetProperty("msg").GetString()}");
        }
        finally { File.Delete(log); }
    }

    /// <inheritdoc />
    public async Task AttachAsync(string id, Stream stdin, CancellationToken ct = default)
    {
        ValidateId(id);
        var state = await _runc.StateAsync(id);
        if (state is not { Status: "running" })
            throw new RuntimeInvocationException($"container {id} is not running{(state is null ? "" : $" ({state.Status})")}");
        var path = Path.Combine(Bundle(id), "attach");
        if (!File.Exists(path) || !File.Exists(Path.Combine(Bundle(id), "stdin")))
            throw new RuntimeInvocationException($"container {id} was not started with stdin open (run -i)");
        System.Net.Sockets.Socket socket;
        try { socket = await UnixSocket.ConnectSeqPacketAsync(path, ct); }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException)
        {
            throw new RuntimeInvocationException($"container {id}: cannot attach to its stdin: {e.Message}", false, e);
        }
        using var _ = socket;
        // conmon copies the container's output to every attached client and blocks when one does not read: drain it
        // (the output reaches the user through the log)
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var drain = Task.Run(async () =>
        {
            var sink = new byte[8193];
            try { while (await socket.ReceiveAsync(sink, System.Net.Sockets.SocketFlags.None, stop.Token) > 0) { } }
            catch (Exception e) when (e is OperationCanceledException or System.Net.Sockets.SocketException or ObjectDisposedException) { }
        }, CancellationToken.None);
        try
        {
            // one packet per read, at most 4 KiB: conmon takes a packet whole into a buffer of 8 KiB
            var buffer = new byte[4096];
            int n;
            while ((n = await stdin.ReadAsync(buffer, ct)) > 0)
            {
                try { await socket.SendAsync(buffer.AsMemory(0, n), System.Net.Sockets.SocketFlags.None, ct); }
                catch (System.Net.Sockets.SocketException) { return; } // the container ended: nobody reads any more
            }
            // end of input: conmon reads end-of-file and, unless told to leave it open, closes the container's stdin
            try { socket.Shutdown(System.Net.Sockets.SocketShutdown.Send); }
            catch (System.Net.Sockets.SocketException) { }
        }
        finally
        {
            stop.Cancel();
            await drain;
        }
    }

    private static string ShellQuote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    /// <inheritdoc />
    public async Task KillAsync(string id, int signal)
    {
        ValidateId(id);
        await _runc.KillAsync(id, signal);
    }

    /// <inheritdoc />
    public async Task RemoveAsync(string id)
    {
        ValidateId(id);
        using var _ = await LockAsync(id);
        var bundle = Bundle(id);
        await _runc.DeleteAsync(id, force: true);
        if (ReadPid(Path.Combine(bundle, "conmon.pid")) is { } cp && Processes.IsAlive(cp) && IsConmonOf(cp, id))
        {
            // conmon exits by itself once the container is gone; give it a moment, then make sure.
            for (var i = 0; i < 20 && Processes.IsAlive(cp); i++) await Task.Delay(10);
            if (Processes.IsAlive(cp)) Processes.Kill(cp, 9);
        }
        string? cgroup = null;
        try { cgroup = (await File.ReadAllTextAsync(Path.Combine(bundle, "cgroup"))).Trim(); }
        catch (IOException) { }
        if (Directory.Exists(bundle))
        {
            Mounts.UnmountAll(bundle);
            if (Mounts.Under(bundle).Count > 0)
                throw new RuntimeInvocationException($"container {id}: its root file system is still mounted", isTransient: true);
            Directory.Delete(bundle, recursive: true);
        }
        File.Delete(ExitFile(id));
        var socketLink = new FileInfo(Path.Combine(_sockets, id));
        if (socketLink.Exists || socketLink.LinkTarget is not null) socketLink.Delete();
        else if (Directory.Exists(socketLink.FullName)) Directory.Delete(socketLink.FullName, true);
        if (cgroup is { Length: > 0 })
        {
            // Empty parents go up to, not including, troupe/ — and only within this node's own subtree.
            var mine = $"troupe/{_nodeName}/";
            Cgroups.Remove(cgroup, cgroup.Trim('/').StartsWith(mine, StringComparison.Ordinal) ? "troupe" : Path.GetDirectoryName(cgroup.Trim('/'))!);
        }
        if (_waiters.TryRemove(id, out var w))
            w.Exit.TrySetException(new RuntimeInvocationException($"container {id} was removed"));
    }

    private static bool IsConmonOf(int pid, string id)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0').Contains(id); }
        catch (IOException) { return false; }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ContainerRecord>> ListAsync()
    {
        var states = (await _runc.ListAsync()).ToDictionary(s => s.Id);
        var ids = new SortedSet<string>(states.Keys, StringComparer.Ordinal);
        if (Directory.Exists(_containers))
            foreach (var dir in Directory.EnumerateDirectories(_containers))
            {
                var name = Path.GetFileName(dir);
                if (name is "exits" or "sock") continue;
                ids.Add(name);
            }
        var result = new List<ContainerRecord>();
        foreach (var id in ids)
        {
            var bundle = Bundle(id);
            states.TryGetValue(id, out var st);
            var status = st?.Status switch
            {
                "running" => "Running",
                "paused" => "Paused",
                "created" => "Created",
                _ => "Stopped",
            };
            DateTimeOffset? startedAt = null;
            try { startedAt = DateTimeOffset.Parse(File.ReadAllText(Path.Combine(bundle, "started")), CultureInfo.InvariantCulture); }
            catch (Exception e) when (e is IOException or FormatException) { startedAt = st?.Created; }
            var exit = status == "Stopped" ? ReadExit(id) : null;
            result.Add(new ContainerRecord(id, status, st is { Pid: > 0 } && status != "Stopped" ? st.Pid : null, startedAt,
                BundleWriter.ReadLabels(Path.Combine(bundle, "labels.json")), exit));
        }
        return result;
    }

    /// <summary>Stops watching the exit folder. Containers keep running.</summary>
    public void Dispose()
    {
        _watcher?.Dispose();
        _poll.Dispose();
    }
}
