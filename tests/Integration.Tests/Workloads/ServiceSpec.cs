using System.Net.Sockets;
using Troupe.Integration.Tests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace Troupe.Integration.Tests.Workloads;

/// <summary>
/// Services on one real node (runc) with the example app of <c>config/examples/web</c> (busybox httpd, a CGI script
/// printing the pod's name): the LoadBalancer port on localhost, the NodePort and the ClusterIP (from the host and
/// from a pod) spread connections over every ready replica; endpoints follow the pods; bad Services are refused
/// before anything is applied.
/// </summary>
public sealed class ServiceSpec(NodeFixture node, ITestOutputHelper output) : IClassFixture<NodeFixture>
{
    static readonly TimeSpan Long = TimeSpan.FromSeconds(90);

    TroupeCli Start()
    {
        Requirements.Runc();
        var cli = node.Start(output, "services");
        if (cli.Run("images", "-q", "example-web:1.0").Stdout.Trim().Length == 0)
            cli.Expect(0, Long, "build", "-q", "-t", "example-web:1.0", RepoRoot.File("config", "examples", "web"));
        return cli;
    }

    /// <summary>The example's Service on another port (the test host may have 5000 taken).</summary>
    static string ExampleService(int port) =>
        File.ReadAllText(RepoRoot.File("config", "examples", "web", "service.yaml")).Replace("port: 5000", $"port: {port}");

    [SkippableFact]
    public void A_LoadBalancer_Service_spreads_connections_over_every_ready_replica_and_follows_the_pods()
    {
        var cli = Start();
        var port = Ports.Free();
        var deployment = File.ReadAllText(RepoRoot.File("config", "examples", "web", "deployment.yaml"));
        var applied = cli.Apply(deployment + "\n---\n" + ExampleService(port), "web.yaml");
        Assert.Contains("service/web created", applied.Stdout);
        var pods = cli.WaitForRunning("web", 3, Long).Select(p => p.Name).ToHashSet();

        // every replica answers through localhost:PORT, round-robin
        // (the listener may come up in the middle of a batch: wait for one batch all answered, then check a fresh one)
        List<string> Batch() => Enumerable.Range(0, 9).Select(_ => Http.TryGet($"http://127.0.0.1:{port}/cgi-bin/pod")).ToList();
        Eventually.Until("all three replicas to answer through the Service", Long, Batch,
            answers => answers.All(a => a.StartsWith("pod: web-")) && pods.All(p => answers.Contains($"pod: {p}")),
            answers => string.Join(" | ", answers));
        var seen = Batch();
        Assert.All(seen, a => Assert.StartsWith("pod: web-", a));
        Assert.All(pods, p => Assert.Contains($"pod: {p}", seen));
        Assert.Contains("Hello from Troupe", Http.TryGet($"http://127.0.0.1:{port}/"));

        // the Service as kubectl shows it; its ClusterIP and node port answer too, from the host and from a pod
        var svc = cli.Expect(0, "get", "svc", "web", "-o", "json").Json;
        var clusterIp = svc.GetProperty("spec").GetProperty("clusterIP").GetString()!;
        Assert.Matches(@"^10\.96\.\d+\.\d+$", clusterIp);
        Assert.Equal("LoadBalancer", svc.GetProperty("spec").GetProperty("type").GetString());
        var nodePort = svc.GetProperty("spec").GetProperty("ports")[0].GetProperty("nodePort").GetInt32();
        Assert.InRange(nodePort, 30000, 32767);
        Assert.Matches($@"(?m)^web\s+LoadBalancer\s+{clusterIp.Replace(".", "\\.")}\s+localhost\s+{port}:{nodePort}/TCP\s", cli.Expect(0, "get", "services").Stdout);
        Assert.StartsWith("pod: web-", Http.TryGet($"http://{clusterIp}:{port}/cgi-bin/pod"));
        Assert.StartsWith("pod: web-", Http.TryGet($"http://127.0.0.1:{nodePort}/cgi-bin/pod"));
        var fromPod = cli.Expect(0, Long, "run", "--rm", "busybox", "wget", "-q", "-O", "-", $"http://{clusterIp}:{port}/cgi-bin/pod");
        Assert.StartsWith("pod: web-", fromPod.Stdout.Trim());

        // endpoints: the three pods' addresses at the named target port
        var ep = cli.Expect(0, "get", "endpoints", "web", "-o", "json").Json;
        var addresses = ep.GetProperty("subsets")[0].GetProperty("addresses").EnumerateArray().Select(a => a.GetProperty("ip").GetString()).ToList();
        Assert.Equal(3, addresses.Count);
        Assert.Equal(5000, ep.GetProperty("subsets")[0].GetProperty("ports")[0].GetProperty("port").GetInt32());

        // scaled down: the gone pods leave the endpoints and the balancer at once, with no failed request
        cli.Expect(0, "scale", "deployment", "web", "--replicas", "1");
        var left = Eventually.Until("one pod left", Long, () => cli.Pods("web"), p => p.Count == 1 && p[0].Phase == "Running", TroupeCli.Describe)[0].Name;
        var after = Eventually.Until("only the one pod to answer", TimeSpan.FromSeconds(15), () =>
            Enumerable.Range(0, 6).Select(_ => Http.TryGet($"http://127.0.0.1:{port}/cgi-bin/pod")).ToList(),
            answers => answers.All(a => a == $"pod: {left}"), answers => string.Join(" | ", answers));
        Assert.Single(cli.Expect(0, "get", "endpoints", "web", "-o", "json").Json.GetProperty("subsets")[0].GetProperty("addresses").EnumerateArray());

        // deleted: the ports close
        cli.Expect(0, "delete", "service", "web");
        Eventually.Until("the port to close", TimeSpan.FromSeconds(10), () => Http.TryGet($"http://127.0.0.1:{port}/"), r => r.StartsWith("failed:"), r => r);
        cli.DeleteDeployment("web", "web");
    }

