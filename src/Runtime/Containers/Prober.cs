using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Troupe.Runtime.Drivers;

namespace Troupe.Runtime.Containers;

/// <summary>One try of a probe's handler, with its timeout: what it checked and whether it passed.</summary>
public sealed record ProbeOutcome(bool Passed, string Detail);

/// <summary>
/// Runs one try of a container probe as the kubelet does: <c>httpGet</c> to the pod's address (200-399 passes),
/// <c>tcpSocket</c> (a connect passes), <c>exec</c> in the container through the driver (exit 0 passes). Each try
/// is cut at its timeout, which fails it. Thread-safe; one HTTP client for every probe of the node.
/// </summary>
public static class Prober
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.Zero, // a new connection per try, as the kubelet
        AllowAutoRedirect = false,
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true }, // the kubelet does not verify either
    }) { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>An HTTP GET of <c>scheme://host:port/path</c> with the headers; 200-399 passes.</summary>
    public static async Task<ProbeOutcome> HttpGetAsync(string scheme, IPAddress host, int port, string path,
        IEnumerable<(string Name, string Value)> headers, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var url = $"{scheme.ToLowerInvariant()}://{host}:{port}{(path.StartsWith('/') ? path : "/" + path)}";
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.UserAgent.ParseAdd("troupe-probe/1.0");
            foreach (var (n, v) in headers) request.Headers.TryAddWithoutValidation(n, v);
            using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            var code = (int)response.StatusCode;
            return new ProbeOutcome(code is >= 200 and < 400, $"HTTP probe failed with statuscode: {code}");
        }
        catch (OperationCanceledException) { return new ProbeOutcome(false, $"Get \"{url}\": context deadline exceeded"); }
        catch (HttpRequestException e) { return new ProbeOutcome(false, $"Get \"{url}\": {e.InnerException?.Message ?? e.Message}"); }
    }

    /// <summary>A TCP connect to <paramref name="host"/>:<paramref name="port"/> passes.</summary>
    public static async Task<ProbeOutcome> TcpAsync(IPAddress host, int port, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var socket = new Socket(host.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(host, port), cts.Token);
            return new ProbeOutcome(true, "");
        }
        catch (OperationCanceledException) { return new ProbeOutcome(false, $"dial tcp {host}:{port}: i/o timeout"); }
        catch (SocketException e) { return new ProbeOutcome(false, $"dial tcp {host}:{port}: connect: {e.Message}"); }
    }

    /// <summary>The command in the running container <paramref name="containerId"/>; exit 0 passes.</summary>
    public static async Task<ProbeOutcome> ExecAsync(IContainerDriver driver, string containerId, ImmutableArray<string> command, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var output = new MemoryStream();
        try
        {
            var code = await driver.ExecAsync(containerId, new ContainerExec(command, output, output), cts.Token);
            var text = System.Text.Encoding.UTF8.GetString(output.ToArray()).Trim();
            return new ProbeOutcome(code == 0, code == 0 ? "" : $"command {string.Join(' ', command)} exited with {code}{(text.Length > 0 ? ": " + (text.Length > 200 ? text[..200] : text) : "")}");
        }
        catch (OperationCanceledException) { return new ProbeOutcome(false, $"command timed out after {timeout.TotalSeconds:0}s"); }
        catch (RuntimeInvocationException e) { return new ProbeOutcome(false, e.Message); }
    }
}
