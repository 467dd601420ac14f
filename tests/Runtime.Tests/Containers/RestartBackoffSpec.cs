using Akka.Configuration;
using Troupe.Runtime.Containers;
using Xunit;

namespace Troupe.Runtime.Tests.Containers;

public sealed class RestartBackoffSpec
{
    private static readonly RestartBackoffSettings S = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60));

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(4, 8)]
    [InlineData(5, 16)]
    [InlineData(6, 30)]
    [InlineData(7, 30)]
    [InlineData(100, 30)]
    [InlineData(int.MaxValue, 30)]
    public void RestartBackoff_must_start_at_once_then_double_up_to_the_cap(int n, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), RestartBackoff.DelayFor(n, S));

    [Fact]
    public void RestartBackoff_must_count_consecutive_restarts_of_short_runs()
    {
        var b = RestartBackoff.Initial;
        var delays = new List<TimeSpan>();
        for (var i = 0; i < 5; i++)
        {
            var (d, next) = b.NextRestart(TimeSpan.FromSeconds(2), S);
            delays.Add(d);
            b = next;
        }
        Assert.Equal(new[] { 0, 1, 2, 4, 8 }.Select(x => TimeSpan.FromSeconds(x)), delays);
        Assert.Equal(5, b.Consecutive);
    }

    [Fact]
    public void RestartBackoff_must_reset_after_a_healthy_run()
    {
        var b = new RestartBackoff(6);
        var (d, next) = b.NextRestart(TimeSpan.FromSeconds(59), S);
        Assert.Equal(TimeSpan.FromSeconds(30), d);
        (d, next) = next.NextRestart(TimeSpan.FromSeconds(60), S);
        Assert.Equal(TimeSpan.Zero, d);
        Assert.Equal(1, next.Consecutive);
        (d, _) = next.NextRestart(TimeSpan.FromSeconds(1), S);
        Assert.Equal(TimeSpan.FromSeconds(1), d);
    }

    [Theory]
    [InlineData(300, "300ms")]
    [InlineData(2000, "2s")]
    [InlineData(1500, "1.5s")]
    [InlineData(80000, "1m20s")]
    [InlineData(300000, "5m0s")]
    public void RestartBackoff_must_format_durations_as_kubectl(int ms, string text) =>
        Assert.Equal(text, RestartBackoff.Format(TimeSpan.FromMilliseconds(ms)));

    [Fact]
    public void RuntimeSettings_must_read_defaults_from_reference_conf()
    {
        var s = RuntimeSettings.Create(ConfigurationFactory.Empty);
        Assert.Equal(new RestartBackoffSettings(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60)), s.RestartBackoff);
    }

    [Fact]
    public void RuntimeSettings_must_let_config_override_defaults()
    {
        var s = RuntimeSettings.Create(ConfigurationFactory.ParseString("troupe.runtime.restart-backoff { base = 200ms, max = 2s }"));
        Assert.Equal(TimeSpan.FromMilliseconds(200), s.RestartBackoff.Base);
        Assert.Equal(TimeSpan.FromSeconds(2), s.RestartBackoff.Max);
        Assert.Equal(TimeSpan.FromSeconds(60), s.RestartBackoff.ResetAfter);
        Assert.Throws<ArgumentException>(() => RuntimeSettings.Create(ConfigurationFactory.ParseString("troupe.runtime.restart-backoff { base = 5s, max = 1s }")));
    }
}