    [SkippableFact]
    public void Bad_Services_are_refused_before_anything_is_applied()
    {
        var cli = Start();
        var port = Ports.Free();
        var holder = new TcpListener(System.Net.IPAddress.Any, port);
        holder.Start();
        try
        {
            // a port another process holds: refused, and the Deployment in the same file is not applied either
            var deployment = File.ReadAllText(RepoRoot.File("config", "examples", "web", "deployment.yaml")).Replace("name: web\n  labels", "name: held\n  labels");
            var r = cli.Apply(deployment + "\n---\n" + ExampleService(port).Replace("name: web\nspec", "name: held\nspec"), "held.yaml", expectExit: 1);
            Assert.Contains($"service/held: port {port} is already in use on this host", r.Stderr);
            Assert.Equal(1, cli.Run("get", "deployment", "held").ExitCode);
            Assert.Equal(1, cli.Run("get", "service", "held").ExitCode);
        }
        finally { holder.Stop(); }

        // two Services on one LoadBalancer port: the second is refused naming the first
        var free = Ports.Free();
        cli.Apply(ExampleService(free).Replace("name: web\nspec", "name: first\nspec"), "first.yaml");
        var second = cli.Apply(ExampleService(free).Replace("name: web\nspec", "name: second\nspec"), "second.yaml", expectExit: 1);
        Assert.Contains($"port {free} is already used by service default/first", second.Stderr);
        // a selector that matches nothing yet: applied, with a warning
        var lonely = cli.Apply(ExampleService(Ports.Free()).Replace("name: web\nspec", "name: lonely\nspec").Replace("app: web", "app: nobody"), "lonely.yaml");
        Assert.Contains("service/lonely created", lonely.Stdout);
        Assert.Contains("matches no pods", lonely.Stderr);
        // the validator's words for the rest
        var bad = cli.Apply("""
            apiVersion: v1
            kind: Service
            metadata:
              name: bad
            spec:
              type: NodePort
              ports:
                - port: 80
                  nodePort: 80
            """, "bad.yaml", expectExit: 1);
        Assert.Contains("spec.ports[0].nodePort: provided port is not in the valid range", bad.Stderr);
        Assert.Contains("bad.yaml:9", bad.Stderr);
        cli.Expect(0, "delete", "service", "first");
        cli.Expect(0, "delete", "service", "lonely");
    }

