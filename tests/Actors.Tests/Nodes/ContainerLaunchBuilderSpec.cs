using System.Collections.Immutable;
using Akka.Configuration;
using Troupe.Actors.Nodes;
using Troupe.Api.Objects;
using Troupe.Runtime.Drivers;
using Xunit;

namespace Troupe.Actors.Tests.Nodes;

public sealed class ContainerLaunchBuilderSpec
{
    private static readonly NodeSettings Node =
        NodeSettings.Create(ConfigurationFactory.Empty, "node1", "/var/lib/troupe", "akka.tcp://troupe@10.0.0.5:4053", "runc");

    private static PodImage Image(string[]? entrypoint = null, string[]? cmd = null, string[]? env = null, string? workdir = null,
        string? user = null) =>
        new("busybox", "sha256:1", (env ?? ["PATH=/bin", "LANG=C"]).ToImmutableArray(), (entrypoint ?? []).ToImmutableArray(),
            (cmd ?? ["sh"]).ToImmutableArray(), workdir, user, null, ["/layers/a", "/layers/b"]);

    private static Pod Pod(Container c) => new()
    {
        Metadata = new ObjectMeta { Name = "web-7d9f", Namespace = "shop", Uid = "0123456789abcdef-0000-1111" },
        Spec = new PodSpec { Containers = [c] },
    };

    [Theory]
    [InlineData(new[] { "/entry" }, new[] { "cmd" }, new string[0], new string[0], new[] { "/entry", "cmd" })]
    [InlineData(new[] { "/entry" }, new[] { "cmd" }, new string[0], new[] { "a1" }, new[] { "/entry", "a1" })]
    [InlineData(new[] { "/entry" }, new[] { "cmd" }, new[] { "/c" }, new string[0], new[] { "/c" })]
    [InlineData(new[] { "/entry" }, new[] { "cmd" }, new[] { "/c" }, new[] { "a1" }, new[] { "/c", "a1" })]
    [InlineData(new string[0], new[] { "sh" }, new string[0], new[] { "echo" }, new[] { "echo" })]
    public void ContainerLaunchBuilder_must_merge_entrypoint_and_cmd_as_kubernetes(string[] entry, string[] cmd, string[] command,
        string[] args, string[] expected) =>
        Assert.Equal(expected, ContainerLaunchBuilder.MergeArgs([.. entry], [.. cmd], [.. command], [.. args]).ToArray());

    [Fact]
    public void ContainerLaunchBuilder_must_merge_the_image_env_with_the_container_env()
    {
        var env = ContainerLaunchBuilder.MergeEnv(["PATH=/bin", "LANG=C"], [new EnvVar("LANG", "en_US"), new EnvVar("GREETING", "hi $(LANG)")], "web");
        Assert.Equal(["PATH=/bin", "LANG=en_US", "HOSTNAME=web", "GREETING=hi en_US"], env.ToArray());
        var noPath = ContainerLaunchBuilder.MergeEnv([], [], "web");
        Assert.Equal(ContainerLaunchBuilder.DefaultPath, noPath[0]);
    }

    [Theory]
    [InlineData("echo $(A)", "echo 1")]
    [InlineData("echo $(MISSING)", "echo $(MISSING)")]
    [InlineData("echo $$(A)", "echo $(A)")]
    [InlineData("$(A)$(B)", "12")]
    [InlineData("price $5", "price $5")]
    [InlineData("tail $", "tail $")]
    [InlineData("$(A", "$(A")]
    public void ContainerLaunchBuilder_must_expand_variables_as_kubernetes(string input, string expected) =>
        Assert.Equal(expected, ContainerLaunchBuilder.Expand(input, new Dictionary<string, string> { ["A"] = "1", ["B"] = "2" }));

