using Troupe.Integration.Tests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace Troupe.Integration.Tests.Cluster;

/// <summary>
/// What users get wrong: each bad manifest is one clear line on stderr, exit 1, and nothing applied (the whole
/// file is validated before any of it is). <c>--dry-run</c> applies nothing and needs no node.
/// </summary>
public sealed class BadInputSpec(NodeFixture node, ITestOutputHelper output) : IClassFixture<NodeFixture>
{
    public static TheoryData<string, string, string> BadManifests => new()
    {
        {
            "broken-yaml", """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: broken
            spec:
              replicas: [1, 2
              template: {
            """, @"broken-yaml\.yaml:\d+"
        },
        { "unknown-kind", "apiVersion: example.com/v1\nkind: Frobnicator\nmetadata:\n  name: frob\n", "Frobnicator" },
        { "negative-replicas", Manifests.Deployment("negative", -1, "sleep 100"), "replicas" },
        { "absurd-replicas", Manifests.Deployment("absurd", 99999999, "sleep 100"), "replicas" },
        { "not-a-dns-label", Manifests.Deployment("Web_App", 1, "sleep 100"), "Web_App" },
        { "missing-image", Manifests.Deployment("noimage", 1, "sleep 100", image: "nosuch:1.0"), "nosuch" },
        {
            // the first document is fine, the second is not: the first must not be applied either
            "half-valid", Manifests.Deployment("half-ok", 1, "sleep 100") + "---\n" + Manifests.Deployment("half-bad", -3, "sleep 100"),
            "replicas"
        },
    };

    [SkippableTheory]
    [MemberData(nameof(BadManifests))]
    public void A_bad_manifest_is_one_line_exit_1_and_nothing_is_applied(string name, string yaml, string expected)
    {
        Requirements.Runc();
        var cli = node.Start(output, "bad");
        var deploymentsBefore = DeploymentNames(cli);
        var podsBefore = cli.Pods().Select(p => p.Name).ToHashSet();

        var path = cli.WriteManifest(yaml, name + ".yaml");
        var r = cli.Run(TimeSpan.FromSeconds(60), "apply", "-f", path);
        Assert.True(r.ExitCode == 1, $"{name}: expected exit 1\n{r}");
        NodeLifecycleSpec.AssertOneLine(r);
        Assert.Matches(expected, r.Stderr);

        Thread.Sleep(500); // anything wrongly applied would show by now
        Assert.Equal(deploymentsBefore, DeploymentNames(cli));
        Assert.Equal(podsBefore, cli.Pods().Select(p => p.Name).ToHashSet());
    }

    [SkippableFact]
    public void A_command_that_does_not_exist_is_applied_and_the_pod_shows_why_it_cannot_start()
    {
        Requirements.Runc();
        var cli = node.Start(output, "bad");
        try
        {
            cli.Apply(Manifests.Deployment("ghost", 1, "", command: "[\"/no/such/command\", \"--flag\"]"));
            var reasons = new[] { "RunContainerError", "StartError", "CreateContainerError", "ContainerCannotRun", "CrashLoopBackOff" };
            var pods = Eventually.Until("the ghost pod to show why it cannot start", TimeSpan.FromSeconds(30),
                () => cli.Pods("ghost"),
                ps => ps.Count == 1 && ps[0].Containers.Count == 1 &&
                      new[] { ps[0].Container.WaitingReason, ps[0].Container.TerminatedReason, ps[0].Container.LastReason }
                          .Any(r => r is not null && reasons.Contains(r)),
                TroupeCli.Describe, cli.Diagnostics);
            var c = pods[0].Container;
            cli.Log($"Troupe shows for a missing command: phase={pods[0].Phase} {c}");
            Assert.False(pods[0].IsRunning);
            // the cause is visible: exit code 127/128 (Docker/Kubernetes) or a message naming the command
            var messages = string.Join(" ", c.WaitingMessage, c.TerminatedMessage, c.LastMessage);
            Assert.True(c.ExitCode is 127 or 128 || c.LastExitCode is 127 or 128 || messages.Contains("/no/such/command"),
                $"nothing says why: {c}");
            // the table says so too (looked at until it does: between two attempts the pod is ContainerCreating)
            var row = new System.Text.RegularExpressions.Regex($@"(?m)^{pods[0].Name}\s+0/1\s+(RunContainerError|StartError|CreateContainerError|ContainerCannotRun|CrashLoopBackOff)\s");
            Eventually.Until("get pods to show the reason", TimeSpan.FromSeconds(30), () => cli.Expect(0, "get", "pods").Stdout, row.IsMatch, t => t);
        }
        finally
        {
            cli.DeleteDeployment("ghost");
        }
    }

    [Fact]
    public void Dry_run_needs_no_node_and_applies_nothing()
    {
        using var cli = new TroupeCli("dryrun", output);
        var r = cli.Expect(0, "apply", "-f", Manifests.Example, "--dry-run");
        Assert.Contains("deployment.apps/web", r.Stdout);
        Assert.Contains("dry run", r.Stdout);
        Assert.Null(cli.NodeJson());
        Assert.Empty(HostProcesses.Referring(cli.Home));

        var bad = cli.Run("apply", "-f", cli.WriteManifest(Manifests.Deployment("Bad_Name", 1, "true"), "dry.yaml"), "--dry-run");
        Assert.True(bad.ExitCode == 1, $"dry-run still validates: exit 1\n{bad}");
        NodeLifecycleSpec.AssertOneLine(bad);
        Assert.Contains("Bad_Name", bad.Stderr);

        var noNode = cli.Run("get", "deployments");
        Assert.True(noNode.ExitCode == 3, $"dry-run must not have started a node\n{noNode}");
    }

    [SkippableFact]
    public void Dry_run_against_a_running_node_applies_nothing()
    {
        Requirements.Runc();
        var cli = node.Start(output, "bad");
        var r = cli.Expect(0, "apply", "-f", Manifests.Example, "--dry-run");
        Assert.Contains("deployment.apps/web", r.Stdout);
        Thread.Sleep(500);
        Assert.DoesNotContain("web", DeploymentNames(cli));
        Assert.Empty(cli.Pods("web"));
    }

    private static HashSet<string> DeploymentNames(TroupeCli cli)
    {
        var r = cli.Expect(0, "get", "deployments", "-o", "json");
        return r.Json.GetProperty("items").EnumerateArray()
            .Select(d => d.GetProperty("metadata").GetProperty("name").GetString()!).ToHashSet();
    }
}
