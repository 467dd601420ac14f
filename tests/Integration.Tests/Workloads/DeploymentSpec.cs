using System.Diagnostics;
using System.Text.RegularExpressions;
using Troupe.Integration.Tests.Harness;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Troupe.Integration.Tests.Workloads;

/// <summary>
/// Deployments on one real node with the runc driver: apply, real containers with namespaces and cgroup limits,
/// healing after <c>kill -9</c>, CrashLoopBackOff, scale, describe, logs, delete, graceful stop. The tests share
/// one node; each removes what it applied.
/// </summary>
public sealed class DeploymentSpec : IClassFixture<NodeFixture>
{
    private static readonly string[] Namespaces = ["pid", "mnt", "uts", "ipc", "net"];
    private readonly NodeFixture _node;
    private readonly ITestOutputHelper _output;

    public DeploymentSpec(NodeFixture node, ITestOutputHelper output)
    {
        _node = node;
        _output = output;
    }

    private TroupeCli Start()
    {
        Requirements.Runc();
        return _node.Start(_output, "deploy");
    }

    [SkippableFact]
    public void Applying_the_example_runs_three_pods_in_their_own_namespaces_with_cgroup_limits()
    {
        var cli = Start();
        try
        {
            var apply = cli.Expect(0, TimeSpan.FromSeconds(60), "apply", "-f", Manifests.Example);
            Assert.Contains("deployment.apps/web created", apply.Stdout);

            var pods = cli.WaitForRunning("web", 3);
            Assert.Equal(3, pods.Select(p => p.Name).Distinct().Count());
            var netNamespaces = new HashSet<string>();
            foreach (var pod in pods)
            {
                var c = pod.Container;
                Assert.False(string.IsNullOrEmpty(c.ContainerId), $"no containerID: {pod.Json}");
                var pid = c.Pid!.Value;
                Assert.True(HostProcesses.IsAlive(pid), $"pod {pod.Name} says pid {pid}, which does not run");
                foreach (var ns in Namespaces)
                {
                    Assert.True(HostProcesses.Namespace(pid, ns) != HostProcesses.SelfNamespace(ns),
                        $"pod {pod.Name} (pid {pid}) shares the host's {ns} namespace");
                }
                netNamespaces.Add(HostProcesses.Namespace(pid, "net"));
                Assert.Equal(64L * 1024 * 1024, HostProcesses.MemoryLimit(pid));
                Assert.Equal(0.25, HostProcesses.CpuLimit(pid) ?? double.PositiveInfinity, 3);
            }
            Assert.Equal(3, netNamespaces.Count);

            // `runc list` agrees: one running container per pod, with the same pid.
            var runc = cli.RuncContainers();
            foreach (var pod in pods)
            {
                var rc = runc.SingleOrDefault(r => r.Id == pod.Container.RuncId);
                Assert.True(rc is not null, $"{pod.Container.ContainerId} is not in runc list: {string.Join(", ", runc)}");
                Assert.Equal("running", rc!.Status);
                Assert.Equal(pod.Container.Pid, rc.Pid);
            }

            // The table, as kubectl prints it.
            var table = cli.Expect(0, "get", "pods");
            var lines = table.Stdout.TrimEnd().Split('\n');
            Assert.Matches(@"^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE", lines[0]);
            foreach (var pod in pods)
                Assert.Matches($@"(?m)^{Regex.Escape(pod.Name)}\s+1/1\s+Running\s+0\s", table.Stdout);

            // uts: the hostname inside is the pod's name; its output reaches `logs`.
            var first = pods[0];
            Eventually.Until($"`logs {first.Name}` to show the container's first line", TimeSpan.FromSeconds(10),
                () => cli.Run("logs", first.Name), r => r.ExitCode == 0 && r.Stdout.Contains($"started {first.Name}"),
                r => r.ToString());
        }
        finally
        {
            cli.DeleteDeployment("web");
        }
    }

    [SkippableFact]
    public void Killing_a_containers_process_is_healed_by_restarting_it_in_the_same_pod()
    {
        var cli = Start();
        try
        {
            cli.Expect(0, TimeSpan.FromSeconds(60), "apply", "-f", Manifests.Example);
            var pods = cli.WaitForRunning("web", 3);
            var victim = pods[0];
            var oldPid = victim.Container.Pid!.Value;

            HostProcesses.Kill(oldPid);
            var killedAt = Stopwatch.StartNew();
            var healed = Eventually.Until($"pod {victim.Name} restarted with restartCount 1 and a new pid", TimeSpan.FromSeconds(20),
                () => cli.Pods("web"),
                ps => ps.SingleOrDefault(p => p.Name == victim.Name) is { IsRunning: true } p &&
                      p.Container.RestartCount == 1 && p.Container.Pid != oldPid,
                TroupeCli.Describe, cli.Diagnostics);
            cli.Log($"healed in {killedAt.ElapsedMilliseconds} ms (as seen through get pods, polled every 200 ms)");

            Assert.Equal(3, healed.Count);
            Assert.Equal(pods.Select(p => p.Name).Order(), healed.Select(p => p.Name).Order());
            Assert.False(HostProcesses.IsAlive(oldPid));
            var newPid = healed.Single(p => p.Name == victim.Name).Container.Pid!.Value;
            Assert.True(HostProcesses.IsAlive(newPid));
            Assert.Equal(64L * 1024 * 1024, HostProcesses.MemoryLimit(newPid));
            // the others were left alone
            foreach (var other in pods.Skip(1))
            {
                var now = healed.Single(p => p.Name == other.Name).Container;
                Assert.Equal(other.Container.Pid, now.Pid);
                Assert.Equal(0, now.RestartCount);
            }
        }
        finally
        {
            cli.DeleteDeployment("web");
        }
    }

