using System.Diagnostics;
using System.Text.Json;
using Troupe.Runtime.Drivers;

namespace Troupe.Runtime.Oci;

/// <summary>
/// Starts <c>conmon</c>, the container monitor podman and CRI-O use, for one container attempt. conmon daemonises
/// (its own session, stdio on /dev/null, so the node can exit and restart), runs <c>runc create</c>, holds the
/// container's stdout/stderr and writes them to the log in the CRI format, and when the container exits writes the
/// exit code to <c>EXIT_DIR/ID</c> (and an <c>oom</c> file to its persist dir when the memory limit killed it).
/// It reports the create result on its sync pipe (<c>_OCI_SYNCPIPE</c>): <c>{"data": PID}</c> or
/// <c>{"data": -1, "message": "..."}</c>; here the pipe is our child's stdout, passed to conmon as fd 3 by a shell.
/// </summary>
public sealed class Conmon(string conmonPath, string runcPath)
{
    /// <summary>Where one attempt's files go.</summary>
    public sealed record Paths(string Bundle, string ContainerPidFile, string ConmonPidFile, string LogPath,
        string ExitDir, string PersistDir, string SocketDir, string RuncRoot, string ConmonLog);

    /// <summary>
    /// Run conmon (and so <c>runc create</c>) for <paramref name="id"/>. Returns the container's init pid.
    /// Throws <see cref="ContainerStartException"/> (127/126) when runc reports the command is missing or not
    /// executable, <see cref="RuntimeInvocationException"/> on any other failure.
    /// </summary>
    public async Task<int> CreateAsync(string id, Paths p, CancellationToken ct) => await CreateAsync(id, p, default, ct);

    /// <summary>How the container's stdio is set up: a stdin pipe fed from the attach socket (<c>BUNDLE/attach</c>), a terminal.</summary>
    public readonly record struct Stdio(bool Stdin, bool LeaveStdinOpen, bool Tty);

    /// <inheritdoc cref="CreateAsync(string, Paths, CancellationToken)"/>
    public async Task<int> CreateAsync(string id, Paths p, Stdio stdio, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true, RedirectStandardInput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.Environment["_OCI_SYNCPIPE"] = "3";
        psi.Environment.Remove("_OCI_STARTPIPE");
        psi.Environment.Remove("NOTIFY_SOCKET");
        psi.Environment["CONMON_LOG"] = p.ConmonLog;
        foreach (var a in new[]
                 {
                     "-c", "exec \"$@\" 3>&1 1>/dev/null 2>>\"$CONMON_LOG\" </dev/null", "sh", conmonPath,
                     "--api-version", "1", "-c", id, "-u", id, "-n", id, "-r", runcPath, "-b", p.Bundle,
                     "-p", p.ContainerPidFile, "-P", p.ConmonPidFile, "-l", "k8s-file:" + p.LogPath,
                     "--exit-dir", p.ExitDir, "-0", p.PersistDir, "--socket-dir-path", p.SocketDir,
                     "--runtime-arg", "--root=" + p.RuncRoot, "--log-level", "error",
                 })
            psi.ArgumentList.Add(a);
        if (stdio.Stdin) psi.ArgumentList.Add("--stdin");
        if (stdio.Stdin && stdio.LeaveStdinOpen) psi.ArgumentList.Add("--leave-stdin-open");
        if (stdio.Tty) psi.ArgumentList.Add("--terminal");
        psi.ArgumentList.Add("--full-attach"); // the attach socket at BUNDLE/attach, whatever its length
        using var proc = new Process { StartInfo = psi };
        try { proc.Start(); }
        catch (System.ComponentModel.Win32Exception e) { throw new RuntimeInvocationException($"cannot run conmon: {e.Message}", false, e); }
        proc.StandardInput.Close();
        _ = proc.StandardError.ReadToEndAsync(CancellationToken.None);
        string? line;
        using (var cts = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            cts.CancelAfter(TimeSpan.FromSeconds(30));
            try { line = await proc.StandardOutput.ReadLineAsync(cts.Token); }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new RuntimeInvocationException($"conmon for {id} did not report within 30 s", isTransient: true);
            }
        }
        // Closing our end is fine: conmon only writes the create result there (verified with conmon 2.1.6).
        proc.StandardOutput.Close();
        await proc.WaitForExitAsync(CancellationToken.None);
        if (string.IsNullOrWhiteSpace(line))
        {
            var log = File.Exists(p.ConmonLog) ? (await File.ReadAllTextAsync(p.ConmonLog, CancellationToken.None)).Trim() : "";
            throw new RuntimeInvocationException($"conmon for {id} exited without a result (exit {proc.ExitCode}): {log}");
        }
        int pid;
        string? message = null;
        try
        {
            using var doc = JsonDocument.Parse(line);
            pid = doc.RootElement.GetProperty("data").GetInt32();
            if (doc.RootElement.TryGetProperty("message", out var m)) message = m.GetString();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new RuntimeInvocationException($"conmon for {id} reported {line}", false, e);
        }
        if (pid > 0) return pid;
        throw StartFailure(id, Runc.CleanMessage(message ?? "runc create failed"));
    }

    /// <summary>Docker's codes: 127 when the command is not found, 126 when it cannot be executed.</summary>
    public static Exception StartFailure(string id, string message)
    {
        if (message.Contains("executable file not found", StringComparison.OrdinalIgnoreCase)
            || message.Contains("no such file or directory", StringComparison.OrdinalIgnoreCase) && message.Contains("exec", StringComparison.Ordinal))
            return new ContainerStartException($"container {id}: {message}", 127);
        if (message.Contains("permission denied", StringComparison.OrdinalIgnoreCase) && message.Contains("exec", StringComparison.Ordinal))
            return new ContainerStartException($"container {id}: {message}", 126);
        return new RuntimeInvocationException($"container {id}: {message}");
    }
}
