using System.Net.Sockets;
using Troupe.Integration.Tests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace Troupe.Integration.Tests.Workloads;

/// <summary>
/// The seed's three examples (<c>config/examples/seed</c>) as a user runs them, on bases made offline from Debian's
/// packages by <c>scripts/debian-base.sh --python --postgres</c>: the Flask Dockerfile built and run with its port
/// published, the Deployment's three replicas each answering, the compose file's app reaching its PostgreSQL
/// database by name on <c>localhost:5000</c>; and, on the same base, a UDP echo server behind <c>-p HOST:CTR/udp</c>.
/// </summary>
public sealed class SeedSpec(NodeFixture node, ITestOutputHelper output) : IClassFixture<NodeFixture>
{
    static readonly TimeSpan Long = TimeSpan.FromSeconds(180);

    /// <summary>Where the debootstrapped root filesystems are kept between runs (.ci/run fills it while it builds).</summary>
    static string RootfsCache => Environment.GetEnvironmentVariable("ROOTFS_CACHE") is { Length: > 0 } c ? c : "/var/cache/troupe/rootfs";

    [SkippableFact]
    public void The_seeds_Dockerfile_Deployment_and_compose_file_run_as_written()
    {
        Requirements.Runc();
        Requirements.Tool("debootstrap", "debootstrap");
        var cli = node.Start(output, "seed");

        // python:3.11-slim and postgres:15, made from Debian's packages (cached after the first run)
        var env = TroupeCli.Environment(cli.Home);
        env["ROOTFS_CACHE"] = RootfsCache;
        var bases = ProcessRunner.Run(RepoRoot.File("scripts", "debian-base.sh"), ["--no-slim", "--python", "--postgres"], env, TimeSpan.FromMinutes(10));
        cli.Log("scripts/debian-base.sh --no-slim --python --postgres: " + bases);
        Assert.True(bases.ExitCode == 0, bases.ToString());

        // the seed's folder, copied as a user would have it (the compose project is named after it)
        var dir = Path.Combine(Directory.CreateTempSubdirectory("troupe-seed-").FullName, "myapp");
        Directory.CreateDirectory(dir);
        foreach (var f in new[] { "Dockerfile", "requirements.txt", "app.py", "deployment.yaml", "compose.yaml" })
            File.Copy(RepoRoot.File("config", "examples", "seed", f), Path.Combine(dir, f));
        try
        {
            // 1. the Dockerfile: `troupe build -t myapp:1.0 .`, then `troupe run -p HOST:5000 myapp:1.0`
            Assert.Contains("Successfully tagged myapp:1.0", cli.Expect(0, Long, "build", "-t", "myapp:1.0", dir).Stdout);
            var port = Ports.Free();
            cli.Expect(0, Long, "run", "-d", "--name", "seed", "-p", $"{port}:5000", "myapp:1.0");
            var hello = Eventually.Until("the Flask app to answer on its published port", Long, () => Http.TryGet($"http://127.0.0.1:{port}/"),
                a => a.StartsWith("Hello from "), a => a + "\n" + cli.Run("logs", "seed"));
            Assert.Equal("Hello from seed", hello);
            Assert.Contains("\"python app.py\"", cli.Expect(0, "ps").Stdout); // the image's CMD, as docker ps shows it
            cli.Expect(0, "rm", "-f", "seed");

            // on the same base, a UDP echo server (python's socket module; busybox has no UDP server): -p HOST:CTR/udp
            // carries datagrams both ways
            var udpPort = FreeUdpPort();
            cli.Expect(0, Long, "run", "-d", "--name", "udpecho", "-p", $"{udpPort}:9000/udp", "python:3.11-slim", "python", "-c",
                "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(('0.0.0.0', 9000))\n" +
                "while True:\n    data, peer = s.recvfrom(1024)\n    s.sendto(b'echo ' + data, peer)\n");
            Assert.Contains($"0.0.0.0:{udpPort}->9000/udp", cli.Expect(0, "ps").Stdout);
            Assert.Equal("echo over udp", Eventually.Until("a UDP reply through the published port", Long, () => UdpAsk(udpPort, "over udp"),
                a => a == "echo over udp", a => a + "\n" + cli.Run("logs", "udpecho")));
            cli.Expect(0, "rm", "-f", "udpecho");

            // 2. the Deployment: three replicas of that image, each answering with its own name
            cli.Expect(0, Long, "apply", "-f", Path.Combine(dir, "deployment.yaml"));
            cli.WaitForRunning("myapp", 3, Long);
            var pods = cli.Expect(0, "get", "pods", "-l", "app=myapp", "-o", "json").Json.GetProperty("items").EnumerateArray()
                .Select(p => (Name: p.GetProperty("metadata").GetProperty("name").GetString()!, Ip: p.GetProperty("status").GetProperty("podIP").GetString()!))
                .ToList();
            Assert.Equal(3, pods.Count);
            foreach (var (name, ip) in pods)
                Eventually.Until($"pod {name} to answer at {ip}:5000", Long, () => Http.TryGet($"http://{ip}:5000/"), a => a == $"Hello from {name}", a => a);
            // python as pid 1 ignores SIGTERM, so its pods take their 30 s grace period to go (as on Kubernetes):
            // the compose part runs meanwhile (it publishes 5000 on the host; these pods publish nothing)
            cli.Expect(0, "delete", "deployment", "myapp");

            // 3. the compose file: `troupe compose up`, the app built from `.` answering on localhost:5000 and reaching
            // its database by the service name `db`
            Assert.True(PortIsFree(5000), "the seed's compose file publishes 5000:5000: something on this machine already listens on 5000");
            var compose = Path.Combine(dir, "compose.yaml");
            var up = cli.Expect(0, Long, "compose", "-f", compose, "up", "-d");
            Assert.Contains("the attribute `version` is obsolete", up.Stderr);
            Eventually.Until("the app on localhost:5000", Long, () => Http.TryGet("http://127.0.0.1:5000/"), a => a == "Hello from myapp-app-1", a => a);
            // a PostgreSQL server answers an SSLRequest with N (or S); db initialises its data folder first
            Eventually.Until("the app to reach db:5432", Long, () => Http.TryGet("http://127.0.0.1:5000/db"), a => a == "db answered N",
                a => a + "\n" + cli.Run("compose", "-f", compose, "logs", "db"));
            var ps = cli.Expect(0, "compose", "-f", compose, "ps").Stdout;
            Assert.Matches(@"(?m)^myapp-db-1\s+postgres:15\s+db\s", ps);
            Assert.Contains("0.0.0.0:5000->5000/tcp", ps);
            cli.Expect(0, Long, "compose", "-f", compose, "down");
            Assert.StartsWith("failed:", Http.TryGet("http://127.0.0.1:5000/"));
            cli.WaitForNoPods("myapp", TimeSpan.FromSeconds(60));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(dir)!, recursive: true);
        }
    }

    static int FreeUdpPort()
    {
        using var u = new UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        return ((System.Net.IPEndPoint)u.Client.LocalEndPoint!).Port;
    }

    static string UdpAsk(int port, string text)
    {
        using var u = new UdpClient();
        u.Client.ReceiveTimeout = 1000;
        u.Connect(System.Net.IPAddress.Loopback, port);
        u.Send(System.Text.Encoding.ASCII.GetBytes(text));
        try
        {
            System.Net.IPEndPoint? from = null;
            return System.Text.Encoding.ASCII.GetString(u.Receive(ref from));
        }
        catch (SocketException e) { return "no reply: " + e.SocketErrorCode; }
    }

    static bool PortIsFree(int port)
    {
        try
        {
            using var l = new TcpListener(System.Net.IPAddress.Any, port);
            l.Start();
            return true;
        }
        catch (SocketException) { return false; }
    }
}
