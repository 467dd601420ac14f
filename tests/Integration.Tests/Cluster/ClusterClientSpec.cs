using System.Net;
using System.Net.Sockets;
using Troupe.Integration.Tests.Harness;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Troupe.Integration.Tests.Cluster;

/// <summary>
/// The second way in: another .NET service, here <c>samples/ClusterClientSample</c> run as its own process, sends
/// protocol records to the gateway through ClusterClient without joining the cluster. The process driver is enough:
/// what is under test is the messaging; the pods are real processes all the same.
/// </summary>
public sealed class ClusterClientSpec(ITestOutputHelper output)
{
    /// <summary>The sample, built once per test run into its own bin folder (dotnet run would build at every call).</summary>
    internal static readonly Lazy<string> SampleDll = new(() =>
    {
        var outDir = RepoRoot.File("samples", "ClusterClientSample", "bin", "it");
        var r = ProcessRunner.Run("dotnet", ["build", RepoRoot.File("samples", "ClusterClientSample"), "-c", "Release", "-o", outDir,
                "-nodeReuse:false", "-p:UseSharedCompilation=false"],
            TroupeCli.Environment(Path.GetTempPath()), TimeSpan.FromMinutes(5));
        if (r.ExitCode != 0) throw new XunitException($"the sample does not build\n{r}");
        return Path.Combine(outDir, "ClusterClientSample.dll");
    });

    CliResult RunSample(TroupeCli? cli, params string[] args)
    {
        var r = ProcessRunner.Run("dotnet", [SampleDll.Value, .. args], TroupeCli.Environment(cli?.Home ?? Path.GetTempPath()),
            TimeSpan.FromSeconds(120), displayArgs: ["ClusterClientSample", .. args]);
        if (cli is not null) cli.Log(r.ToString());
        else output.WriteLine(r.ToString());
        return r;
    }

    [Fact]
    public void The_sample_applies_scales_and_watches_a_deployment_through_ClusterClient()
    {
        using var cli = new TroupeCli("cc", output);
        cli.Up("--driver", "process");
        var address = cli.NodeJson()?.GetProperty("address").GetString() ?? throw new XunitException($"no address in node.json: {cli.NodeJson()}");
        var manifest = cli.WriteManifest(Manifests.Deployment("ccapp", 1, "sleep 3600"), "ccapp.yaml");

        // two contacts, the first one dead: the client uses whichever receptionist answers
        var r = RunSample(cli, "--contact", $"127.0.0.1:{Ports.Free()}", "--contact", address, "--file", manifest, "--replicas", "3");

        Assert.True(r.ExitCode == 0, $"the sample must exit 0\n{r}\n{cli.Diagnostics()}");
        var lines = r.Stdout.TrimEnd().Split('\n');
        Assert.StartsWith("connected: node ", lines[0]);
        Assert.Equal("applied: deployment.apps/ccapp created", lines[1]);
        Assert.Equal("scaled: deployment.apps/ccapp to 3 replicas", lines[2]);
        var watch = lines.Skip(3).TakeWhile(l => l.StartsWith("watch: ")).ToList();
        Assert.True(watch.Count >= 1, $"no watch lines\n{r}");
        Assert.Equal("watch: deployment.apps/ccapp 3/3 available, 3 replicas", watch[^1]);
        Assert.Equal("ready: deployment.apps/ccapp has 3 available replicas", lines[^1]);
        Assert.Equal(3 + watch.Count + 1, lines.Length);

        // what the sample did is what the command line sees
        var deployment = cli.Expect(0, "get", "deployment", "ccapp", "-o", "json").Json;
        Assert.Equal(3, deployment.GetProperty("spec").GetProperty("replicas").GetInt32());
        Assert.Equal(3, deployment.GetProperty("status").GetProperty("availableReplicas").GetInt32());
        var pods = cli.Pods("ccapp");
        Assert.True(pods.Count == 3 && pods.All(p => p.IsRunning), TroupeCli.Describe(pods));
    }

    [Fact]
    public void With_no_node_at_the_contact_the_sample_exits_1_with_one_error_line()
    {
        var port = Ports.Free();

        var r = RunSample(null, "--contact", $"127.0.0.1:{port}");

        Assert.True(r.ExitCode == 1, $"no node: the sample must exit 1\n{r}");
        Assert.Equal("", r.Stdout);
        Assert.Single(r.ErrorLine.Split('\n'));
        Assert.StartsWith($"error: no Troupe node answered Ping at 127.0.0.1:{port} within 10 s", r.ErrorLine);
        Assert.True(r.Elapsed < TimeSpan.FromSeconds(30), $"it must give up after its connect timeout, took {r.Elapsed}");
    }

}
