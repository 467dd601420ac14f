using Troupe.Shell.Rendering;
using Xunit;

namespace Troupe.Shell.Tests.Rendering;

public sealed class WatchViewSpec
{
    [Fact]
    public void WatchView_must_draw_each_frame_over_the_last_and_clear_what_is_left()
    {
        var view = new WatchView();
        Assert.Equal("\rNAME  STATUS\x1b[K\na     Pending\x1b[K\nb     Pending\x1b[K\n\x1b[J",
            view.Frame("NAME  STATUS\na     Pending\nb     Pending\n", 80, 24));
        Assert.Equal("\x1b[3A\rNAME  STATUS\x1b[K\na     Running\x1b[K\n\x1b[J", view.Frame("NAME  STATUS\na     Running\n", 80, 24));
        Assert.StartsWith("\x1b[2A\r", view.Frame("x\n", 80, 24));
    }

    [Fact]
    public void WatchView_must_cut_rows_to_the_width_and_the_table_to_the_height()
    {
        var view = new WatchView();
        var frame = view.Frame(string.Join('\n', Enumerable.Range(0, 10).Select(i => $"row-{i}-long")), 6, 5);
        Assert.Equal("\rrow-0\x1b[K\nrow-1\x1b[K\nrow-2\x1b[K\n... 7\x1b[K\n\x1b[J", frame);
    }
}