    [Fact]
    public void ContainerLaunchBuilder_must_build_the_whole_launch()
    {
        var c = new Container
        {
            Name = "app", Image = "busybox",
            Args = ["echo", "$(GREETING)"],
            Env = [new EnvVar("GREETING", "hello")],
            Resources = new ResourceRequirements
            {
                Limits = ImmutableSortedDictionary<string, string>.Empty.Add("cpu", "250m").Add("memory", "64Mi"),
            },
        };
        var launch = ContainerLaunchBuilder.Build(Pod(c), c, Image(workdir: "/srv", user: "1000:2000"), Node, "Deployment/shop/web#3", 2);
        Assert.Equal("0123456789ab-app", launch.Id);
        Assert.Equal(["echo", "hello"], launch.Args.ToArray());
        Assert.Contains("GREETING=hello", launch.Env);
        Assert.Equal("/srv", launch.WorkingDir);
        Assert.Equal("web-7d9f", launch.Hostname);
        Assert.Equal((1000u, 2000u), (launch.Uid, launch.Gid));
        Assert.Equal(["/layers/a", "/layers/b"], launch.Layers.ToArray());
        Assert.Equal("/var/lib/troupe/pods/0123456789abcdef-0000-1111/logs/app/2.log", launch.LogPath);
        Assert.Equal(64L * 1024 * 1024, launch.MemoryLimitBytes);
        Assert.Equal(250, launch.CpuMillis);
        Assert.Equal("troupe/node1/0123456789abcdef-0000-1111/app", launch.CgroupPath);
        Assert.Equal("0123456789abcdef-0000-1111", launch.Labels["troupe.pod.uid"]);
        Assert.Equal("web-7d9f", launch.Labels["troupe.pod.name"]);
        Assert.Equal("shop", launch.Labels["troupe.pod.namespace"]);
        Assert.Equal("app", launch.Labels["troupe.container.name"]);
        Assert.Equal("Deployment/shop/web#3", launch.Labels["troupe.owner"]);
        Assert.Equal("node1", launch.Labels["troupe.node"]);
    }

    [Fact]
    public void ContainerLaunchBuilder_must_leave_limits_unset_when_absent_and_refuse_no_command()
    {
        var c = new Container { Name = "app", Image = "busybox" };
        var launch = ContainerLaunchBuilder.Build(Pod(c), c, Image(), Node, "o", 0);
        Assert.Null(launch.MemoryLimitBytes);
        Assert.Null(launch.CpuMillis);
        Assert.Equal(["sh"], launch.Args.ToArray());
        Assert.Equal("/", launch.WorkingDir);
        var ex = Assert.Throws<ContainerStartException>(() => ContainerLaunchBuilder.Build(Pod(c), c, Image(cmd: []), Node, "o", 0));
        Assert.Equal(127, ex.ExitCode);
    }

    [Theory]
    [InlineData(null, 15)]
    [InlineData("SIGQUIT", 3)]
    [InlineData("QUIT", 3)]
    [InlineData("9", 9)]
    [InlineData("SIGWHAT", 15)]
    public void ContainerLaunchBuilder_must_map_stop_signals(string? name, int signal) =>
        Assert.Equal(signal, ContainerLaunchBuilder.StopSignal(name));

    [Theory]
    [InlineData("64Mi", 67108864L)]
    [InlineData("1G", 1000000000L)]
    [InlineData("512", 512L)]
    public void ResourceQuantity_must_parse_memory(string q, long bytes) => Assert.Equal(bytes, ResourceQuantity.ParseBytes(q));

    [Theory]
    [InlineData("250m", 250L)]
    [InlineData("0.5", 500L)]
    [InlineData("2", 2000L)]
    public void ResourceQuantity_must_parse_cpu(string q, long millis) => Assert.Equal(millis, ResourceQuantity.ParseMillis(q));

    [Fact]
    public void ResourceQuantity_must_format_as_kubectl()
    {
        Assert.Equal("128Mi", ResourceQuantity.FormatBytes(128L * 1024 * 1024));
        Assert.Equal("1000", ResourceQuantity.FormatBytes(1000));
        Assert.Equal("500m", ResourceQuantity.FormatMillis(500));
        Assert.Equal("2", ResourceQuantity.FormatMillis(2000));
    }

    [Fact]
    public void NodeSettings_must_derive_paths_and_host_ip()
    {
        Assert.Equal("10.0.0.5", Node.HostIP);
        Assert.Equal("127.0.0.1", (Node with { Address = "127.0.0.1:4053" }).HostIP);
        Assert.Equal("::1", (Node with { Address = "akka.tcp://t@[::1]:4053" }).HostIP);
        Assert.Equal("/var/lib/troupe/pods/u/pod.json", Node.PodFile("u"));
        Assert.Equal("/var/lib/troupe/pods/u/state.json", Node.StateFile("u"));
        Assert.Equal(TimeSpan.FromSeconds(60), Node.AdoptionClaimTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), Node.Runtime.RestartBackoff.Base);
    }
}
