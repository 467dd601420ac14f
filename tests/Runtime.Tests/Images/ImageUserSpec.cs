using System.Collections.Immutable;
using Troupe.Runtime.Images;
using Xunit;

namespace Troupe.Runtime.Tests.Images;

/// <summary>USER / --user / exec -u names resolved as Docker does, and the passwd file found through the image's layers.</summary>
public sealed class ImageUserSpec : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("troupe-user-").FullName;

    const string Passwd = "root:x:0:0:root:/root:/bin/sh\n# a comment\napp:x:1500:1600::/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n";
    const string Group = "root:x:0:\ncrew:x:1600:\nnogroup:x:65534:\n";

    static string? Files(string path) => path switch { "/etc/passwd" => Passwd, "/etc/group" => Group, _ => null };

    [Theory]
    [InlineData(null, 0u, 0u)]
    [InlineData("", 0u, 0u)]
    [InlineData("root", 0u, 0u)]
    [InlineData("app", 1500u, 1600u)]
    [InlineData("app:nogroup", 1500u, 65534u)]
    [InlineData("app:42", 1500u, 42u)]
    [InlineData("1500", 1500u, 1600u)]       // a known uid takes its passwd group
    [InlineData("4321", 4321u, 0u)]          // an unknown one gets 0, as docker
    [InlineData("4321:crew", 4321u, 1600u)]
    public void Resolve_must_follow_docker(string? user, uint uid, uint gid) =>
        Assert.Equal((uid, gid), ImageUser.Resolve(user, Files));

    [Theory]
    [InlineData("ghost", "unable to find user ghost: no matching entries in passwd file")]
    [InlineData("app:ghosts", "unable to find group ghosts: no matching entries in group file")]
    [InlineData(":1", "invalid user")]
    [InlineData("app:", "invalid user")]
    public void Resolve_must_refuse_what_the_image_does_not_have(string user, string message) =>
        Assert.Contains(message, Assert.Throws<FormatException>(() => ImageUser.Resolve(user, Files)).Message);

    [Fact]
    public void Resolve_must_refuse_a_name_when_the_image_has_no_passwd() =>
        Assert.Throws<FormatException>(() => ImageUser.Resolve("app", _ => null));

    [Fact]
    public void ReadFromLayers_must_take_the_top_layer_that_has_the_file_and_honour_whiteouts()
    {
        string Layer(string name, string? passwd, bool whiteout = false)
        {
            var l = Path.Combine(_dir, name);
            Directory.CreateDirectory(Path.Combine(l, "etc"));
            if (passwd is not null) File.WriteAllText(Path.Combine(l, "etc", "passwd"), passwd);
            if (whiteout) File.WriteAllText(Path.Combine(l, "etc", ".wh.passwd"), "");
            return l;
        }
        var bottom = Layer("a", "root:x:0:0::/:/bin/sh\n");
        var middle = Layer("b", null);
        var top = Layer("c", Passwd);
        Assert.Equal(Passwd, ImageUser.ReadFromLayers([bottom, middle, top], "/etc/passwd"));
        Assert.Equal("root:x:0:0::/:/bin/sh\n", ImageUser.ReadFromLayers([bottom, middle], "/etc/passwd"));
        Assert.Null(ImageUser.ReadFromLayers([bottom, Layer("d", null, whiteout: true)], "/etc/passwd"));
        Assert.Null(ImageUser.ReadFromLayers([middle], "/etc/passwd"));
        Assert.Null(ImageUser.ReadFromLayers(ImmutableArray<string>.Empty, "/etc/passwd"));
    }

    public void Dispose() => Directory.Delete(_dir, true);
}
