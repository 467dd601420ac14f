using Troupe.Shell.Commands;
using Xunit;

namespace Troupe.Shell.Tests.Commands;

public sealed class ArgsSpec
{
    static readonly Flag[] Flags =
    [
        Flag.Value("output", "-o", "--output"), Flag.Value("namespace", "-n", "--namespace"), Flag.Bool("all", "-A", "--all-namespaces"),
        Flag.Bool("quiet", "-q"), Flag.Many("file", "-f"), Flag.Optional("dry-run", "--dry-run"),
    ];

    [Theory]
    [InlineData("-o", "json")]
    [InlineData("-ojson")]
    [InlineData("-o=json")]
    [InlineData("--output", "json")]
    [InlineData("--output=json")]
    public void Args_must_accept_every_pflag_form_of_a_value(params string[] args)
    {
        var a = Args.Parse(["pods", .. args], 0, Flags);
        Assert.Equal("json", a.Get("output"));
        Assert.Equal(["pods"], a.Positionals);
    }

    [Fact]
    public void Args_must_keep_repeated_flags_and_the_last_single_value()
    {
        var a = Args.Parse(["-f", "a.yaml", "-f", "b.yaml", "-n", "x", "-n", "y"], 0, Flags);
        Assert.Equal(["a.yaml", "b.yaml"], a.All("file"));
        Assert.Equal("y", a.Get("namespace"));
    }

    [Fact]
    public void Args_must_treat_an_optional_value_as_set_only_with_equals()
    {
        Assert.Equal("", Args.Parse(["--dry-run", "x"], 0, Flags).Get("dry-run"));
        Assert.Equal(["x"], Args.Parse(["--dry-run", "x"], 0, Flags).Positionals);
        Assert.Equal("server", Args.Parse(["--dry-run=server"], 0, Flags).Get("dry-run"));
    }

    [Fact]
    public void Args_must_cluster_short_booleans_and_stop_at_double_dash()
    {
        var a = Args.Parse(["-qA", "--", "-o", "x"], 0, Flags);
        Assert.True(a.Has("quiet"));
        Assert.True(a.Has("all"));
        Assert.False(a.Has("output"));
        Assert.Equal(["-o", "x"], a.AfterDashes);
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("-z")]
    [InlineData("-o")]
    public void Args_must_make_unknown_flags_and_missing_values_usage_errors(string arg)
    {
        var e = Assert.Throws<ShellException>(() => Args.Parse([arg], 0, Flags));
        Assert.Equal(2, e.ExitCode);
    }

    [Fact]
    public void Args_must_read_a_negative_number_as_a_flag_value()
    {
        var a = Args.Parse(["--replicas", "-1"], 0, [Flag.Value("replicas", "--replicas")]);
        Assert.Equal(-1, a.Int("replicas", "--replicas"));
        Assert.Equal(2, Assert.Throws<ShellException>(() => Args.Parse(["--replicas", "x"], 0, [Flag.Value("replicas", "--replicas")]).Int("replicas", "--replicas")).ExitCode);
    }

    [Theory]
    [InlineData("deployments", "Deployment")]
    [InlineData("deployment", "Deployment")]
    [InlineData("deploy", "Deployment")]
    [InlineData("deployment.apps", "Deployment")]
    [InlineData("rs", "ReplicaSet")]
    [InlineData("po", "Pod")]
    [InlineData("svc", "Service")]
    [InlineData("ep", "Endpoints")]
    [InlineData("cm", "ConfigMap")]
    [InlineData("ns", "Namespace")]
    [InlineData("no", "Node")]
    [InlineData("ev", "Event")]
    public void Kinds_must_be_accepted_plural_singular_and_short(string name, string kind)
    {
        var (k, names) = Common.KindAndNames([name], "get");
        Assert.Equal(kind, k);
        Assert.Empty(names);
        (k, names) = Common.KindAndNames([name, "web"], "get");
        Assert.Equal(kind, k);
        Assert.Equal(["web"], names);
        (k, names) = Common.KindAndNames([name + "/web"], "get");
        Assert.Equal(kind, k);
        Assert.Equal(["web"], names);
    }

    [Fact]
    public void Kinds_must_reject_an_unknown_kind_as_kubectl_words_it()
    {
        var e = Assert.Throws<ShellException>(() => Common.KindAndNames(["foo"], "get"));
        Assert.Equal(1, e.ExitCode);
        Assert.Equal("the server doesn't have a resource type \"foo\"", e.Message);
    }
}
