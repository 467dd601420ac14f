using Troupe.Actors.Hosting;
using Xunit;

namespace Troupe.Actors.Tests.Hosting;

public class NodeOptionsSpec
{
    [Fact]
    public void NodeOptions_must_parse_every_flag()
    {
        var o = NodeOptions.Parse(["node", "--name", "n1", "--port", "4054", "--api-port=9000", "--seed", "127.0.0.1:4053",
            "--seed", "10.0.0.2:4053", "--roles", "control,worker", "--driver", "fake", "--config", "x.hocon"]);
        Assert.Equal("node", o.Mode);
        Assert.Equal("n1", o.Name);
        Assert.Equal(4054, o.Port);
        Assert.Equal(9000, o.ApiPort);
        Assert.Equal<string>(["127.0.0.1:4053", "10.0.0.2:4053"], o.Seeds);
        Assert.Equal<string>(["control", "worker"], o.Roles);
        Assert.Equal("fake", o.Driver);
        Assert.Equal<string>(["x.hocon"], o.ConfigFiles);
    }

    [Theory]
    [InlineData("up", "--port", "70000")]
    [InlineData("up", "--driver", "docker")]
    [InlineData("sideways")]
    [InlineData("up", "--bogus")]
    [InlineData("up", "--name")]
    public void NodeOptions_must_refuse_bad_flags_with_one_line(params string[] args)
    {
        var e = Assert.Throws<ArgumentException>(() => NodeOptions.Parse(args));
        Assert.DoesNotContain('\n', e.Message);
    }
}
