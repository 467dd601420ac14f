using Xunit;

namespace Troupe.Shell.Tests;

public sealed class CliSpec : IDisposable
{
    readonly TempHome _home = new();
    public void Dispose() => _home.Dispose();

    static string Example => Path.Combine(RepoRoot, "config", "examples", "deployment.yaml");

    static string RepoRoot
    {
        get
        {
            var d = new DirectoryInfo(AppContext.BaseDirectory);
            while (d is not null && !File.Exists(Path.Combine(d.FullName, "Actors.sln"))) d = d.Parent;
            return d?.FullName ?? throw new InvalidOperationException("no Actors.sln above " + AppContext.BaseDirectory);
        }
    }

    string Write(string name, string yaml)
    {
        var path = Path.Combine(_home.Path, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    [Theory]
    [InlineData("get", "pods")]
    [InlineData("get", "pods", "-o", "json")]
    [InlineData("get", "deploy", "web")]
    [InlineData("describe", "deployment", "web")]
    [InlineData("delete", "deployment/web")]
    [InlineData("scale", "deploy", "web", "--replicas", "2")]
    [InlineData("logs", "web-abc")]
    [InlineData("images")]
    [InlineData("apply", "-f", "CONFIG")]
    public void Cli_must_exit_3_with_a_hint_when_no_node_runs(params string[] args)
    {
        args = args.Select(a => a == "CONFIG" ? Example : a).ToArray();
        var r = ShellRun.Of(_home.Path, args);
        Assert.Equal(3, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.Equal($"error: no Troupe node is running for TROUPE_HOME={_home.Path} (start one with: troupe up)", r.ErrorLine);
    }

    [Fact]
    public void Cli_must_treat_a_stale_node_file_as_no_node()
    {
        File.WriteAllText(Path.Combine(_home.Path, "node.json"),
            $$"""{"pid":999999,"address":"127.0.0.1:1","api":null,"socket":"{{_home.Path}}/troupe.sock"}""");
        var r = ShellRun.Of(_home.Path, "get", "pods");
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("no Troupe node is running", r.ErrorLine);
    }

    [Fact]
    public void Down_must_exit_0_when_no_local_node_runs_and_3_when_a_cluster_cannot_be_reached()
    {
        var r = ShellRun.Of(_home.Path, "down");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("nothing to stop", r.Stderr);
        var remote = ShellRun.Of(_home.Path, "--cluster", "127.0.0.1:1", "down");
        Assert.Equal(3, remote.ExitCode);
        _ = remote.ErrorLine;
    }

    [Fact]
    public void Version_must_succeed_without_a_node()
    {
        var r = ShellRun.Of(_home.Path, "version");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("Client: troupe ", r.Stdout);
        Assert.Equal("", r.Stderr);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("get", "pods", "--bogus")]
    [InlineData("get", "pods", "-o", "xml")]
    [InlineData("get")]
    [InlineData("apply")]
    [InlineData("get", "pods", "-o")]
    [InlineData("up", "--driver", "docker")]
    [InlineData("--nope")]
    public void Cli_must_exit_2_with_one_line_on_bad_usage(params string[] args)
    {
        var r = ShellRun.Of(_home.Path, args);
        Assert.Equal(2, r.ExitCode);
        _ = r.ErrorLine;
    }

    [Theory]
    [InlineData("chaos")]
    public void Cli_must_say_a_later_verb_is_not_implemented_yet(string verb)
    {
        var r = ShellRun.Of(_home.Path, verb, "x");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"error: \"troupe {verb}\" is not implemented yet", r.ErrorLine);
    }

    [Fact]
    public void Help_must_print_usage_and_exit_0()
    {
        foreach (var args in new[] { new[] { "help" }, ["--help"], ["-h"] })
        {
            var r = ShellRun.Of(_home.Path, args);
            Assert.Equal(0, r.ExitCode);
            Assert.Contains("apply -f", r.Stdout);
        }
    }

    [Fact]
    public void Get_must_reject_an_unknown_kind_with_exit_1()
    {
        var r = ShellRun.Of(_home.Path, "get", "foo");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("error: the server doesn't have a resource type \"foo\"", r.ErrorLine);
    }

    [Fact]
    public void Dry_run_must_print_kubectl_lines_without_a_node()
    {
        foreach (var flag in new[] { "--dry-run", "--dry-run=client" })
        {
            var r = ShellRun.Of(_home.Path, "apply", "-f", Example, flag);
            Assert.Equal(0, r.ExitCode);
            Assert.Equal("deployment.apps/web created (dry run)\n", r.Stdout);
            Assert.False(File.Exists(Path.Combine(_home.Path, "node.json")));
        }
    }

    [Fact]
    public void Dry_run_must_print_one_line_per_object_of_a_multi_document_file()
    {
        var path = Write("two.yaml", Manifest("one", 1) + "---\n" + Manifest("two", 2));
        var r = ShellRun.Of(_home.Path, "apply", "-f", path, "--dry-run");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("deployment.apps/one created (dry run)\ndeployment.apps/two created (dry run)\n", r.Stdout);
    }

    [Theory]
    [InlineData("Bad_Name", 1, "Bad_Name")]
    [InlineData("neg", -1, "replicas")]
    public void Apply_must_reject_an_invalid_manifest_with_one_line_and_exit_1(string name, int replicas, string expected)
    {
        var path = Write("bad.yaml", Manifest(name, replicas) + "---\n" + Manifest("other", -5));
        var r = ShellRun.Of(_home.Path, "apply", "-f", path, "--dry-run");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.Contains(expected, r.ErrorLine);
        Assert.Matches(@"^error: .*bad\.yaml:\d+:\d+: ", r.ErrorLine);
    }

    [Fact]
    public void Apply_must_reject_broken_yaml_with_its_position_even_with_no_node()
    {
        var path = Write("broken.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: b\nspec:\n  replicas: [1, 2\n  template: {\n");
        var r = ShellRun.Of(_home.Path, "apply", "-f", path);
        Assert.Equal(1, r.ExitCode);
        Assert.Matches(@"broken\.yaml:\d+", r.ErrorLine);
    }

    [Fact]
    public void Apply_must_name_a_missing_file()
    {
        var r = ShellRun.Of(_home.Path, "apply", "-f", "/no/such.yaml", "--dry-run");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("/no/such.yaml", r.ErrorLine);
    }

    [Theory]
    [InlineData("-1", 1)]
    [InlineData("abc", 2)]
    public void Scale_must_reject_a_bad_replica_count_before_asking_a_node(string replicas, int exit)
    {
        var r = ShellRun.Of(_home.Path, "scale", "deployment", "web", "--replicas", replicas);
        Assert.Equal(exit, r.ExitCode);
        _ = r.ErrorLine;
    }

    [Fact]
    public void Up_must_exit_1_with_one_line_naming_a_home_it_cannot_create()
    {
        var r = ShellRun.Of("/proc/troupe-it/home", "up");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("/proc/troupe-it/home", r.ErrorLine);
        Assert.DoesNotContain("Exception", r.Stderr);
    }

    internal static string Manifest(string name, int replicas) => $"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {name}
        spec:
          replicas: {replicas}
          selector:
            matchLabels:
              app: {name}
          template:
            metadata:
              labels:
                app: {name}
            spec:
              containers:
                - name: main
                  image: busybox:latest
                  command: ["sleep", "100"]

        """;
}
