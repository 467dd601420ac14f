using Troupe.Actors.Nodes;
using Xunit;

namespace Troupe.Actors.Tests.Nodes;

public sealed class CriLogSpec
{
    private const string Ts = "2026-01-01T00:00:00.000000000Z";

    [Fact]
    public void CriLog_must_strip_the_prefix_and_join_partial_lines()
    {
        var text = CriLog.Text([
            $"{Ts} stdout F hello world",
            $"{Ts} stderr P part one, ",
            $"{Ts} stderr F part two",
            $"{Ts} stdout F ",
            "not a cri line",
        ]);
        Assert.Equal("hello world\npart one, part two\n\nnot a cri line\n", text);
    }

    [Fact]
    public void CriLog_must_pass_a_partial_record_on_without_a_line_end_when_followed()
    {
        Assert.Equal("/ # ", CriLog.Live([$"{Ts} stdout P / # "]));
        Assert.Equal("part one, part two\nnext\n", CriLog.Live([$"{Ts} stderr P part one, ", $"{Ts} stderr F part two", "", $"{Ts} stdout F next"]));
    }

    [Fact]
    public void CriLog_must_keep_the_last_lines_on_tail()
    {
        string[] recs = [$"{Ts} stdout F 1", $"{Ts} stdout F 2", $"{Ts} stdout F 3"];
        Assert.Equal("2\n3\n", CriLog.Text(recs, 2));
        Assert.Equal("1\n2\n3\n", CriLog.Text(recs, 10));
        Assert.Equal("", CriLog.Text(recs, 0));
    }

    [Fact]
    public async Task CriLog_must_read_a_file_and_treat_a_missing_one_as_empty()
    {
        var path = Path.Combine(Path.GetTempPath(), $"crilog-{Guid.NewGuid():N}.log");
        await File.WriteAllTextAsync(path, $"{Ts} stdout F a\n{Ts} stdout P b\n");
        try
        {
            Assert.Equal("a\nb\n", await CriLog.ReadAsync(path, null));
            Assert.Equal("", await CriLog.ReadAsync(path + ".missing", null));
        }
        finally { File.Delete(path); }
    }
}
