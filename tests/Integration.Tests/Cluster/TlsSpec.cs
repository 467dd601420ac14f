using System.Net.Security;
using System.Net.Sockets;
using Troupe.Integration.Tests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace Troupe.Integration.Tests.Cluster;

/// <summary>
/// Issue 6, point 11: a lighthouse and two nodes started with <c>--config config/tls.hocon</c>, each with the files
/// <c>scripts/cluster-cert.sh</c> made copied into its <c>TROUPE_HOME</c>. The cluster forms over TLS; a node
/// without the TLS config, a node with another CA's certificate, and a TLS client with no certificate at all are
/// refused in the handshake and never become members; a process without the certificate cannot send commands
/// through ClusterClient either; the TCP command API wants TLS and the token, the unix socket stays local and open.
/// The process driver is enough: what is under test is the transport.
/// </summary>
public sealed class TlsSpec(ITestOutputHelper output) : IDisposable
{
    readonly string _certs = Directory.CreateTempSubdirectory("troupe-it-tls-certs-").FullName;

    public void Dispose() => Directory.Delete(_certs, recursive: true);

    static readonly string[] Files = ["ca.pem", "cluster.pfx", "cluster.password", "token"];

    /// <summary>A cluster's CA, certificate and token, made by the script the README names.</summary>
    string MakeCluster(string name)
    {
        var dir = Path.Combine(_certs, name);
        var r = ProcessRunner.Run(RepoRoot.File("scripts", "cluster-cert.sh"), [dir], null, TimeSpan.FromSeconds(60));
        Assert.True(r.ExitCode == 0, r.ToString());
        foreach (var f in Files.Append("ca.key")) Assert.True(File.Exists(Path.Combine(dir, f)), $"{f} missing\n{r}");
        return dir;
    }

    static Action<string> CopyInto(string certs) => home =>
    {
        foreach (var f in Files) File.Copy(Path.Combine(certs, f), Path.Combine(home, f));
    };

    [Fact]
    public void A_TLS_cluster_forms_keeps_out_processes_without_its_certificate_and_wants_TLS_and_the_token_on_its_API()
    {
        var ours = MakeCluster("ours");
        var theirs = MakeCluster("theirs");
        var tlsHocon = RepoRoot.File("config", "tls.hocon");
        var token = File.ReadAllText(Path.Combine(ours, "token")).Trim();
        using var cluster = new LocalCluster("tls", output, nodes: 2, driver: "process", configFiles: [tlsHocon], prepareHome: CopyInto(ours));
        var cli = cluster.Client;
        cli.ExtraEnv["TROUPE_CA"] = Path.Combine(ours, "ca.pem");
        cli.ExtraEnv["TROUPE_TOKEN"] = token;

        // the cluster forms over TLS, and the API over TLS with the CA and the token answers
        cluster.WaitReady();
        var table = cli.Expect(0, "get", "nodes").Stdout;
        Assert.Contains("\nn1 ", "\n" + table);
        Assert.Contains("\nn2 ", "\n" + table);
        Assert.Contains($"akka.ssl.tcp://troupe@127.0.0.1:{cluster.Lighthouse.ClusterPort}", cluster.Node("n1").Log);
        cli.Apply(Manifests.Deployment("secure", 2, "sleep 3600", grace: 1));
        cli.WaitForRunning("secure", 2);

        // outsiders: no TLS at all, and TLS with another cluster's certificate
        var plain = cluster.StartOutsider("plain", []);
        var foreign = cluster.StartOutsider("foreign", [tlsHocon], CopyInto(theirs));
        // and a TLS client that presents no certificate (mutual authentication)
        var anonymous = HandshakeWithoutCertificate(cluster.Lighthouse.ClusterPort);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            var r = cli.Run("get", "nodes");
            Assert.True(r.ExitCode == 0, $"{r}\n{cluster.Diagnostics()}\n--- plain\n{plain.Log}\n--- foreign\n{foreign.Log}");
            var nodes = r.Stdout;
            Assert.DoesNotContain("\nplain ", "\n" + nodes);
            Assert.DoesNotContain("\nforeign ", "\n" + nodes);
            Thread.Sleep(1000);
        }
        var members = cli.Expect(0, "get", "nodes", "-o", "json").Json.GetProperty("items").GetArrayLength();
        Assert.Equal(3, members); // n1, n2 and the lighthouse

        // the node with another CA's certificate refuses the lighthouse's, and stops at once with one line
        Eventually.Until("the foreign node exits", TimeSpan.FromSeconds(30), () => foreign.Shell!.HasExited, e => e, _ => foreign.Log);
        Assert.True(foreign.Shell!.ExitCode == 1, $"the foreign node exited with {foreign.Shell.ExitCode}\n{foreign.Log}");
        // (which side refuses first is a race: the lighthouse's check may close the channel before the foreign
        // node's own check of the lighthouse's certificate runs)
        LogHas(foreign, "TLS handshake failed");
        LogHas(foreign, "error: the TLS handshake with the cluster failed");
        // the lighthouse refused all three in the handshake
        LogHas(cluster.Lighthouse, "not an SSL/TLS record");               // plain: akka.tcp frames on a TLS port
        LogHas(cluster.Lighthouse, "does not chain to the cluster CA");    // foreign: another CA
        LogHas(cluster.Lighthouse, $"Rejected incoming connection from [[::ffff:127.0.0.1]:{anonymous}]"); // no certificate
        LogHas(plain, "AssociationError");
        Assert.DoesNotContain("Welcome from", plain.Log);
        Assert.DoesNotContain("Welcome from", foreign.Log);

