using Troupe.Runtime.Images;
using Xunit;

namespace Troupe.Runtime.Tests.Images;

public sealed class ImageReferenceSpec
{
    const string Hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("busybox", "docker.io/library/busybox:latest")]
    [InlineData("busybox:latest", "docker.io/library/busybox:latest")]
    [InlineData("docker.io/library/busybox:latest", "docker.io/library/busybox:latest")]
    [InlineData("myapp:1.0", "docker.io/library/myapp:1.0")]
    [InlineData("library/nginx", "docker.io/library/nginx:latest")]
    [InlineData("docker.io/nginx", "docker.io/library/nginx:latest")]
    [InlineData("index.docker.io/library/nginx:1", "docker.io/library/nginx:1")]
    [InlineData("someone/app", "docker.io/someone/app:latest")]
    [InlineData("localhost:5000/x/y:t", "localhost:5000/x/y:t")]
    [InlineData("localhost/x", "localhost/x:latest")]
    [InlineData("quay.io/a/b-c__d.e", "quay.io/a/b-c__d.e:latest")]
    [InlineData("ghcr.io/o/r:v1.2-rc_3", "ghcr.io/o/r:v1.2-rc_3")]
    [InlineData("name@sha256:" + Hex, "docker.io/library/name@sha256:" + Hex)]
    [InlineData("name:1@sha256:" + Hex, "docker.io/library/name:1@sha256:" + Hex)]
    public void ImageReference_must_normalise_as_docker_does(string written, string normalised)
    {
        Assert.Equal(normalised, ImageReference.Parse(written).ToString());
    }

    [Fact]
    public void ImageReference_must_split_domain_path_tag_and_digest()
    {
        var r = ImageReference.Parse("localhost:5000/team/app:2@sha256:" + Hex);
        Assert.Equal("localhost:5000", r.Domain);
        Assert.Equal("team/app", r.Path);
        Assert.Equal("localhost:5000/team/app", r.Repository);
        Assert.Equal("2", r.Tag);
        Assert.Equal("sha256:" + Hex, r.Digest);
        Assert.Null(ImageReference.Parse("busybox@sha256:" + Hex).Tag);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(" busybox")]
    [InlineData("Busybox")]
    [InlineData("someone/App")]
    [InlineData("busy box")]
    [InlineData("busybox:")]
    [InlineData(":latest")]
    [InlineData("busybox:-bad")]
    [InlineData("a//b")]
    [InlineData("a/")]
    [InlineData("-x")]
    [InlineData("x_")]
    [InlineData("x@sha256:123")]
    [InlineData("x@md5:" + Hex)]
    [InlineData(Hex)]
    [InlineData("bad_host:5000/x")]
    [InlineData("x!y")]
    public void ImageReference_must_reject_malformed_references_naming_them(string written)
    {
        var e = Assert.Throws<FormatException>(() => ImageReference.Parse(written));
        Assert.Contains($"\"{written}\"", e.Message);
    }

    [Fact]
    public void ImageReference_must_say_an_uppercase_repository_must_be_lowercase()
    {
        var e = Assert.Throws<FormatException>(() => ImageReference.Parse("Busybox"));
        Assert.Contains("lowercase", e.Message);
    }

    [Fact]
    public void ImageReference_must_reject_names_longer_than_255_characters()
    {
        Assert.Throws<FormatException>(() => ImageReference.Parse(new string('a', 250) + "/bcdefgh"));
    }
}
