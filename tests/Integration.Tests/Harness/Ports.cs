using System.Net;
using System.Net.Sockets;

namespace Troupe.Integration.Tests.Harness;

/// <summary>Loopback TCP ports for servers a test starts (a registry, PostgreSQL, cluster and API ports, Services).</summary>
public static class Ports
{
    /// <summary>A loopback TCP port nothing listens on now (the kernel's choice).</summary>
    public static int Free()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
