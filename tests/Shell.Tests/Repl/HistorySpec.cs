using Troupe.Shell.Repl;
using Xunit;

namespace Troupe.Shell.Tests.Repl;

public sealed class HistorySpec : IDisposable
{
    readonly TempHome _home = new();
    public void Dispose() => _home.Dispose();

    [Fact]
    public void History_must_append_each_line_to_its_file_and_load_it_again()
    {
        var file = Path.Combine(_home.Path, "sub", "shell_history");
        var h = History.Load(file);
        Assert.Equal(0, h.Count);
        h.Add("get pods");
        h.Add("get pods"); // a repeat
        h.Add("   ");      // blank
        h.Add("get svc");
        Assert.Equal("get pods\nget svc\n", File.ReadAllText(file));
        var again = History.Load(file);
        Assert.Equal(2, again.Count);
        Assert.Equal("get svc", again[1]);
    }

    [Fact]
    public void History_must_keep_the_newest_lines_up_to_its_limit()
    {
        var file = Path.Combine(_home.Path, "shell_history");
        File.WriteAllLines(file, Enumerable.Range(0, History.Limit + 5).Select(i => $"get pod p{i}"));
        var h = History.Load(file);
        Assert.Equal(History.Limit, h.Count);
        Assert.Equal("get pod p5", h[0]);
        Assert.Equal(History.Limit, File.ReadAllLines(file).Length);
        h.Add("one more");
        Assert.Equal(History.Limit, h.Count);
        Assert.Equal("get pod p6", h[0]);
    }
}
