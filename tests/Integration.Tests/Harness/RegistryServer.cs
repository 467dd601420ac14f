using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Troupe.Integration.Tests.Harness;

/// <summary>
/// A real OCI registry (Debian's <c>docker-registry</c>, the CNCF distribution server) on a free loopback port,
/// storing in a temporary folder that is removed with it.
/// </summary>
public sealed class RegistryServer : IDisposable
{
    readonly Process _process;
    readonly string _dir;

    /// <summary><c>127.0.0.1:PORT</c>: the registry's domain in image references.</summary>
    public string Host { get; }

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public RegistryServer()
    {
        var binary = Requirements.Which("docker-registry") ?? throw new InvalidOperationException("docker-registry is not installed");
        _dir = Directory.CreateTempSubdirectory("troupe-registry-").FullName;
        var port = Ports.Free();
        Host = $"127.0.0.1:{port}";
        var config = Path.Combine(_dir, "config.yml");
        File.WriteAllText(config, $"""
            version: 0.1
            log:
              level: warn
            storage:
              filesystem:
                rootdirectory: {Path.Combine(_dir, "data")}
              delete:
                enabled: true
            http:
              addr: {Host}
            """);
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("serve");
        start.ArgumentList.Add(config);
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Http.BaseAddress = new Uri($"http://{Host}/");
        Eventually.Until("the registry answers /v2/", TimeSpan.FromSeconds(20), () =>
        {
            if (_process.HasExited) throw new InvalidOperationException($"docker-registry exited with {_process.ExitCode}");
            try { return Http.GetAsync("v2/").GetAwaiter().GetResult().StatusCode; }
            catch (HttpRequestException) { return HttpStatusCode.ServiceUnavailable; }
        }, s => s == HttpStatusCode.OK);
    }


    public string Get(string path) => Http.GetStringAsync(path).GetAwaiter().GetResult();

    public void Dispose()
    {
        try { _process.Kill(entireProcessTree: true); _process.WaitForExit(5000); } catch (InvalidOperationException) { }
        _process.Dispose();
        Http.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
