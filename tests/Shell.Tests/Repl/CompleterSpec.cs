using Troupe.Api.Protocol;
using Troupe.Shell.Repl;
using Troupe.Shell.Tests.Connection;
using Troupe.Shell.Tests.Rendering;
using Xunit;

namespace Troupe.Shell.Tests.Repl;

/// <summary>Tab's candidates, with object names from a <see cref="FakeNode"/>.</summary>
public sealed class CompleterSpec : IDisposable
{
    readonly TempHome _home = new();
    readonly FakeNode _node;
    readonly Completer _completer;

    const string Prod = """{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"prod"}}""";
    const string KubeSystem = """{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"kube-system"}}""";

    public CompleterSpec()
    {
        _node = new FakeNode(_home.Path)
        {
            Handler = m => m switch
            {
                GetObjects { Kind: "Pod" } => Fixtures.List(Fixtures.RunningPod, Fixtures.CrashingPod),
                GetObjects { Kind: "Deployment" } => Fixtures.List(Fixtures.WebDeployment),
                GetObjects { Kind: "Namespace" } => Fixtures.List(Prod, KubeSystem),
                _ => CommandRejected.Invalid("?"),
            },
        };
        var ctx = new ShellContext(TextWriter.Null, TextWriter.Null, new Dictionary<string, string?> { ["TROUPE_HOME"] = _home.Path });
        _completer = Completer.ForNode(ctx);
    }

    public void Dispose()
    {
        _node.Dispose();
        _home.Dispose();
    }

    IReadOnlyList<string> Candidates(string line) => _completer.Complete(line).Candidates;

    [Fact]
    public void Completer_must_offer_verbs_for_the_first_word()
    {
        Assert.Equal(["get"], Candidates("g"));
        Assert.Equal(["delete", "describe"], Candidates("de"));
        Assert.Equal(["exec", "exit"], Candidates("ex"));
        var all = Candidates("");
        foreach (var verb in new[] { "apply", "get", "logs", "scale", "help", "quit", "shell" }) Assert.Contains(verb, all);
        Assert.Equal(["get"], Candidates("help g"));
    }

    [Fact]
    public void Completer_must_offer_kinds_by_their_plural_and_short_names()
    {
        Assert.Equal(["po", "pods"], Candidates("get p"));
        Assert.Equal(["deploy", "deployments"], Candidates("describe de"));
        Assert.Equal(["svc"], Candidates("delete sv"));
        Assert.Equal(["cm", "configmaps"], Candidates("get c"));
        var kinds = Candidates("scale ");
        foreach (var k in new[] { "pods", "deployments", "services", "replicasets", "nodes", "configmaps", "namespaces", "events",
                     "endpoints", "po", "deploy", "svc", "rs", "no", "cm", "ns" })
            Assert.Contains(k, kinds);
    }

    [Fact]
    public void Completer_must_offer_the_names_of_the_kinds_objects_from_the_node()
    {
        Assert.Equal(["crasher-5f6d-abcde", "web-7d4b9c-x2k4p"], Candidates("get pods "));
        var c = _completer.Complete("get po w");
        Assert.Equal(["web-7d4b9c-x2k4p"], c.Candidates);
        Assert.Equal(7, c.Start);
        Assert.Equal("w", c.Word);
        Assert.Equal(["web"], Candidates("scale deployment "));
        Assert.Equal(["deploy/web"], Candidates("get deploy/w"));
        Assert.Equal(["deployment/web"], Candidates("delete deployment/"));
        Assert.Equal(["web-7d4b9c-x2k4p"], Candidates("logs -f we"));
        Assert.Equal(["crasher-5f6d-abcde", "web-7d4b9c-x2k4p"], Candidates("exec "));
        Assert.Empty(Candidates("exec web-7d4b9c-x2k4p ")); // the command: nothing to offer
        Assert.Empty(Candidates("get bogus "));
    }

    [Fact]
    public void Completer_must_ask_in_the_lines_namespace_or_in_all_of_them()
    {
        _ = Candidates("get pods -n prod ");
        Assert.Equal(new GetObjects("Pod", "prod", null, null, false), _node.Received[^1]);
        _ = Candidates("get pods --namespace=kube-system w");
        Assert.Equal("kube-system", Assert.IsType<GetObjects>(_node.Received[^1]).Namespace);
        _ = Candidates("get -A pods ");
        Assert.True(Assert.IsType<GetObjects>(_node.Received[^1]).AllNamespaces);
    }

    [Fact]
    public void Completer_must_offer_flag_values_namespaces_formats_and_files()
    {
        Assert.Equal(["kube-system", "prod"], Candidates("get pods -n "));
        Assert.Equal(["prod"], Candidates("logs web -n p"));
        Assert.Equal(["json", "jsonpath="], Candidates("get pods -o j"));
        Directory.CreateDirectory(Path.Combine(_home.Path, "manifests"));
        File.WriteAllText(Path.Combine(_home.Path, "manifests", "web.yaml"), "");
        File.WriteAllText(Path.Combine(_home.Path, "manifests", ".hidden.yaml"), "");
        var files = new Completer((_, _, _) => [], _home.Path);
        Assert.Equal(["manifests/"], files.Complete("apply -f man").Candidates);
        Assert.Equal(["manifests/web.yaml"], files.Complete("apply -f manifests/").Candidates);
        Assert.Equal(["manifests/.hidden.yaml"], files.Complete("delete -f manifests/.").Candidates);
    }

    [Fact]
    public void Completer_must_offer_the_subcommands_of_rollout_and_set_then_deployments()
    {
        Assert.Equal(["restart"], Candidates("rollout re"));
        Assert.Equal(["deployment/web"], Candidates("rollout status "));
        Assert.Equal(["image"], Candidates("set "));
        Assert.Equal(["deployment/web"], Candidates("set image d"));
    }

    [Fact]
    public void Completer_must_offer_nothing_when_no_node_answers()
    {
        _node.Dispose();
        File.Delete(Path.Combine(_home.Path, "node.json"));
        Assert.Empty(Candidates("get pods "));
        Assert.Equal(["pods"], Candidates("get pod"));
    }

    [Fact]
    public void Completer_must_offer_the_verbs_own_flags_and_know_which_take_a_value()
    {
        Assert.Equal(["--all-namespaces", "--help"], Candidates("get pods --a").Concat(Candidates("get pods --h")));
        Assert.Equal(["--replicas"], Candidates("scale deploy web --r"));
        Assert.Equal(["--follow"], Candidates("logs --fo"));
        Assert.Contains("-w", Candidates("get pods -"));
        // -f is a file for apply and a switch for logs; -w a value for exec and a switch for get
        Assert.Equal(["web-7d4b9c-x2k4p"], Candidates("logs -f w"));
        Assert.Equal(["web-7d4b9c-x2k4p"], Candidates("get -w pods w"));
        Assert.Empty(Candidates("exec -w w"));
        Assert.Empty(Candidates("exec web -- sh -c w")); // the command's own words
    }
}
