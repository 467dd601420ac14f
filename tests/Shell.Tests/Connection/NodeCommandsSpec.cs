using System.Collections.Immutable;
using System.Text.Json;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;
using Troupe.Shell.Tests.Rendering;
using Xunit;

namespace Troupe.Shell.Tests.Connection;

/// <summary>The verbs that talk to a node, against <see cref="FakeNode"/>.</summary>
public sealed class NodeCommandsSpec : IDisposable
{
    readonly TempHome _home = new();
    readonly FakeNode _node;

    public NodeCommandsSpec() => _node = new FakeNode(_home.Path);

    public void Dispose()
    {
        _node.Dispose();
        _home.Dispose();
    }

    ShellRun Run(params string[] args) => ShellRun.Of(_home.Path, args);

    static ObjectList List(params string[] json) => new([.. json.Select(Fixtures.Object)], 7);

    [Fact]
    public void Get_pods_must_print_the_table_from_the_nodes_list()
    {
        _node.Handler = m => m is GetObjects { Kind: "Pod", Namespace: "default" } ? List(Fixtures.RunningPod, Fixtures.CrashingPod) : CommandRejected.Invalid("?");
        var r = Run("get", "pods");
        Assert.Equal(0, r.ExitCode);
        var lines = r.Stdout.TrimEnd().Split('\n');
        Assert.Matches(@"^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$", lines[0]);
        Assert.Matches(@"^web-7d4b9c-x2k4p\s+1/1\s+Running\s+0\s", lines[1]);
        Assert.Matches(@"^crasher-5f6d-abcde\s+0/1\s+CrashLoopBackOff\s+3 \(", lines[2]);
    }

    [Fact]
    public void Get_json_must_print_a_List_and_a_named_object_by_itself()
    {
        _node.Handler = m => m is GetObjects { Name: null } ? List(Fixtures.WebDeployment) : List(Fixtures.WebDeployment);
        using (var list = JsonDocument.Parse(Run("get", "deployments", "-o", "json").Stdout))
        {
            Assert.Equal("List", list.RootElement.GetProperty("kind").GetString());
            Assert.Equal("v1", list.RootElement.GetProperty("apiVersion").GetString());
            var d = list.RootElement.GetProperty("items")[0];
            Assert.Equal("web", d.GetProperty("metadata").GetProperty("name").GetString());
            Assert.Equal(3, d.GetProperty("spec").GetProperty("replicas").GetInt32());
            Assert.Equal(2, d.GetProperty("status").GetProperty("readyReplicas").GetInt32());
        }
        var one = Run("get", "deployment/web", "-o", "json");
        using (var doc = JsonDocument.Parse(one.Stdout))
        {
            Assert.Equal("Deployment", doc.RootElement.GetProperty("kind").GetString());
            Assert.Equal("apps/v1", doc.RootElement.GetProperty("apiVersion").GetString());
        }
        Assert.Equal(new GetObjects("Deployment", "default", "web"), _node.Received[^1]);
    }

    [Fact]
    public void Get_must_support_name_yaml_and_jsonpath()
    {
        _node.Handler = _ => List(Fixtures.RunningPod, Fixtures.CrashingPod);
        Assert.Equal("pod/web-7d4b9c-x2k4p\npod/crasher-5f6d-abcde\n", Run("get", "pods", "-o", "name").Stdout);
        Assert.Equal("web-7d4b9c-x2k4p crasher-5f6d-abcde", Run("get", "pods", "-o", "jsonpath={.items[*].metadata.name}").Stdout);
        var yaml = Run("get", "pods", "-o", "yaml").Stdout;
        Assert.Contains("kind: List", yaml);
        Assert.Contains("name: web-7d4b9c-x2k4p", yaml);
    }

