using System.Text.RegularExpressions;
using Troupe.Integration.Tests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace Troupe.Integration.Tests.Workloads;

/// <summary>
/// The docker container verbs on one real node (runc), through <c>./troupe</c> as a user types them: run attached
/// (output, exit code, <c>--rm</c>), run -d, ps, stop (grace, SIGKILL; <c>--init</c> makes it graceful), kill, rm,
/// the flags that reach the process (env, workdir, user, entrypoint, hostname, PID 1), the limits (OOM kill, pids),
/// a bare v1 Pod from apply, and the bad inputs.
/// </summary>
public sealed class ContainerSpec(NodeFixture node, ITestOutputHelper output) : IClassFixture<NodeFixture>
{
    static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    TroupeCli Start()
    {
        Requirements.Runc();
        return node.Start(output, "containers");
    }

    static string[] PsNames(CliResult ps) =>
        ps.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1]).ToArray();

    static string PsLine(CliResult ps, string name) =>
        ps.Stdout.Split('\n').FirstOrDefault(l => l.TrimEnd().EndsWith(" " + name, StringComparison.Ordinal)) ?? "";

    [SkippableFact]
    public void Run_streams_the_output_and_returns_the_exit_code_and_rm_leaves_nothing()
    {
        var cli = Start();
        var r = cli.Expect(3, Long, "run", "--rm", "--name", "attached", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3");
        Assert.Contains("out", r.Stdout);
        Assert.Contains("err", r.Stdout + r.Stderr);
        Assert.DoesNotContain("attached", PsNames(cli.Expect(0, "ps", "-a")));
        Assert.DoesNotContain(cli.RuncContainers(), c => c.Id.EndsWith("-attached", StringComparison.Ordinal));

        // everything after the image is the container's command, flags included
        var ls = cli.Expect(0, Long, "run", "--rm", "busybox", "ls", "-l", "/");
        Assert.Matches(@"(?m)^d[rwx-]{9}.* bin$", ls.Stdout);
    }

    [SkippableFact]
    public void Run_detached_lists_in_ps_and_get_pods_then_stop_keeps_it_exited_until_rm()
    {
        var cli = Start();
        var id = cli.Expect(0, Long, "run", "-d", "--name", "web", "busybox", "sleep", "600").Stdout.Trim();
        Assert.Matches("^[0-9a-f]{32}$", id);
        Eventually.Until("web to run", Long, () => cli.Expect(0, "ps"), ps => PsLine(ps, "web").Contains(" Up "), ps => ps.Stdout);
        var line = PsLine(cli.Expect(0, "ps"), "web");
        Assert.StartsWith(id[..12], line);
        Assert.Contains("\"sleep 600\"", line);
        Assert.Equal(id[..12], cli.Expect(0, "ps", "-q").Stdout.Split('\n').First(l => l.StartsWith(id[..12])).Trim());
        var pod = PodView.Parse(cli.Expect(0, "get", "pods", "web", "-o", "json").Json);
        Assert.Equal("Running", pod.Phase);

        // sleep as PID 1 ignores SIGTERM: SIGKILL after the grace period
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal("web", cli.Expect(0, Long, "stop", "-t", "1", "web").Stdout.Trim());
        Assert.InRange(sw.Elapsed.TotalSeconds, 0.9, 20);
        Assert.DoesNotContain("web", PsNames(cli.Expect(0, "ps")));
        Assert.Contains("Exited (137)", PsLine(cli.Expect(0, "ps", "-a"), "web"));
        Assert.Equal("Failed", PodView.Parse(cli.Expect(0, "get", "pods", "web", "-o", "json").Json).Phase);
        Assert.DoesNotContain(cli.RuncContainers(), c => c.Id.EndsWith("-web", StringComparison.Ordinal) && c.Status == "running");

        // an ID prefix names it too
        Assert.Equal(id[..8], cli.Expect(0, "rm", id[..8]).Stdout.Trim());
        Assert.DoesNotContain("web", PsNames(cli.Expect(0, "ps", "-a")));
        Assert.Contains("No such container: web", cli.Expect(1, "rm", "web").Stderr);
    }

    [SkippableFact]
    public void Init_forwards_the_stop_signal_so_stop_is_graceful_and_kill_and_rm_force_work()
    {
        var cli = Start();
        cli.Expect(0, Long, "run", "-d", "--init", "--name", "graceful", "busybox", "sleep", "600");
        Eventually.Until("graceful to run", Long, () => cli.Expect(0, "ps"), ps => PsLine(ps, "graceful").Contains(" Up "), ps => ps.Stdout);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        cli.Expect(0, Long, "stop", "graceful");
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(8), $"stop took {sw.Elapsed} with an init forwarding SIGTERM");
        Assert.Contains("Exited (143)", PsLine(cli.Expect(0, "ps", "-a"), "graceful"));
        cli.Expect(0, "rm", "graceful");

        cli.Expect(0, Long, "run", "-d", "--name", "Victim_1", "busybox", "sleep", "600");
        Eventually.Until("Victim_1 to run", Long, () => cli.Expect(0, "ps"), ps => PsLine(ps, "Victim_1").Contains(" Up "), ps => ps.Stdout);
        // docker's container names (upper case, '_') name a pod of run, its hostname too
        Assert.Equal("Victim_1", cli.Expect(0, "exec", "Victim_1", "hostname").Stdout.Trim());
        Assert.Contains("container is running", cli.Expect(1, "rm", "Victim_1").Stderr);
        cli.Expect(0, "kill", "Victim_1");
        Eventually.Until("Victim_1 to be killed", Long, () => cli.Expect(0, "ps", "-a"), ps => PsLine(ps, "Victim_1").Contains("Exited (137)"), ps => ps.Stdout);
        Assert.Contains("is not running", cli.Expect(1, "kill", "Victim_1").Stderr);
        cli.Expect(0, "rm", "Victim_1");

        cli.Expect(0, Long, "run", "-d", "--name", "forced", "busybox", "sleep", "600");
        Eventually.Until("forced to run", Long, () => cli.Expect(0, "ps"), ps => PsLine(ps, "forced").Contains(" Up "), ps => ps.Stdout);
        cli.Expect(0, Long, "rm", "-f", "forced");
        Assert.DoesNotContain("forced", PsNames(cli.Expect(0, "ps", "-a")));
    }

    [SkippableFact]
    public void User_names_are_resolved_in_the_image_passwd_for_USER_run_and_exec()
    {
        var cli = Start();
        var dir = Path.Combine(cli.Home, "users-ctx");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "Dockerfile"),
            "FROM busybox\nRUN echo app:x:1500:1600::/home/app:/bin/sh >> /etc/passwd && echo crew:x:1600: >> /etc/group\nUSER app\nCMD [\"sh\", \"-c\", \"echo $(id -u):$(id -g)\"]\n");
        cli.Expect(0, Long, "build", "-q", "-t", "users:1", dir);
        // the image's USER by name: its uid and primary group (not root)
        Assert.Equal("1500:1600", cli.Expect(0, Long, "run", "--rm", "users:1").Stdout.Trim());
        // --user NAME[:GROUP] from the image, a numeric uid takes its passwd group, else 0 (as docker)
        Assert.Equal("65534:65534", cli.Expect(0, Long, "run", "--rm", "--user", "nobody", "users:1").Stdout.Trim());
        Assert.Equal("1500:65534", cli.Expect(0, Long, "run", "--rm", "--user", "app:nogroup", "users:1").Stdout.Trim());
        Assert.Equal("1500:1600", cli.Expect(0, Long, "run", "--rm", "--user", "1500", "users:1").Stdout.Trim());
        Assert.Equal("4321:0", cli.Expect(0, Long, "run", "--rm", "--user", "4321", "users:1").Stdout.Trim());
        Assert.Contains("unable to find user ghost: no matching entries in passwd file",
            cli.Expect(125, Long, "run", "--rm", "--user", "ghost", "users:1").Stderr);
        Assert.Contains("unable to find group ghosts", cli.Expect(125, Long, "run", "--rm", "--user", "app:ghosts", "users:1").Stderr);
        // exec -u NAME in a running container
        cli.Expect(0, Long, "run", "-d", "--name", "usr", "users:1", "sleep", "600");
        Eventually.Until("usr to run", Long, () => cli.Run("exec", "usr", "true"), r => r.ExitCode == 0, r => r.ToString());
        Assert.Equal("1500:1600", cli.Expect(0, "exec", "usr", "sh", "-c", "echo $(id -u):$(id -g)").Stdout.Trim());
        Assert.Equal("0:0", cli.Expect(0, "exec", "-u", "root", "usr", "sh", "-c", "echo $(id -u):$(id -g)").Stdout.Trim());
        Assert.Equal("65534:65534", cli.Expect(0, "exec", "-u", "nobody", "usr", "sh", "-c", "echo $(id -u):$(id -g)").Stdout.Trim());
        Assert.Contains("unable to find user ghost", cli.Run("exec", "-u", "ghost", "usr", "true").Stderr);
        cli.Expect(0, Long, "rm", "-f", "usr");
    }

    [SkippableFact]
    public void The_flags_reach_the_process_and_it_is_isolated()
    {
        var cli = Start();
        var r = cli.Expect(0, Long, "run", "--rm", "--name", "flags", "-e", "FOO=bar baz", "--workdir", "/tmp", "--user", "1234:5678",
            "--entrypoint", "sh", "busybox", "-c", "echo foo=$FOO; echo cwd=$(pwd); echo uid=$(id -u) gid=$(id -g); echo host=$(hostname); echo pid=$$; ps -o pid,comm | wc -l");
        Assert.Contains("foo=bar baz", r.Stdout);
        Assert.Contains("cwd=/tmp", r.Stdout);
        Assert.Contains("uid=1234 gid=5678", r.Stdout);
        Assert.Contains("host=flags", r.Stdout);
        Assert.Contains("pid=1", r.Stdout); // its own PID namespace: the command is PID 1
        // no host process is visible: the header, sh, ps and wc (and the subshell)
        var count = int.Parse(r.Stdout.Trim().Split('\n')[^1].Trim());
        Assert.InRange(count, 2, 6);
    }


    static string Get(string host, int port)
    {
        using var c = new System.Net.Http.HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        return c.GetStringAsync($"http://{host}:{port}/").GetAwaiter().GetResult();
    }

    [SkippableFact]
    public void Every_container_has_its_own_address_on_the_bridge_reachable_from_the_host_without_publishing()
    {
        var cli = Start();
        cli.Expect(0, Long, "run", "-d", "--name", "unpublished", "busybox", "sh", "-c",
            "mkdir -p /www; echo at-its-own-address > /www/index.html; exec httpd -f -p 8000 -h /www");
        var pod = Eventually.Until("unpublished to run", Long, () => cli.Expect(0, "get", "pods", "unpublished", "-o", "json").Json,
            p => p.GetProperty("status").TryGetProperty("podIP", out var ip) && ip.GetString() is { Length: > 0 } && p.GetProperty("status").GetProperty("phase").GetString() == "Running",
            p => p.ToString());
        var ip = pod.GetProperty("status").GetProperty("podIP").GetString()!;
        Assert.Matches(@"^10\.\d+\.\d+\.\d+$", ip);
        Assert.Contains("at-its-own-address", Eventually.Until("httpd to answer", Long, () => { try { return Get(ip, 8000); } catch (Exception e) { return e.Message; } }, b => b.Contains("at-its-own-address"), b => b));
        // the container sees the same address on its eth0
        Assert.Contains($"inet {ip}/", cli.Expect(0, "exec", "unpublished", "ip", "-4", "addr", "show", "eth0").Stdout);
        cli.Expect(0, Long, "rm", "-f", "unpublished");
    }

    [SkippableFact]
    public void A_published_port_serves_on_localhost_from_the_pods_own_address_and_is_released_by_rm()
    {
        var cli = Start();
        var port = Ports.Free();
        cli.Expect(0, Long, "run", "-d", "--name", "served", "-p", $"{port}:8000", "busybox", "sh", "-c",
            "mkdir -p /www; echo served-by-$(hostname) > /www/index.html; exec httpd -f -p 8000 -h /www");
        var body = Eventually.Until("the published port to answer", Long, () => Get("127.0.0.1", port), b => b.Contains("served-by-served"), b => b);
        Assert.Contains($"0.0.0.0:{port}->8000/tcp", PsLine(cli.Expect(0, "ps"), "served"));

        // its own network namespace with an address on the node's bridge, reachable from the host at that address
        var pod = cli.Expect(0, "get", "pods", "served", "-o", "json").Json;
        var ip = pod.GetProperty("status").GetProperty("podIP").GetString()!;
        Assert.Matches(@"^10\.\d+\.\d+\.\d+$", ip);
        Assert.Contains("served-by-served", Get(ip, 8000));
        var pid = pod.GetProperty("status").GetProperty("containerStatuses")[0].GetProperty("pid").GetInt32();
        Assert.NotEqual(HostProcesses.SelfNamespace("net"), HostProcesses.Namespace(pid, "net"));

        // -p CONTAINER alone: the node picks a free host port, which ps shows and which serves
        cli.Expect(0, Long, "run", "-d", "--name", "anyport", "-p", "8000", "busybox", "sh", "-c",
            "mkdir -p /www; echo any-$(hostname) > /www/index.html; exec httpd -f -p 8000 -h /www");
        var chosen = System.Text.RegularExpressions.Regex.Match(PsLine(cli.Expect(0, "ps"), "anyport"), @"0\.0\.0\.0:(\d+)->8000/tcp");
        Assert.True(chosen.Success, cli.Expect(0, "ps").Stdout);
        var anyPort = int.Parse(chosen.Groups[1].Value);
        Assert.NotEqual(port, anyPort);
        Eventually.Until("the chosen host port to answer", Long, () => Get("127.0.0.1", anyPort), b => b.Contains("any-anyport"), b => b);
        cli.Expect(0, Long, "rm", "-f", "anyport");

        // a taken port: docker's words, exit 125, nothing created
        var taken = cli.Expect(125, "run", "-d", "--name", "second", "-p", $"{port}:8000", "busybox", "true");
        Assert.Contains($"Bind for 0.0.0.0:{port} failed: port is already allocated", taken.Stderr);
        Assert.DoesNotContain("second", PsNames(cli.Expect(0, "ps", "-a")));

        cli.Expect(0, Long, "rm", "-f", "served");
        Assert.ThrowsAny<Exception>(() => Get("127.0.0.1", port));
        Assert.False(Directory.Exists(Path.Combine(cli.Home, "netns")) && Directory.EnumerateFileSystemEntries(Path.Combine(cli.Home, "netns")).Any(),
            "the pod's network namespace was left behind");
    }

    [SkippableFact]
    public void A_manifest_mounts_hostPath_and_an_emptyDir_its_containers_share_and_the_emptyDir_goes_with_the_pod()
    {
        var cli = Start();
        var host = Directory.CreateTempSubdirectory("troupe-it-hostpath-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(host, "in.txt"), "from-the-host");
            var made = Path.Combine(host, "made");
            cli.Apply($$$"""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: vols
                spec:
                  restartPolicy: Never
                  containers:
                  - name: writer
                    image: busybox
                    command: [sh, -c, "echo from-writer > /shared/msg; cat /host/in.txt > /shared/copy; sleep 600"]
                    volumeMounts:
                    - {name: shared, mountPath: /shared}
                    - {name: host, mountPath: /host, readOnly: true}
                  - name: reader
                    image: busybox
                    command: [sleep, "600"]
                    volumeMounts:
                    - {name: shared, mountPath: /in}
                    - {name: made, mountPath: /made, subPath: sub/dir}
                  volumes:
                  - {name: shared, emptyDir: {}}
                  - {name: host, hostPath: {path: {{{host}}}}}
                  - {name: made, hostPath: {path: {{{made}}}, type: DirectoryOrCreate}}
                """, "vols.yaml");
            var both = Eventually.Until("the reader to see what the writer wrote", Long,
                () => cli.Run("exec", "vols", "-c", "reader", "--", "sh", "-c", "cat /in/msg /in/copy"), r => r.ExitCode == 0, r => r.ToString());
            Assert.Equal("from-writer\nfrom-the-host", both.Stdout.Trim());
            cli.Expect(0, "exec", "vols", "-c", "reader", "--", "sh", "-c", "echo via-subpath > /made/f");
            Assert.Equal("via-subpath\n", File.ReadAllText(Path.Combine(made, "sub", "dir", "f")));
            Assert.NotEqual(0, cli.Run("exec", "vols", "-c", "writer", "--", "touch", "/host/nope").ExitCode); // readOnly
            Assert.False(File.Exists(Path.Combine(host, "nope")));

            var uid = cli.Expect(0, "get", "pods", "vols", "-o", "json").Json.GetProperty("metadata").GetProperty("uid").GetString()!;
            var emptyDir = Path.Combine(cli.Home, "pods", uid, "volumes", "shared");
            Assert.True(File.Exists(Path.Combine(emptyDir, "msg")), $"the emptyDir is not at {emptyDir}");
            cli.Expect(0, Long, "delete", "pod", "vols", "--grace-period", "1");
            Eventually.Until("the emptyDir to go with its pod", Long, () => Directory.Exists(emptyDir), exists => !exists, _ => emptyDir);
            Assert.True(File.Exists(Path.Combine(host, "in.txt"))); // a hostPath is the host's: left as it was
        }
        finally { Directory.Delete(host, true); }
    }

    [SkippableFact]
    public void A_bind_mount_shares_a_host_directory_and_a_named_volume_outlives_its_container()
    {
        var cli = Start();
        var host = Directory.CreateTempSubdirectory("troupe-it-bind-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(host, "in.txt"), "from-the-host");
            var r = cli.Expect(0, Long, "run", "--rm", "-v", $"{host}:/data", "-v", "itest-vol:/keep", "busybox", "sh", "-c",
                "cat /data/in.txt; echo from-the-container > /data/out.txt; echo kept > /keep/k.txt");
            Assert.Contains("from-the-host", r.Stdout);
            Assert.Equal("from-the-container\n", File.ReadAllText(Path.Combine(host, "out.txt")));
            // the container is gone (--rm); its named volume is not
            Assert.Contains("kept", cli.Expect(0, Long, "run", "--rm", "-v", "itest-vol:/again", "busybox", "cat", "/again/k.txt").Stdout);
            // read-only is read-only
            var ro = cli.Run(Long, "run", "--rm", "-v", $"{host}:/data:ro", "busybox", "sh", "-c", "echo x > /data/ro.txt");
            Assert.NotEqual(0, ro.ExitCode);
            Assert.False(File.Exists(Path.Combine(host, "ro.txt")));
            // a source that does not exist: one line, 125, nothing created
            var missing = cli.Expect(125, "run", "--name", "nomount", "-v", "/no/such/dir:/data", "busybox", "true");
            Assert.Contains("bind source path does not exist: /no/such/dir", missing.Stderr);
            Assert.DoesNotContain("nomount", PsNames(cli.Expect(0, "ps", "-a")));
        }
        finally { Directory.Delete(host, recursive: true); }
    }

    [SkippableFact]
    public void A_memory_hog_is_oom_killed_inside_its_limit_and_a_fork_bomb_stops_at_the_pids_limit()
    {
        var cli = Start();
        var hog = cli.Run(Long, "run", "--name", "hog", "--memory", "16m", "busybox", "sh", "-c", "head -c 200m /dev/zero | tail > /dev/null");
        Assert.Equal(137, hog.ExitCode);
        var pod = cli.Expect(0, "get", "pods", "hog", "-o", "json").Json;
        var terminated = pod.GetProperty("status").GetProperty("containerStatuses")[0].GetProperty("state").GetProperty("terminated");
        Assert.Equal("OOMKilled", terminated.GetProperty("reason").GetString());
        cli.Expect(0, "rm", "hog");

        var bomb = cli.Run(Long, "run", "--rm", "--pids-limit", "8", "busybox", "sh", "-c",
            "for i in $(seq 1 20); do sleep 30 & done 2>&1; echo forked; kill $(jobs -p) 2>/dev/null; exit 0");
        Assert.Matches(new Regex("can't fork|Resource temporarily unavailable", RegexOptions.IgnoreCase), bomb.Stdout + bomb.Stderr);
    }

    [SkippableFact]
    public void A_bare_pod_applies_runs_to_completion_and_deletes()
    {
        var cli = Start();
        const string yaml = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: once
              labels: {job: once}
            spec:
              restartPolicy: Never
              containers:
              - name: main
                image: busybox
                command: ["sh", "-c", "echo done-once"]
                securityContext: {runAsUser: 4321}
            """;
        Assert.Contains("pod/once created", cli.Apply(yaml).Stdout);
        Assert.Contains("pod/once unchanged", cli.Apply(yaml).Stdout);
        Eventually.Until("once to succeed", Long, () => PodView.Parse(cli.Expect(0, "get", "pods", "once", "-o", "json").Json),
            p => p.Phase == "Succeeded", p => p.Json);
        Assert.Contains("done-once", cli.Expect(0, "logs", "once").Stdout);
        Assert.Contains("spec", cli.Apply(yaml.Replace("done-once", "changed"), expectExit: 1).Stderr);
        cli.Expect(0, Long, "delete", "pod", "once");
        Assert.Contains("not found", cli.Expect(1, "get", "pods", "once").Stderr);
    }

    [SkippableFact]
    public void Bad_runs_are_one_line_with_docker_exit_code_125_and_leave_nothing()
    {
        var cli = Start();
        Assert.Contains("Unable to find image 'itest-nothing:1'", cli.Expect(125, "run", "--rm", "itest-nothing:1").Stderr);
        Assert.Contains("Invalid container name (_bad)", cli.Expect(125, "run", "--name", "_bad", "busybox", "true").Stderr);
        Assert.Contains("Minimum memory limit", cli.Expect(125, "run", "--memory", "1k", "busybox", "true").Stderr);
        Assert.Contains("invalid argument", cli.Expect(125, "run", "--memory", "lots", "busybox", "true").Stderr);
        Assert.Contains("range of CPUs", cli.Expect(125, "run", "--cpus", "512", "busybox", "true").Stderr);
        Assert.Contains("absolute path", cli.Expect(125, "run", "--workdir", "rel", "busybox", "true").Stderr);
        Assert.Contains("invalid reference format", cli.Expect(125, "run", "Upper/Case", "true").Stderr);
        Assert.Contains("requires at least 1 argument", cli.Expect(2, "run", "-d").Stderr);

        cli.Expect(0, Long, "run", "-d", "--name", "taken", "busybox", "sleep", "600");
        Assert.Contains("already in use", cli.Expect(125, "run", "-d", "--name", "taken", "busybox", "true").Stderr);
        cli.Expect(0, Long, "rm", "-f", "taken");

        // exit codes of a command that cannot run are docker's
        var missing = cli.Run(Long, "run", "--rm", "busybox", "/no/such/command");
        Assert.Equal(127, missing.ExitCode);
        Assert.All(new[] { "itest-nothing", "Bad_Name", "taken" }, n => Assert.DoesNotContain(n, cli.Expect(0, "ps", "-a").Stdout));
    }
}