    [SkippableFact]
    public void A_rolling_update_behind_the_Service_fails_no_request_of_a_continuous_client()
    {
        var cli = Start();
        var port = Ports.Free();
        var deployment = File.ReadAllText(RepoRoot.File("config", "examples", "web", "deployment.yaml"))
            .Replace("name: web\n  labels", "name: roll\n  labels").Replace("app: web", "app: roll");
        var service = ExampleService(port).Replace("name: web\nspec", "name: roll\nspec").Replace("app: web", "app: roll");
        cli.Apply(deployment + "\n---\n" + service, "roll.yaml");
        var before = cli.WaitForRunning("roll", 3, Long).Select(p => p.Name).ToHashSet();
        Eventually.Until("the Service to answer", Long, () => Http.TryGet($"http://127.0.0.1:{port}/cgi-bin/pod"), a => a.StartsWith("pod: roll-"), a => a);

        // a client that never stops asking, one new connection per request
        var answers = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var client = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested) answers.Add(Http.TryGet($"http://127.0.0.1:{port}/cgi-bin/pod"));
        });
        try
        {
            // a changed template: a new ReplicaSet rolls in, one pod at a time (maxSurge 25% of 3 = 1, maxUnavailable 0)
            var changed = deployment.Replace("          resources:", "          env:\n            - name: VERSION\n              value: \"2\"\n          resources:");
            Assert.Contains("deployment.apps/roll configured", cli.Apply(changed + "\n---\n" + service, "roll.yaml").Stdout);
            var after = Eventually.Until("three new pods and no old one", TimeSpan.FromSeconds(120), () => cli.Pods("roll"),
                pods => pods.Count == 3 && pods.All(p => p.IsRunning && !before.Contains(p.Name)), TroupeCli.Describe);
            Eventually.Until("the new pods to answer", Long, () => Http.TryGet($"http://127.0.0.1:{port}/cgi-bin/pod"),
                a => after.Any(p => a == $"pod: {p.Name}"), a => a);
            Thread.Sleep(500);
        }
        finally
        {
            stop.Cancel();
            client.Wait(TimeSpan.FromSeconds(10));
        }
        var failed = answers.Where(a => !a.StartsWith("pod: roll-")).ToList();
        output.WriteLine($"{answers.Count} requests during the rollout, {failed.Count} failed: {string.Join(" | ", failed.Take(5))}");
        Assert.True(answers.Count > 20, $"only {answers.Count} requests were made");
        Assert.Empty(failed);
        // events tell the steps
        var events = cli.Expect(0, "get", "events").Stdout;
        Assert.Contains("Scaled up replica set roll-", events);
        Assert.Contains("Scaled down replica set roll-", events);

        // set image: another rollout, to a tag of the same image; a container the Deployment lacks is refused
        Assert.Equal("error: unable to find container named \"nope\" in deployment.apps/roll", cli.Expect(1, "set", "image", "deployment/roll", "nope=x").ErrorLine);
        cli.Expect(0, "tag", "example-web:1.0", "example-web:roll2");
        Assert.Equal("deployment.apps/roll image updated", cli.Expect(0, "set", "image", "deployment/roll", "web=example-web:roll2").Stdout.Trim());
        Eventually.Until("three pods of the new image", TimeSpan.FromSeconds(120), () => cli.Expect(0, "get", "pods", "-l", "app=roll", "-o", "json").Json,
            list => list.GetProperty("items").EnumerateArray().Count(p => p.GetProperty("spec").GetProperty("containers")[0].GetProperty("image").GetString() == "example-web:roll2"
                && p.GetProperty("status").GetProperty("phase").GetString() == "Running") == 3
                && list.GetProperty("items").GetArrayLength() == 3, list => list.ToString());
        cli.Expect(0, "delete", "service", "roll");
        cli.DeleteDeployment("roll", "roll");
    }

    [SkippableFact]
    public void Probes_gate_the_endpoints_and_a_failing_liveness_probe_restarts_the_container()
    {
        var cli = Start();
        var port = Ports.Free();
        cli.Apply($$$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: probed
            spec:
              replicas: 1
              selector:
                matchLabels: {app: probed}
              template:
                metadata:
                  labels: {app: probed}
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                    - name: web
                      image: example-web:1.0
                      command: [sh, -c, "touch /tmp/alive; exec httpd -f -p 5000 -h /www"]
                      ports: [{name: http, containerPort: 5000}]
                      readinessProbe:
                        httpGet: {path: /ready.txt, port: http}
                        periodSeconds: 1
                        failureThreshold: 1
                      livenessProbe:
                        exec: {command: [test, -f, /tmp/alive]}
                        periodSeconds: 1
                        failureThreshold: 2
                    - name: side
                      image: busybox
                      command: [sleep, "600"]
                      readinessProbe:
                        tcpSocket: {port: 5000}
                        periodSeconds: 1
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: probed
            spec:
              type: LoadBalancer
              selector: {app: probed}
              ports: [{port: {{{port}}}, targetPort: http}]
            """, "probed.yaml");
        var pod = cli.WaitForRunning("probed", 1, Long)[0].Name;
        // not ready while /ready.txt is missing: 1/2 (the side car's tcp probe passes), no endpoint, the Service refuses
        Eventually.Until("the pod to be running but not ready", Long, () => cli.Expect(0, "get", "pods", pod).Stdout,
            t => t.Contains(" 1/2 ") && t.Contains("Running"), t => t);
        Assert.Contains("<none>", cli.Expect(0, "get", "endpoints", "probed").Stdout);
        Assert.StartsWith("failed:", Http.TryGet($"http://127.0.0.1:{port}/"));
        Assert.Contains("Readiness probe failed: HTTP probe failed with statuscode: 404", cli.Expect(0, "get", "events").Stdout);

        // ready once the probe passes: in the endpoints, the Service answers
        cli.Expect(0, "exec", pod, "-c", "web", "--", "sh", "-c", "echo ok > /www/ready.txt");
        Eventually.Until("the pod to be ready", TimeSpan.FromSeconds(10), () => cli.Expect(0, "get", "pods", pod).Stdout, t => t.Contains(" 2/2 "), t => t);
        Eventually.Until("the Service to answer", TimeSpan.FromSeconds(5), () => Http.TryGet($"http://127.0.0.1:{port}/ready.txt"), a => a == "ok", a => a);
        // and out of them within about a second of failing again
        cli.Expect(0, "exec", pod, "-c", "web", "--", "rm", "/www/ready.txt");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Eventually.Until("the pod to leave the endpoints", TimeSpan.FromSeconds(10), () => cli.Expect(0, "get", "endpoints", "probed").Stdout, t => t.Contains("<none>"), t => t);
        output.WriteLine($"left the endpoints {sw.ElapsedMilliseconds} ms after the probe's file went");
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(4), $"took {sw.Elapsed}");

        // liveness: the file it checks goes, two failures, the container is killed and restarted
        cli.Expect(0, "exec", pod, "-c", "web", "--", "rm", "/tmp/alive");
        var restarted = Eventually.Until("the web container to be restarted", TimeSpan.FromSeconds(30), () => cli.Pods("probed"),
            p => p.Count == 1 && p[0].Containers.Any(c => c.Name == "web" && c.RestartCount >= 1), TroupeCli.Describe);
        Assert.Equal(pod, restarted[0].Name); // the same pod: a restart, not a replacement
        Assert.Contains("failed liveness probe, will be restarted", cli.Expect(0, "get", "events").Stdout);
        cli.Expect(0, "delete", "service", "probed");
        cli.DeleteDeployment("probed", "probed");
    }
}
