using System.Text.Json;
using Troupe.Runtime.Drivers;
using Troupe.Runtime.Oci;
using Xunit;

namespace Troupe.Runtime.Tests.Drivers;

public sealed class BundleWriterSpec
{
    private static JsonElement Config(ContainerLaunch l) =>
        JsonDocument.Parse(BundleWriter.ConfigJson(l, new BundleWriter.Files("/b/hosts", "/b/hostname", "/b/resolv.conf", "/usr/bin/catatonit"))).RootElement;

    private static ContainerLaunch Launch => new()
    {
        Id = "abc-web", Args = ["sh", "-c", "echo hi"], LogPath = "/dev/null", Hostname = "web-1", Uid = 1000, Gid = 100,
        MemoryLimitBytes = 64 << 20, CpuMillis = 250, PidsLimit = 10, CgroupPath = "troupe/n1/uid/web",
        NetworkNamespacePath = "/var/run/netns/p1",
    };

    [Fact]
    public void BundleWriter_must_write_process_limits_and_namespaces()
    {
        var c = Config(Launch);
        var p = c.GetProperty("process");
        Assert.Equal(["sh", "-c", "echo hi"], p.GetProperty("args").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(1000, p.GetProperty("user").GetProperty("uid").GetInt32());
        Assert.True(p.GetProperty("noNewPrivileges").GetBoolean());
        Assert.False(p.GetProperty("capabilities").TryGetProperty("inheritable", out _));
        Assert.Equal(14, p.GetProperty("capabilities").GetProperty("bounding").GetArrayLength());
        Assert.Equal("web-1", c.GetProperty("hostname").GetString());
        var linux = c.GetProperty("linux");
        Assert.Equal("/troupe/n1/uid/web", linux.GetProperty("cgroupsPath").GetString());
        var r = linux.GetProperty("resources");
        Assert.Equal(64 << 20, r.GetProperty("memory").GetProperty("swap").GetInt64());
        Assert.Equal(25_000, r.GetProperty("cpu").GetProperty("quota").GetInt64());
        Assert.Equal(10, r.GetProperty("pids").GetProperty("limit").GetInt64());
        var net = linux.GetProperty("namespaces").EnumerateArray().Single(n => n.GetProperty("type").GetString() == "network");
        Assert.Equal("/var/run/netns/p1", net.GetProperty("path").GetString());
        Assert.Contains(c.GetProperty("mounts").EnumerateArray(), m => m.GetProperty("destination").GetString() == "/etc/hosts");
    }

    [Fact]
    public void BundleWriter_must_run_catatonit_first_with_init()
    {
        var c = Config(Launch with { Init = true });
        Assert.Equal(["/dev/init", "--", "sh", "-c", "echo hi"],
            c.GetProperty("process").GetProperty("args").EnumerateArray().Select(e => e.GetString()!));
        Assert.Contains(c.GetProperty("mounts").EnumerateArray(), m => m.GetProperty("destination").GetString() == "/dev/init"
            && m.GetProperty("source").GetString() == "/usr/bin/catatonit");
    }
}
