using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Troupe.Runtime.Linux;
using Xunit;

namespace Troupe.Runtime.Tests.Networking;

/// <summary>Prerequisites and helpers of the root networking specs: skip with a reason, or fail when CI=true.</summary>
internal static class NetTestSupport
{
    public static string? MissingPrerequisite() =>
        !OperatingSystem.IsLinux() ? "not Linux"
        : !Processes.IsRoot ? "not root"
        : Which("ip") is null ? "ip (iproute2) missing"
        : Which("nsenter") is null || Which("unshare") is null ? "nsenter/unshare (util-linux) missing"
        : !File.Exists("/usr/bin/busybox") ? "/usr/bin/busybox missing"
        : null;

    public static void Require()
    {
        Prerequisite.Require("net", MissingPrerequisite());
    }

    private static string? Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':')
            .Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    /// <summary>A /24 in 10.89.200-249.x that no host interface uses.</summary>
    public static string FreeCidr()
    {
        var used = Run("ip", "-4", "-o", "addr").Result.Stdout;
        for (var i = 0; i < 100; i++)
        {
            var n = Random.Shared.Next(200, 250);
            if (!used.Contains($" 10.89.{n}.")) return $"10.89.{n}.0/24";
        }
        throw new InvalidOperationException("no free 10.89.x.0/24");
    }

    public static async Task<(int Code, string Stdout, string Stderr)> Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await o, await e);
    }

    /// <summary>busybox httpd serving <paramref name="dir"/> on :8000 inside the namespace; kill it when done.</summary>
    public static Process StartHttpd(string netns, string dir)
    {
        var psi = new ProcessStartInfo("nsenter") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { $"--net={netns}", "--", "/usr/bin/busybox", "httpd", "-f", "-p", "8000", "-h", dir }) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    public static void Stop(Process? p)
    {
        if (p is null) return;
        try { if (!p.HasExited) { p.Kill(entireProcessTree: true); p.WaitForExit(5000); } } catch (InvalidOperationException) { }
        p.Dispose();
    }

    /// <summary>One HTTP/1.0 GET over a fresh connection; the whole response.</summary>
    public static async Task<string> HttpGet(IPEndPoint ep, string path = "/index.html", int timeoutSeconds = 5)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        using var s = new Socket(ep.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await s.ConnectAsync(ep, cts.Token);
        await s.SendAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n"), SocketFlags.None, cts.Token);
        var buf = new byte[8192];
        var sb = new StringBuilder();
        int n;
        while ((n = await s.ReceiveAsync(buf, SocketFlags.None, cts.Token)) > 0) sb.Append(Encoding.ASCII.GetString(buf, 0, n));
        return sb.ToString();
    }

    /// <summary>Retry <see cref="HttpGet"/> until the server answers (it takes a moment to start).</summary>
    public static async Task<string> HttpGetWhenUp(IPEndPoint ep, string path = "/index.html", int seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            try { return await HttpGet(ep, path); }
            catch (Exception) when (DateTime.UtcNow < deadline) { await Task.Delay(50); }
        }
    }
}