        // a process without the certificate cannot send commands through ClusterClient either
        var sample = ProcessRunner.Run("dotnet", [ClusterClientSpec.SampleDll.Value, "--contact", $"127.0.0.1:{cluster.Node("n1").ClusterPort}"],
            TroupeCli.Environment(Path.GetTempPath()), TimeSpan.FromSeconds(120), displayArgs: ["ClusterClientSample", "--contact", "n1"]);
        cli.Log(sample.ToString());
        Assert.True(sample.ExitCode == 1 && sample.ErrorLine.StartsWith("error: no Troupe node answered Ping"), sample.ToString());

        // the TCP API: no token, a wrong token, no TLS, another CA: refused, one line each
        var api = $"127.0.0.1:{cluster.Node("n1").ApiPort}";
        var noToken = Remote(api, ca: Path.Combine(ours, "ca.pem"), token: null);
        AssertOneError(noToken, 1, "error: the node refused the request (HTTP 401): this API wants the cluster's bearer token");
        var wrongToken = Remote(api, ca: Path.Combine(ours, "ca.pem"), token: "not-the-token");
        AssertOneError(wrongToken, 1, "error: the node refused the request (HTTP 401): the bearer token is not this cluster's");
        var plainHttp = Remote(api, ca: null, token: token);
        AssertOneError(plainHttp, 3, "error: ");
        Assert.True(plainHttp.ErrorLine.Contains("is its API TLS?"), plainHttp.ToString());
        var otherCa = Remote(api, ca: Path.Combine(theirs, "ca.pem"), token: token);
        AssertOneError(otherCa, 1, $"error: the node at {api} is not the cluster's: its certificate does not chain to {Path.Combine(theirs, "ca.pem")}");

        // the right CA and token work, from the environment or from the client's TROUPE_HOME
        using (var home = new TroupeCli("tls-home", output))
        {
            File.Copy(Path.Combine(ours, "ca.pem"), Path.Combine(home.Home, "ca.pem"));
            File.Copy(Path.Combine(ours, "token"), Path.Combine(home.Home, "token"));
            home.ExtraEnv["TROUPE_CLUSTER"] = api;
            Assert.Equal(2, home.Pods("secure").Count);
        }
        // the unix socket is the local node's own: no token, as before
        Assert.Contains("\nn2 ", "\n" + cluster.Node("n1").Cli.Expect(0, "get", "nodes").Stdout);

        cli.Expect(0, "delete", "deployment", "secure");
        cli.WaitForNoPods("secure");

        // a node fetches an image it lacks from another node's API: over TLS, with the token
        var context = Directory.CreateTempSubdirectory("troupe-it-tls-build-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(context, "Dockerfile"), "FROM busybox\nCMD [\"sleep\", \"3600\"]\n");
            cluster.Node("n1").Cli.Expect(0, TimeSpan.FromSeconds(120), "build", "-t", "built/tls:1", context);
        }
        finally { Directory.Delete(context, recursive: true); }
        cli.Apply(Manifests.Deployment("fetched", 2, "", grace: 1, image: "built/tls:1", command: $"[\"sh\", \"-c\", \"{MultiNodeSpec.Ticks}\"]"), "fetched.yaml");
        var fetched = Eventually.Until("2 running pods of fetched on n1 and n2", TimeSpan.FromSeconds(90), () => cli.Pods("fetched"),
            ps => ps.Count == 2 && ps.All(p => p.IsRunning) && ps.Select(p => p.NodeName).Distinct().Count() == 2,
            TroupeCli.Describe, cluster.Diagnostics);
        var images = cluster.Node("n2").Cli.Expect(0, "images").Stdout;
        Assert.True(images.Contains("built/tls"), $"n2 has not the image it ran\n{images}\n{cluster.Node("n2").Log}");
        // n1's unix socket, a pod on n2: n1 passes exec and logs -f on to n2's API, over TLS with the token
        MultiNodeSpec.AssertStreamsReach(cluster.Node("n1").Cli, fetched.Single(p => p.NodeName == "n2"), isolated: false);
        cli.Expect(0, "delete", "deployment", "fetched");
        cli.WaitForNoPods("fetched");
    }

    CliResult Remote(string api, string? ca, string? token)
    {
        using var other = new TroupeCli("tls-remote", output);
        other.ExtraEnv["TROUPE_CLUSTER"] = api;
        other.ExtraEnv["TROUPE_CA"] = ca;
        other.ExtraEnv["TROUPE_TOKEN"] = token;
        return other.Run("get", "nodes");
    }

    static void LogHas(LocalCluster.Member m, string text) =>
        Assert.True(m.Log.Contains(text), $"{m.Name}'s log lacks \"{text}\":\n{string.Join("\n", m.Log.Split('\n').TakeLast(40))}");

    static void AssertOneError(CliResult r, int exitCode, string start)
    {
        Assert.True(r.ExitCode == exitCode, $"exit {exitCode} expected\n{r}");
        Assert.Equal("", r.Stdout);
        Assert.Single(r.ErrorLine.Split('\n'));
        Assert.StartsWith(start, r.ErrorLine);
    }

    /// <summary>
    /// A TLS client with no certificate dials the lighthouse's cluster port, accepting any server certificate;
    /// returns its local port, which the lighthouse's log names when it refuses the connection.
    /// </summary>
    static int HandshakeWithoutCertificate(int port)
    {
        using var tcp = new TcpClient();
        tcp.Connect("127.0.0.1", port);
        var local = ((System.Net.IPEndPoint)tcp.Client.LocalEndPoint!).Port;
        using var ssl = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        try
        {
            ssl.AuthenticateAsClient("127.0.0.1");
            // TLS 1.3: the server checks the client's (absent) certificate after the client thinks it is done
            ssl.ReadTimeout = 5000;
            var n = ssl.Read(new byte[16], 0, 16);
            Assert.Equal(0, n);
        }
        catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException) { }
        return local;
    }
}
