using System.Text.Json;
using Troupe.Integration.Tests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace Troupe.Integration.Tests.Workloads;

/// <summary>
/// <c>rollout status|history|undo|restart</c> on one real node (runc): revisions with their change cause, undo to the
/// previous and to a given revision, restart, <c>minReadySeconds</c>, and a rollout that never becomes ready failing
/// <c>rollout status</c> at its <c>progressDeadlineSeconds</c>.
/// </summary>
public sealed class RolloutSpec(NodeFixture node, ITestOutputHelper output) : IClassFixture<NodeFixture>
{
    static readonly TimeSpan Long = TimeSpan.FromSeconds(90);

    static string Manifest(string version, string cause, string extra = "") => $$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: hist
          annotations:
            kubernetes.io/change-cause: "{{cause}}"
        spec:
          replicas: 2
          minReadySeconds: 1
          selector:
            matchLabels: {app: hist}
          template:
            metadata:
              labels: {app: hist}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
                - name: c
                  image: busybox
                  command: [sleep, "600"]
                  env: [{name: VERSION, value: "{{version}}"}]
        {{extra}}
        """;

    /// <summary>The VERSION of every pod of the Deployment, and how many pods there are.</summary>
    static List<string> Versions(TroupeCli cli) =>
        cli.Expect(0, "get", "pods", "-l", "app=hist", "-o", "json").Json.GetProperty("items").EnumerateArray()
            .Select(p => p.GetProperty("spec").GetProperty("containers")[0].GetProperty("env")[0].GetProperty("value").GetString()!)
            .ToList();

    static List<string> History(TroupeCli cli) =>
        cli.Expect(0, "rollout", "history", "deployment/hist").Stdout.Split('\n').Skip(2)
            .Where(l => l.Trim().Length > 0).Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))).ToList();

    [SkippableFact]
    public void History_undo_restart_and_status_follow_the_revisions_and_a_stuck_rollout_fails_at_its_deadline()
    {
        Requirements.Runc();
        var cli = node.Start(output, "rollout");
        cli.Apply(Manifest("1", "first"), "hist.yaml");
        var status = cli.Expect(0, Long, "rollout", "status", "deployment/hist");
        Assert.EndsWith("deployment \"hist\" successfully rolled out\n", status.Stdout);
        Assert.All(Versions(cli), v => Assert.Equal("1", v));

        // a second revision; minReadySeconds keeps the rollout waiting for availability a while
        cli.Apply(Manifest("2", "second"), "hist.yaml");
        var second = cli.Expect(0, Long, "rollout", "status", "deployment/hist");
        output.WriteLine(second.Stdout);
        Assert.Contains("Waiting for deployment \"hist\" rollout to finish", second.Stdout);
        Assert.EndsWith("deployment \"hist\" successfully rolled out\n", second.Stdout);
        Eventually.Until("two pods of version 2", Long, () => Versions(cli), v => v.Count == 2 && v.All(x => x == "2"), v => string.Join(",", v));
        Assert.Equal(["1 first", "2 second"], History(cli));

        // undo: back to revision 1's template, which becomes revision 3
        Assert.Equal("deployment.apps/hist rolled back\n", cli.Expect(0, "rollout", "undo", "deployment/hist").Stdout);
        cli.Expect(0, Long, "rollout", "status", "deployment/hist");
        Eventually.Until("two pods of version 1", Long, () => Versions(cli), v => v.Count == 2 && v.All(x => x == "1"), v => string.Join(",", v));
        Assert.Equal(["2 second", "3 first"], History(cli));
        Assert.Equal("3", cli.Expect(0, "get", "deployment", "hist", "-o", "json").Json
            .GetProperty("metadata").GetProperty("annotations").GetProperty("deployment.kubernetes.io/revision").GetString());
        Assert.Equal("error: unable to find specified revision 1 in history", cli.Expect(1, "rollout", "undo", "deployment/hist", "--to-revision", "1").ErrorLine);

        // restart: new pods of the same template
        var before = cli.Pods("hist").Select(p => p.Name).ToHashSet();
        Assert.Equal("deployment.apps/hist restarted\n", cli.Expect(0, "rollout", "restart", "deployment/hist").Stdout);
        cli.Expect(0, Long, "rollout", "status", "deployment/hist");
        var after = Eventually.Until("two new running pods", Long, () => cli.Pods("hist"),
            pods => pods.Count == 2 && pods.All(p => p.IsRunning && !before.Contains(p.Name)), TroupeCli.Describe);
        Assert.All(Versions(cli), v => Assert.Equal("1", v));
        Assert.Equal(["2 second", "3 first", "4 first"], History(cli));

        // a revision that never becomes ready: rollout status fails at the deadline, the old pods keep serving
        var stuck = Manifest("3", "never ready").Replace("  minReadySeconds: 1", "  minReadySeconds: 1\n  progressDeadlineSeconds: 3")
            .Replace("          env:", "          readinessProbe: {exec: {command: [\"false\"]}, periodSeconds: 1}\n          env:");
        cli.Apply(stuck, "hist.yaml");
        var started = DateTime.UtcNow;
        var failed = cli.Expect(1, Long, "rollout", "status", "deployment/hist");
        output.WriteLine($"rollout status failed after {(DateTime.UtcNow - started).TotalSeconds:F1} s: {failed.Stdout}{failed.Stderr}");
        Assert.Equal("error: deployment \"hist\" exceeded its progress deadline", failed.ErrorLine);
        Assert.InRange((DateTime.UtcNow - started).TotalSeconds, 2, 30);
        var progressing = cli.Expect(0, "get", "deployment", "hist", "-o", "json").Json.GetProperty("status").GetProperty("conditions")
            .EnumerateArray().Single(c => c.GetProperty("type").GetString() == "Progressing");
        Assert.Equal("ProgressDeadlineExceeded", progressing.GetProperty("reason").GetString());
        Assert.Equal(2, cli.Pods("hist").Count(p => after.Any(a => a.Name == p.Name) && p.IsRunning));

        // undo recovers it
        cli.Expect(0, "rollout", "undo", "deployment/hist");
        cli.Expect(0, Long, "rollout", "status", "deployment/hist");
        Eventually.Until("two pods of version 1 only", Long, () => Versions(cli), v => v.Count == 2 && v.All(x => x == "1"), v => string.Join(",", v));
        cli.DeleteDeployment("hist", "hist");
    }

    [SkippableFact]
    public void Logs_of_a_selector_are_prefixed_by_pod_and_follow_pods_that_appear_later()
    {
        Requirements.Runc();
        var cli = node.Start(output, "logs-l");
        cli.Apply("""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: chatty
            spec:
              replicas: 2
              selector:
                matchLabels: {app: chatty}
              template:
                metadata:
                  labels: {app: chatty}
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                    - name: talk
                      image: busybox
                      command: [sh, -c, 'echo "hello from $HOSTNAME"; while true; do sleep 1; echo "tick $HOSTNAME"; done']
            """, "chatty.yaml");
        var pods = cli.WaitForRunning("chatty", 2, Long).Select(p => p.Name).ToList();
        var once = Eventually.Until("both pods' first line", Long, () => cli.Expect(0, "logs", "-l", "app=chatty").Stdout,
            o => pods.All(p => o.Contains($"[pod/{p}/talk] hello from {p}\n")), o => o);
        Assert.All(once.TrimEnd('\n').Split('\n'), line => Assert.Matches(@"^\[pod/chatty-[a-z0-9]+-[a-z0-9]+/talk\] (hello from|tick) chatty-", line));

        // following: a pod scaled in while it runs is followed too
        var scale = Task.Run(() => { Thread.Sleep(1500); cli.Expect(0, "scale", "deployment", "chatty", "--replicas", "3"); });
        var followed = cli.Run(TimeSpan.FromSeconds(12), "logs", "-l", "app=chatty", "-f");
        scale.Wait();
        Assert.True(followed.TimedOut, "logs -f ended by itself: " + followed);
        var third = cli.Pods("chatty").Select(p => p.Name).Single(p => !pods.Contains(p));
        Assert.Contains($"[pod/{third}/talk] hello from {third}\n", followed.Stdout);
        Assert.Contains($"[pod/{pods[0]}/talk] tick {pods[0]}\n", followed.Stdout);
        Assert.Equal("error: only one of a pod name or -l SELECTOR may be given", cli.Expect(2, "logs", pods[0], "-l", "app=chatty").ErrorLine);
        cli.DeleteDeployment("chatty", "chatty");
    }

    [SkippableFact]
    public void A_raised_minReadySeconds_makes_ready_pods_available_again_once_they_have_been_ready_that_long()
    {
        Requirements.Runc();
        var cli = node.Start(output, "rollout");
        var manifest = Manifest("1", "first").Replace("hist", "minready");
        cli.Apply(manifest.Replace("minReadySeconds: 1", "minReadySeconds: 0"), "minready.yaml");
        cli.Expect(0, Long, "rollout", "status", "deployment/minready");
        int Available() => cli.Expect(0, "get", "deployment", "minready", "-o", "json").Json.GetProperty("status")
            .TryGetProperty("availableReplicas", out var a) ? a.GetInt32() : 0;

        // the template is unchanged (no new ReplicaSet): the pods, ready for a moment, are not available for 8 s
        cli.Apply(manifest.Replace("minReadySeconds: 1", "minReadySeconds: 8"), "minready.yaml");
        Eventually.Until("the pods to count as not yet available", TimeSpan.FromSeconds(5), Available, n => n < 2, n => $"{n} available");
        Eventually.Until("both pods available again 8 s after they became ready", TimeSpan.FromSeconds(30), Available, n => n == 2, n => $"{n} available");
        cli.DeleteDeployment("minready");
    }
}
