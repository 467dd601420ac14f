using System.Net;
using System.Net.Sockets;
using System.Text;
using Troupe.Runtime.Networking;
using Xunit;

namespace Troupe.Runtime.Tests.Networking;

/// <summary>A published UDP port on loopback: datagrams reach the target, replies come back to each client, a taken port is refused.</summary>
[Trait("Category", "net")]
public sealed class UdpPublishedPortSpec
{
    [Fact]
    public async Task Datagrams_must_reach_the_target_and_replies_each_client()
    {
        using var echo = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var target = (IPEndPoint)echo.Client.LocalEndPoint!;
        using var stop = new CancellationTokenSource();
        var server = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var r = await echo.ReceiveAsync(stop.Token);
                await echo.SendAsync(Encoding.ASCII.GetBytes("echo:" + Encoding.ASCII.GetString(r.Buffer)), r.RemoteEndPoint, stop.Token);
            }
        });
        await using var port = UdpPublishedPort.Start(IPAddress.Loopback, 0, target);
        using var a = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var b = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await a.SendAsync(Encoding.ASCII.GetBytes("from-a"), port.HostEndPoint);
        await b.SendAsync(Encoding.ASCII.GetBytes("from-b"), port.HostEndPoint);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        Assert.Equal("echo:from-a", Encoding.ASCII.GetString((await a.ReceiveAsync(timeout.Token)).Buffer));
        Assert.Equal("echo:from-b", Encoding.ASCII.GetString((await b.ReceiveAsync(timeout.Token)).Buffer));
        // the taken port: refused with the same words as TCP
        var e = Assert.Throws<PortInUseException>(() => UdpPublishedPort.Start(IPAddress.Loopback, port.HostEndPoint.Port, target));
        Assert.Equal($"port {port.HostEndPoint.Port} is already in use on 127.0.0.1", e.Message);
        stop.Cancel();
    }
}
