using Troupe.Api.Objects;
using Troupe.Shell.Commands;
using Xunit;

namespace Troupe.Shell.Tests.Commands;

/// <summary>How <c>troupe run</c>'s docker flags become a pod spec, without a node.</summary>
public sealed class RunCommandSpec
{
    static readonly Flag[] RunFlags =
    [
        Flag.Bool("detach", "-d"), Flag.Bool("rm", "--rm"), Flag.Value("name", "--name"), Flag.Many("publish", "-p"), Flag.Many("env", "-e"),
        Flag.Value("memory", "-m", "--memory"),
    ];

    [Theory]
    [InlineData(new[] { "busybox", "ls", "-l" }, 0)]
    [InlineData(new[] { "-d", "--name", "web", "busybox", "-x" }, 3)]
    [InlineData(new[] { "--name=web", "-m", "64m", "busybox" }, 3)]
    [InlineData(new[] { "-dp", "80:80", "busybox" }, 2)]
    [InlineData(new[] { "-e", "A=1", "--", "busybox", "true" }, 3)]
    [InlineData(new[] { "-d" }, 1)]
    public void Run_must_end_its_flags_at_the_image(string[] argv, int image) =>
        Assert.Equal(image, RunCommand.SplitAtImage(argv, RunFlags));

    static Pod Build(params string[] argv)
    {
        var ctx = new ShellContext(TextWriter.Null, TextWriter.Null, new Dictionary<string, string?> { ["FROM_SHELL"] = "shell-value" });
        var split = RunCommand.SplitAtImage(argv, RunCommand.Flags);
        var a = Args.Parse(argv.Take(split).ToList(), 0, RunCommand.Flags);
        return RunCommand.BuildPod(ctx, a, argv[split], [.. argv.Skip(split + 1)]);
    }

    [Fact]
    public void Run_must_map_docker_flags_onto_the_pod()
    {
        var pod = Build("--name", "web", "-e", "A=1", "-e", "FROM_SHELL", "-e", "UNSET", "-m", "64m", "--cpus", "0.5", "--pids-limit", "20",
            "--user", "1000:2000", "-w", "/srv", "--entrypoint", "/bin/sh", "--init", "busybox", "-c", "echo $HOME");
        var c = Assert.Single(pod.Spec.Containers);
        Assert.Equal("web", pod.Metadata.Name);
        Assert.Equal("Never", pod.Spec.RestartPolicy);
        Assert.Equal(10, pod.Spec.TerminationGracePeriodSeconds);
        Assert.Equal(["/bin/sh"], c.Command.ToArray());
        Assert.Equal(["-c", "echo $$HOME"], c.Args.ToArray()); // docker expands nothing: escaped from $(VAR) expansion
        Assert.Equal([new EnvVar("A", "1"), new EnvVar("FROM_SHELL", "shell-value")], c.Env.ToArray());
        Assert.Equal((64L << 20).ToString(), c.Resources.Limits["memory"]);
        Assert.Equal("500m", c.Resources.Limits["cpu"]);
        Assert.Equal("20", pod.Metadata.Annotations[PodAnnotations.PidsLimit]);
        Assert.Equal("true", pod.Metadata.Annotations[PodAnnotations.Init]);
        Assert.Equal("/bin/sh -c 'echo $HOME'", pod.Metadata.Annotations[PodAnnotations.Command]);
        Assert.Equal(1000, c.SecurityContext!.RunAsUser);
        Assert.Equal(2000, c.SecurityContext.RunAsGroup);
        Assert.Equal("/srv", c.WorkingDir);
    }

    [Theory]
    [InlineData("my_app")]
    [InlineData("MyApp")]
    [InlineData("web.1")]
    public void Run_must_take_docker_container_names(string name)
    {
        var pod = Build("--name", name, "busybox");
        Assert.Equal(name, pod.Metadata.Name);
        // its container keeps a Kubernetes name, and the node's validation takes the pod
        Assert.Equal(name.ToLowerInvariant().Replace('_', '-').Replace('.', '-'), pod.Spec.Containers[0].Name);
        Assert.Empty(Troupe.Api.Manifests.ManifestValidator.Check(pod, null, dockerName: true));
    }

    [Theory]
    [InlineData("nobody", "nobody")]
    [InlineData("nobody:daemon", "nobody:daemon")]
    [InlineData("1000:staff", "1000:staff")]
    public void Run_must_keep_a_user_name_for_the_node_to_resolve_in_the_image(string flag, string kept)
    {
        var pod = Build("--user", flag, "busybox");
        Assert.Equal(kept, pod.Metadata.Annotations[PodAnnotations.User]);
        Assert.Null(pod.Spec.Containers[0].SecurityContext);
    }

