using Troupe.Shell.Rendering;
using Xunit;

namespace Troupe.Shell.Tests.Rendering;

public sealed class DurationsSpec
{
    [Theory]
    [InlineData(-5, "<invalid>")]
    [InlineData(-1, "0s")]
    [InlineData(0, "0s")]
    [InlineData(5, "5s")]
    [InlineData(119, "119s")]
    [InlineData(120, "2m")]
    [InlineData(182, "3m2s")]
    [InlineData(599, "9m59s")]
    [InlineData(600, "10m")]
    [InlineData(3 * 3600 - 1, "179m")]
    [InlineData(3 * 3600, "3h")]
    [InlineData(5 * 3600 + 7 * 60 + 3, "5h7m")]
    [InlineData(8 * 3600, "8h")]
    [InlineData(47 * 3600, "47h")]
    [InlineData(2 * 86400, "2d")]
    [InlineData(3 * 86400 + 4 * 3600, "3d4h")]
    [InlineData(30 * 86400, "30d")]
    [InlineData(800 * 86400, "2y70d")]
    [InlineData(9 * 365 * 86400, "9y")]
    public void Age_must_be_formatted_as_kubectl_does(long seconds, string expected) =>
        Assert.Equal(expected, Durations.Kubectl(TimeSpan.FromSeconds(seconds)));

    [Theory]
    [InlineData(0, "Less than a second ago")]
    [InlineData(1, "1 second ago")]
    [InlineData(30, "30 seconds ago")]
    [InlineData(90, "About a minute ago")]
    [InlineData(600, "10 minutes ago")]
    [InlineData(3600, "About an hour ago")]
    [InlineData(5 * 3600, "5 hours ago")]
    [InlineData(3 * 86400, "3 days ago")]
    [InlineData(20 * 86400, "2 weeks ago")]
    [InlineData(100 * 86400, "3 months ago")]
    [InlineData(800 * 86400, "2 years ago")]
    public void Created_must_be_formatted_as_docker_does(long seconds, string expected) =>
        Assert.Equal(expected, Durations.Docker(TimeSpan.FromSeconds(seconds)));

    [Theory]
    [InlineData(0, "0B")]
    [InlineData(999, "999B")]
    [InlineData(1234, "1.23kB")]
    [InlineData(4_264_000, "4.26MB")]
    [InlineData(1_200_000_000, "1.2GB")]
    public void Size_must_be_formatted_as_docker_does(long bytes, string expected) =>
        Assert.Equal(expected, Durations.DockerSize(bytes));
}