    [SkippableFact]
    public void A_container_that_keeps_crashing_shows_CrashLoopBackOff_with_a_rising_restart_count()
    {
        var cli = Start();
        try
        {
            cli.Apply(Manifests.Deployment("crasher", 1, "exit 1", grace: 1));
            var observations = new List<(string Pod, int Restarts, string? JsonReason, string? TableStatus, int? Exit)>();
            Eventually.Until("CrashLoopBackOff and at least 2 restarts", TimeSpan.FromSeconds(60),
                () =>
                {
                    var pods = cli.Pods("crasher");
                    var table = cli.Run("get", "pods").Stdout;
                    foreach (var p in pods)
                    {
                        var status = Regex.Match(table, $@"(?m)^{Regex.Escape(p.Name)}\s+\S+\s+(\S+)").Groups[1].Value;
                        var c = p.Containers.FirstOrDefault();
                        observations.Add((p.Name, c?.RestartCount ?? 0, c?.WaitingReason, status,
                            c?.ExitCode ?? c?.LastExitCode));
                    }
                    return pods;
                },
                _ => observations.Any(o => o.JsonReason == "CrashLoopBackOff" || o.TableStatus == "CrashLoopBackOff") &&
                     observations.Max(o => o.Restarts) >= 2,
                _ => string.Join("\n", observations.TakeLast(10)), cli.Diagnostics);

            Assert.Single(observations.Select(o => o.Pod).Distinct()); // restarted in place, never replaced
            for (var i = 1; i < observations.Count; i++)
                Assert.True(observations[i].Restarts >= observations[i - 1].Restarts, "restartCount went down: " +
                    string.Join("; ", observations.Select(o => o.Restarts)));
            Assert.Contains(observations, o => o.Exit == 1);
        }
        finally
        {
            cli.DeleteDeployment("crasher");
        }
    }

    [SkippableFact]
    public void Scale_to_five_and_back_to_one_and_describe_shows_the_replicas_and_events()
    {
        var cli = Start();
        try
        {
            cli.Expect(0, TimeSpan.FromSeconds(60), "apply", "-f", Manifests.Example);
            var three = cli.WaitForRunning("web", 3);

            cli.Expect(0, "scale", "deployment", "web", "--replicas", "5");
            var five = cli.WaitForRunning("web", 5);
            Assert.True(three.All(p => five.Any(f => f.Name == p.Name && f.Container.Pid == p.Container.Pid)),
                "scaling up must keep the running pods");
            var deploy = cli.Expect(0, "get", "deployment", "web", "-o", "json").Json;
            Assert.Equal(5, deploy.GetProperty("spec").GetProperty("replicas").GetInt32());
            Eventually.Until("status.readyReplicas 5", TimeSpan.FromSeconds(10),
                () => cli.Expect(0, "get", "deployment", "web", "-o", "json").Json,
                d => d.TryGetProperty("status", out var s) && s.TryGetProperty("readyReplicas", out var r) && r.GetInt32() == 5,
                d => d.GetRawText());

            cli.Expect(0, "scale", "deployment/web", "--replicas", "1");
            var one = cli.WaitForRunning("web", 1, TimeSpan.FromSeconds(30));
            var allIds = five.Select(p => p.Container.RuncId).ToHashSet();
            Eventually.Until("runc to hold exactly one container of web", TimeSpan.FromSeconds(15),
                () => cli.RuncContainers().Where(c => allIds.Contains(c.Id)).ToList(),
                left => left.Count == 1 && left[0].Id == one[0].Container.RuncId,
                left => string.Join(", ", left));
            foreach (var gone in five.Where(p => p.Name != one[0].Name))
                Assert.False(HostProcesses.IsAlive(gone.Container.Pid!.Value), $"{gone.Name}'s process still runs");

            var describe = cli.Expect(0, "describe", "deployment", "web");
            Assert.Contains("web", describe.Stdout);
            Assert.Matches(@"Replicas:\s+1\b", describe.Stdout);
            Assert.Contains("Events:", describe.Stdout);
            Assert.Matches(@"(?i)scaled", describe.Stdout);
        }
        finally
        {
            cli.DeleteDeployment("web");
        }
    }