    [Fact]
    public void Run_must_name_an_unnamed_container_after_its_image_and_keep_the_image_cmd_without_a_command()
    {
        var pod = Build("registry.local:5000/team/my-app:1.0");
        Assert.Matches("^my-app-[a-z0-9]{5}$", pod.Metadata.Name);
        Assert.Empty(pod.Spec.Containers[0].Command);
        Assert.Empty(pod.Spec.Containers[0].Args);
    }

    [Theory]
    [InlineData("--memory", "1k", "Minimum memory")]
    [InlineData("--memory", "12x", "invalid argument")]
    [InlineData("--cpus", "0", "invalid argument")]
    [InlineData("--cpus", "9999", "range of CPUs")]
    [InlineData("--user", "alice:", "invalid user")]
    [InlineData("--user", "a b", "invalid user")]
    [InlineData("--restart", "sometimes", "invalid restart policy")]
    [InlineData("--name", "_leading", "Invalid container name (_leading), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")]
    [InlineData("--name", "has space", "Invalid container name")]
    [InlineData("--name", "a/b", "Invalid container name")]
    [InlineData("--name", "a", "Invalid container name (a)")]
    [InlineData("-p", "8080:80/sctp", "not supported")]
    [InlineData("-p", "8080:80/quic", "invalid proto")]
    [InlineData("-p", "1:2:3:80", "invalid publish spec")]
    [InlineData("-p", "70000:80", "invalid port")]
    [InlineData("-p", "nothere:8080:80", "invalid IP address")]
    [InlineData("-v", "/x:rel", "mount path must be absolute")]
    [InlineData("-v", "/x:/y/../z", "mount path must be absolute")]
    [InlineData("-v", "bad name!:/y", "invalid characters")]
    [InlineData("-v", "/x:/y:rx", "invalid mode")]
    [InlineData("-v", "/x", "invalid volume specification")]
    public void Run_must_refuse_bad_flags_with_exit_125(string flag, string value, string message)
    {
        var e = Assert.Throws<ShellException>(() => Build(flag, value, "busybox"));
        Assert.Equal(RunCommand.TroupeFailed, e.ExitCode);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Run_must_map_volumes_to_a_host_path_or_a_named_volume()
    {
        var pod = Build("-v", "/srv/data:/data:ro", "-v", "cache:/cache", "busybox");
        Assert.Equal("/srv/data", pod.Spec.Volumes[0].HostPath!.Path);
        Assert.Equal("cache", pod.Spec.Volumes[1].TroupeVolume!.VolumeName);
        var mounts = pod.Spec.Containers[0].VolumeMounts;
        Assert.Equal(("/data", true), (mounts[0].MountPath, mounts[0].ReadOnly));
        Assert.Equal(("/cache", false), (mounts[1].MountPath, mounts[1].ReadOnly));
        Assert.Equal(pod.Spec.Volumes[1].Name, mounts[1].Name);
    }

    [Theory]
    [InlineData("8080:80", null, 8080, 80)]
    [InlineData("127.0.0.1:8080:5000/tcp", "127.0.0.1", 8080, 5000)]
    [InlineData("5000", null, 0, 5000)]
    [InlineData("127.0.0.1::5000", "127.0.0.1", 0, 5000)]
    public void Run_must_parse_a_published_port(string spec, string? ip, int host, int container)
    {
        var p = RunCommand.Publish(spec);
        Assert.Equal((ip, host, container, "TCP"), (p.HostIP, p.HostPort!.Value, p.ContainerPort, p.Protocol));
    }

    [Theory]
    [InlineData("KILL", 9)]
    [InlineData("SIGTERM", 15)]
    [InlineData("hup", 1)]
    [InlineData("10", 10)]
    public void Signals_must_parse_as_docker_does(string s, int n) => Assert.Equal(n, Signals.Parse(s));

    [Theory]
    [InlineData("1:2:3:4")]
    [InlineData("8080:0")]
    [InlineData("70000")]
    [InlineData("x:80")]
    [InlineData("300.1.1.1:80:80")]
    public void Run_must_refuse_a_malformed_published_port(string spec) => Assert.Throws<ShellException>(() => RunCommand.Publish(spec));

    [Fact]
    public void Signals_must_refuse_an_unknown_name() => Assert.Throws<ShellException>(() => Signals.Parse("SIGNOPE"));
}
