using Troupe.Api.Objects;
using Xunit;

namespace Troupe.Api.Tests.Objects;

public class QuantitySpec
{
    [Theory]
    [InlineData("250m", 250)]
    [InlineData("0.5", 500)]
    [InlineData("2", 2000)]
    [InlineData("1.25", 1250)]
    [InlineData("100u", 1)]
    [InlineData("1e3", 1_000_000)]
    [InlineData("+1", 1000)]
    [InlineData(".5", 500)]
    public void Quantity_must_convert_cpu_to_millicores(string text, long milli)
    {
        Assert.True(Quantity.TryParse(text, out var q));
        Assert.Equal(milli, q.ToMilli());
        Assert.Equal(text, q.ToString());
    }

    [Theory]
    [InlineData("64Mi", 64L * 1024 * 1024)]
    [InlineData("1Gi", 1L << 30)]
    [InlineData("128M", 128_000_000L)]
    [InlineData("1e3", 1000L)]
    [InlineData("500k", 500_000L)]
    [InlineData("1Ki", 1024L)]
    [InlineData("1.5Gi", 1610612736L)]
    [InlineData("2E", 2_000_000_000_000_000_000L)]
    [InlineData("7Ei", 7L << 60)]
    [InlineData("12E-1", 2L)]
    [InlineData("0", 0L)]
    public void Quantity_must_convert_memory_to_bytes(string text, long bytes)
    {
        Assert.True(Quantity.TryParse(text, out var q));
        Assert.Equal(bytes, q.ToBytes());
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("-250m")]
    [InlineData("abc")]
    [InlineData("1.2.3")]
    [InlineData("10 Mi")]
    [InlineData(" 1")]
    [InlineData("1mi")]
    [InlineData("1KB")]
    [InlineData("Mi")]
    [InlineData("1e")]
    [InlineData("1e100")]
    [InlineData("8Ei")]
    [InlineData("99999999999999999999999999999999")]
    [InlineData("1e3Mi")]
    public void Quantity_must_reject_negatives_junk_and_overflow(string text)
    {
        Assert.False(Quantity.TryParse(text, out _));
        Assert.Throws<FormatException>(() => Quantity.Parse(text));
    }

    [Fact]
    public void Quantity_must_report_when_millis_overflow()
    {
        var q = Quantity.Parse("7Ei");
        Assert.False(q.FitsMilli);
        Assert.Throws<OverflowException>(() => q.ToMilli());
        Assert.True(Quantity.Parse("1000").FitsMilli);
    }
}
