using System.Diagnostics;
using Troupe.Runtime.Drivers;

namespace Troupe.Runtime.Oci;

/// <summary>
/// INTERNAL API. Runs the process of a <see cref="ContainerExec"/> (<c>runc exec …</c>, or a host process for the
/// process driver) with its stdin copied in and its stdout and stderr copied out as bytes, as they come.
/// </summary>
internal static class ExecProcess
{
    /// <summary>
    /// <paramref name="holdStdin"/>: without input, keep the process's stdin open (not at end-of-file) until it exits,
    /// as a terminal with nobody typing is (`script` turns an early end-of-file into a stray <c>^@</c>).
    /// </summary>
    public static async Task<int> RunAsync(ProcessStartInfo psi, ContainerExec exec, CancellationToken ct, bool holdStdin = false)
    {
        psi.RedirectStandardInput = true;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        using var p = new Process { StartInfo = psi };
        try { p.Start(); }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ContainerStartException($"exec: \"{psi.FileName}\": {e.Message}", e.NativeErrorCode == 13 ? 126 : 127);
        }
        using var kill = ct.Register(() =>
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        });
        var stdout = Pump(p.StandardOutput.BaseStream, exec.Stdout);
        var stderr = Pump(p.StandardError.BaseStream, exec.Stderr);
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stdin = Task.Run(async () =>
        {
            var target = p.StandardInput.BaseStream;
            try
            {
                if (exec.Stdin is { } input)
                {
                    var buffer = new byte[16 << 10];
                    int n;
                    while ((n = await input.ReadAsync(buffer, CancellationToken.None)) > 0)
                    {
                        await target.WriteAsync(buffer.AsMemory(0, n), CancellationToken.None);
                        await target.FlushAsync(CancellationToken.None);
                    }
                }
                else if (holdStdin) await exited.Task;
            }
            catch (IOException) { } // the process stopped reading (or ended): its stdin is closed below
            catch (ObjectDisposedException) { }
            finally
            {
                try { p.StandardInput.Close(); } catch (Exception e) when (e is IOException or InvalidOperationException) { }
            }
        }, CancellationToken.None);
        await p.WaitForExitAsync(CancellationToken.None);
        exited.TrySetResult();
        await Task.WhenAll(stdout, stderr);
        ct.ThrowIfCancellationRequested();
        // stdin may still wait for input nobody will read: it is abandoned with the process
        _ = stdin;
        return p.ExitCode;
    }

    static async Task Pump(Stream from, Stream to)
    {
        var buffer = new byte[16 << 10];
        int n;
        try
        {
            while ((n = await from.ReadAsync(buffer, CancellationToken.None)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, n), CancellationToken.None);
                await to.FlushAsync(CancellationToken.None);
            }
        }
        catch (IOException) { } // the reader went away: the rest of the output is dropped, the process still runs to its end
        catch (ObjectDisposedException) { }
    }
}