    [SkippableFact]
    public void Logs_show_the_containers_output_and_previous_shows_the_attempt_before_a_kill()
    {
        var cli = Start();
        try
        {
            cli.Apply(Manifests.Deployment("talker", 1,
                "trap 'exit 0' TERM; echo attempt $(cat /proc/uptime | cut -d' ' -f1); echo to-stderr >&2; while true; do sleep 1 & wait $!; done"));
            var pod = cli.WaitForRunning("talker", 1)[0];

            var first = Eventually.Until("the first attempt's output in logs", TimeSpan.FromSeconds(10),
                () => cli.Run("logs", pod.Name), r => r.ExitCode == 0 && Nonce(r.Stdout) is not null && r.Stdout.Contains("to-stderr"),
                r => r.ToString());
            var nonce1 = Nonce(first.Stdout)!;

            HostProcesses.Kill(pod.Container.Pid!.Value);
            Eventually.Until("the restarted container", TimeSpan.FromSeconds(20), () => cli.Pods("talker"),
                ps => ps.Count == 1 && ps[0].IsRunning && ps[0].Container.RestartCount == 1, TroupeCli.Describe, cli.Diagnostics);

            var current = Eventually.Until("the second attempt's output in logs", TimeSpan.FromSeconds(10),
                () => cli.Run("logs", pod.Name), r => r.ExitCode == 0 && Nonce(r.Stdout) is { } n && n != nonce1,
                r => r.ToString());
            Assert.DoesNotContain(nonce1, current.Stdout);

            var previous = cli.Expect(0, "logs", pod.Name, "--previous");
            Assert.Equal(nonce1, Nonce(previous.Stdout));
            Assert.DoesNotContain(Nonce(current.Stdout)!, previous.Stdout);
        }
        finally
        {
            cli.DeleteDeployment("talker");
        }
    }

    private static string? Nonce(string logs)
    {
        var m = Regex.Match(logs, @"attempt (\d+\.\d+)");
        return m.Success ? m.Groups[1].Value : null;
    }

    [SkippableFact]
    public void Delete_removes_the_deployment_its_pods_and_their_runc_containers()
    {
        var cli = Start();
        cli.Expect(0, TimeSpan.FromSeconds(60), "apply", "-f", Manifests.Example);
        var pods = cli.WaitForRunning("web", 3);

        var delete = cli.Expect(0, TimeSpan.FromSeconds(60), "delete", "deployment", "web");
        Assert.Contains("deleted", delete.Stdout);
        cli.WaitForNoPods("web", TimeSpan.FromSeconds(30));

        var get = cli.Run("get", "deployment", "web");
        Assert.True(get.ExitCode == 1, $"a deleted deployment is not found: exit 1\n{get}");
        Assert.Contains("not found", get.Stderr);
        var ids = pods.Select(p => p.Container.RuncId).ToHashSet();
        Eventually.Until("runc to hold none of web's containers", TimeSpan.FromSeconds(10),
            () => cli.RuncContainers().Where(c => ids.Contains(c.Id)).ToList(), left => left.Count == 0,
            left => string.Join(", ", left));
        foreach (var p in pods)
            Assert.False(HostProcesses.IsAlive(p.Container.Pid!.Value), $"{p.Name}'s process {p.Container.Pid} still runs");
        var list = cli.Run("get", "deployments", "-o", "json");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.DoesNotContain(list.Json.GetProperty("items").EnumerateArray(),
            d => d.GetProperty("metadata").GetProperty("name").GetString() == "web");
    }

    [SkippableFact]
    public void A_container_that_ignores_SIGTERM_is_killed_when_its_grace_period_ends()
    {
        var cli = Start();
        try
        {
            cli.Apply(Manifests.Deployment("stubborn", 1, "trap '' TERM; echo ready; while true; do sleep 1; done", grace: 2));
            var pod = cli.WaitForRunning("stubborn", 1)[0];
            var pid = pod.Container.Pid!.Value;

            var sw = Stopwatch.StartNew();
            cli.Expect(0, TimeSpan.FromSeconds(60), "delete", "deployment", "stubborn");
            Assert.True(HostProcesses.WaitGone(pid, TimeSpan.FromSeconds(40)), $"pid {pid} still alive 40 s after delete");
            var took = sw.Elapsed;
            cli.Log($"stubborn container stopped {took.TotalMilliseconds:F0} ms after delete (grace 2 s)");
            Assert.True(took >= TimeSpan.FromSeconds(1.8), $"stopped after {took.TotalSeconds:F2} s: the grace period was not waited");
            Assert.True(took <= TimeSpan.FromSeconds(6), $"stopped after {took.TotalSeconds:F2} s: SIGKILL did not follow the 2 s grace");
        }
        finally
        {
            cli.DeleteDeployment("stubborn");
        }
    }
}