    [Fact]
    public void Get_an_empty_list_must_exit_0_and_say_no_resources_found_on_stderr()
    {
        _node.Handler = _ => new ObjectList([], 1);
        var table = Run("get", "pods");
        Assert.Equal(0, table.ExitCode);
        Assert.Equal("", table.Stdout);
        Assert.Equal("No resources found in default namespace.\n", table.Stderr);

        var json = Run("get", "pods", "-o", "json");
        Assert.Equal(0, json.ExitCode);
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.Equal(0, doc.RootElement.GetProperty("items").GetArrayLength());
        Assert.StartsWith("No resources found", json.Stderr);

        Assert.Equal("No resources found\n", Run("get", "pods", "-A").Stderr);
    }

    [Fact]
    public void Get_must_pass_selector_and_namespaces_along()
    {
        _node.Handler = _ => new ObjectList([], 1);
        Run("get", "po", "-l", "app=web", "-n", "prod");
        Assert.Equal(new GetObjects("Pod", "prod", null, "app=web", false), _node.Received[^1]);
        Run("get", "po", "-A");
        Assert.True(Assert.IsType<GetObjects>(_node.Received[^1]).AllNamespaces); // a null namespace is left out of the JSON
    }

    [Fact]
    public void Not_found_must_be_one_line_exit_1()
    {
        _node.Handler = _ => CommandRejected.NotFound("deployments.apps \"web\" not found");
        var r = Run("get", "deployment", "web");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.Equal("error: deployments.apps \"web\" not found", r.ErrorLine);
    }

    [Fact]
    public void Apply_must_send_every_object_and_print_kubectls_lines()
    {
        _node.Handler = m => m is ApplyObjects a
            ? new ObjectsApplied([.. a.Objects.Select((o, i) => new AppliedObject(o.Kind, o.Metadata.Namespace, o.Metadata.Name, i == 0 ? "created" : "unchanged"))], 3)
            : CommandRejected.Invalid("?");
        var path = Path.Combine(_home.Path, "two.yaml");
        File.WriteAllText(path, CliSpec.Manifest("one", 1) + "---\n" + CliSpec.Manifest("two", 2));
        var r = Run("apply", "-f", path);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("deployment.apps/one created\ndeployment.apps/two unchanged\n", r.Stdout);
        var sent = Assert.IsType<ApplyObjects>(_node.Received[^1]);
        Assert.False(sent.DryRun);
        Assert.Equal(["one", "two"], sent.Objects.Select(o => o.Metadata.Name));

        Run("apply", "-f", path, "--dry-run=server");
        Assert.True(Assert.IsType<ApplyObjects>(_node.Received[^1]).DryRun);
    }

    [Fact]
    public void Apply_rejected_must_be_one_line_exit_1()
    {
        _node.Handler = _ => CommandRejected.Invalid("deployment.apps/one: image \"nosuch:1.0\" is not in the node's image store");
        var path = Path.Combine(_home.Path, "one.yaml");
        File.WriteAllText(path, CliSpec.Manifest("one", 1));
        var r = Run("apply", "-f", path);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("nosuch:1.0", r.ErrorLine);
    }

    [Fact]
    public void Delete_must_print_deleted_and_not_found()
    {
        _node.Handler = m => m is DeleteObject { Name: "web" } ? new CommandAccepted("deleted") : CommandRejected.NotFound("deployments.apps \"nope\" not found");
        var ok = Run("delete", "deployment", "web");
        Assert.Equal(0, ok.ExitCode);
        Assert.Equal("deployment.apps \"web\" deleted\n", ok.Stdout);
        Assert.Equal(new DeleteObject("Deployment", "default", "web"), _node.Received[^1]);

        var missing = Run("delete", "deploy/nope");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("not found", missing.ErrorLine);
    }

    [Fact]
    public void Scale_must_send_the_count_and_print_scaled()
    {
        _node.Handler = _ => new CommandAccepted("scaled");
        var r = Run("scale", "deployment/web", "--replicas", "5");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("deployment.apps/web scaled\n", r.Stdout);
        Assert.Equal(new ScaleDeployment("default", "web", 5), _node.Received[^1]);
    }

