using System.Diagnostics;

namespace Troupe.Integration.Tests.Harness;

/// <summary>Runs a program with captured output and a hard timeout (the whole process tree is killed on timeout).</summary>
public static class ProcessRunner
{
    public static CliResult Run(string file, IReadOnlyList<string> args, IDictionary<string, string?>? env, TimeSpan timeout,
        string? stdin = null, string? workingDirectory = null, IReadOnlyList<string>? displayArgs = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepoRoot.Path,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null)
        {
            foreach (var (k, v) in env)
            {
                if (v is null) psi.Environment.Remove(k);
                else psi.Environment[k] = v;
            }
        }

        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            if (stdin is not null) p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        catch (IOException)
        {
            // the program exited without reading its stdin
        }

        var timedOut = false;
        if (!p.WaitForExit(timeout))
        {
            timedOut = true;
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            p.WaitForExit(5000);
        }
        var elapsed = sw.Elapsed;
        // A daemon that kept our pipes open would make ReadToEnd wait for it: give the streams a moment, then
        // take what arrived and say so.
        var streamsClosed = Task.WaitAll([stdout, stderr], TimeSpan.FromSeconds(timedOut ? 1 : 3));
        var outText = stdout.IsCompletedSuccessfully ? stdout.Result : "";
        var errText = stderr.IsCompletedSuccessfully ? stderr.Result : "";
        return new CliResult(displayArgs ?? args, timedOut ? -1 : p.ExitCode, outText, errText, elapsed, timedOut,
            StdioHeldOpen: !timedOut && !streamsClosed);
    }

    /// <summary>Runs a host tool (runc, kill, mount, ...) and returns its result.</summary>
    public static CliResult Host(string file, params string[] args) =>
        Run(file, args, null, TimeSpan.FromSeconds(30), displayArgs: [file, .. args]);
}