    [Fact]
    public void Logs_must_stream_the_text_and_report_not_found()
    {
        _node.GetHandler = target => target.Contains("pod=web-1") ? (200, ["line 1\n", "line 2\nli", "ne 3\n"]) : (404, ["pods \"nope\" not found"]);
        var r = Run("logs", "web-1", "--tail", "3", "-c", "main", "--previous");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("line 1\nline 2\nline 3\n", r.Stdout);
        Assert.Equal("/v1/logs?namespace=default&pod=web-1&container=main&previous=true&tail=3", _node.Gets[^1]);

        var missing = Run("logs", "nope", "-f");
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("error: pods \"nope\" not found", missing.ErrorLine);
        Assert.EndsWith("&follow=true", _node.Gets[^1]);
    }

    [Fact]
    public void Describe_must_include_the_objects_events()
    {
        _node.Handler = m => m is GetObjects { Kind: "Event" } ? List(Fixtures.ScalingEvent) : List(Fixtures.WebDeployment);
        var r = Run("describe", "deployment", "web");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Events:", r.Stdout);
        Assert.Contains("ScalingReplicaSet", r.Stdout);
    }

    [Fact]
    public void Images_must_print_dockers_table()
    {
        var created = DateTimeOffset.UtcNow.AddDays(-3);
        _node.Handler = _ => new ImageList([new ImageSummary("docker.io/library/busybox", "latest", "sha256:0123456789abcdef0123", created, 4_264_000)]);
        var r = Run("images");
        Assert.Equal(0, r.ExitCode);
        var lines = r.Stdout.TrimEnd().Split('\n');
        Assert.Matches(@"^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$", lines[0]);
        Assert.Matches(@"^busybox\s+latest\s+0123456789ab\s+3 days ago\s+4\.26MB$", lines[1]);
        Assert.Equal("0123456789ab\n", Run("images", "-q").Stdout);
    }

    [Fact]
    public void Load_must_send_the_absolute_path()
    {
        var tar = Path.Combine(_home.Path, "img.tar");
        File.WriteAllText(tar, "x");
        _node.Handler = _ => new CommandAccepted("Loaded image: docker.io/library/app:1");
        var r = Run("load", "-i", tar);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("Loaded image: docker.io/library/app:1\n", r.Stdout);
        Assert.Equal(new ImportImage(tar), _node.Received[^1]);
    }

    [Fact]
    public void Version_must_show_the_nodes_version_when_one_answers()
    {
        var r = Run("version");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Server: troupe-node 9.9.9", r.Stdout);
    }

    [Fact]
    public void Up_must_say_already_running_when_the_node_answers()
    {
        var r = Run("up");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal($"Troupe node already running (pid {Environment.ProcessId})\n", r.Stdout);
    }

    [Fact]
    public void Get_watch_must_print_the_list_then_a_row_per_change_until_the_node_goes_away()
    {
        var a = Fixtures.Pod(Fixtures.RunningPod);
        Pod Version(Pod p, string name, string rv) => p with { Metadata = p.Metadata with { Name = name, ResourceVersion = rv } };
        var calls = 0;
        _node.Handler = m => m is GetObjects { Kind: "Pod" }
            ? Interlocked.Increment(ref calls) switch
            {
                <= 2 => new ObjectList([Version(a, "web-a", "1")], 1),
                _ => new ObjectList([Version(a, "web-a", "2"), Version(a, "web-b", "3")], 3),
            }
            : CommandRejected.Invalid("?");
        var run = Task.Run(() => Run("get", "pods", "-w"));
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref calls) >= 5, TimeSpan.FromSeconds(10)), "the watch did not poll");
        _node.Dispose();
        Assert.True(run.Wait(TimeSpan.FromSeconds(10)), "the watch did not end when the node went away");
        var lines = run.Result.Stdout.TrimEnd().Split('\n');
        Assert.Matches(@"^NAME\s+READY", lines[0]);
        Assert.Equal(["web-a", "web-a", "web-b"], lines.Skip(1).Select(l => l.Split(' ')[0]));
        Assert.NotEqual(0, run.Result.ExitCode);
    }
}
