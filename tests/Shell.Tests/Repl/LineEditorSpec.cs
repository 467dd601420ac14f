using Troupe.Shell.Repl;
using Xunit;

namespace Troupe.Shell.Tests.Repl;

public sealed class LineEditorSpec
{
    static LineEditor Editor(ScriptedTerminal t, History? h = null, Func<string, Completion>? complete = null) =>
        new(t, h ?? History.InMemory(), complete);

    [Fact]
    public void LineEditor_must_insert_where_the_cursor_is_and_return_the_line_on_Enter()
    {
        var t = new ScriptedTerminal().Type("gt pds").Press(KeyKind.Home, KeyKind.Right).Type("e")
            .Press(KeyKind.End, KeyKind.Left, KeyKind.Left).Type("o").Press(KeyKind.Enter);
        Assert.Equal("get pods", Editor(t).ReadLine("troupe> "));
        Assert.Equal(1, t.RawModes);
        Assert.StartsWith("\rtroupe> ", t.Output);
        Assert.EndsWith("\r\n", t.Output);
    }

    [Fact]
    public void LineEditor_must_delete_and_cut_as_readline_does()
    {
        var t = new ScriptedTerminal()
            .Type("get pods -o wide").Press(Key.Ctrl('w')).Type("json").Press(KeyKind.Enter)               // Ctrl-W: the word before
            .Type("get pods").Press(Key.Ctrl('a'), Key.Ctrl('k')).Type("describe").Press(KeyKind.Enter)    // Ctrl-A, Ctrl-K
            .Type("delete pod x").Press(Key.Ctrl('u')).Press(Key.Ctrl('y')).Press(Key.Ctrl('e')).Press(KeyKind.Backspace).Type("y").Press(KeyKind.Enter)
            .Type("abc").Press(KeyKind.Home, KeyKind.Delete).Press(Key.Ctrl('d')).Press(KeyKind.Enter)    // Delete and Ctrl-D take the character under the cursor
            .Type("one two three").Press(KeyKind.WordLeft, KeyKind.WordLeft).Press(KeyKind.DeleteWordRight).Press(KeyKind.Enter);
        var e = Editor(t);
        Assert.Equal("get pods -o json", e.ReadLine("> "));
        Assert.Equal("describe", e.ReadLine("> "));
        Assert.Equal("delete pod y", e.ReadLine("> "));
        Assert.Equal("c", e.ReadLine("> "));
        Assert.Equal("one  three", e.ReadLine("> "));
    }

    [Fact]
    public void LineEditor_must_walk_the_history_and_come_back_to_the_line_being_typed()
    {
        var history = History.InMemory("get pods", "get deploy");
        var t = new ScriptedTerminal()
            .Type("get sv").Press(KeyKind.Up).Press(KeyKind.Up).Press(KeyKind.Up) // past the oldest: stays there
            .Press(KeyKind.Enter)
            .Press(KeyKind.Up).Press(KeyKind.Up).Press(KeyKind.Down).Press(KeyKind.Down).Press(KeyKind.Down).Type("c").Press(KeyKind.Enter);
        var e = Editor(t, history);
        Assert.Equal("get pods", e.ReadLine("> "));
        Assert.Equal(3, history.Count);
        // Down past the newest gives back what was typed (nothing), and no further
        Assert.Equal("c", e.ReadLine("> "));
        Assert.Equal(4, history.Count);
        Assert.Equal("c", history[3]);

        var repeat = History.InMemory("get pods");
        Assert.Equal("get pods", Editor(new ScriptedTerminal().Press(KeyKind.Up, KeyKind.Enter), repeat).ReadLine("> "));
        Assert.Equal(1, repeat.Count); // a repeat of the line before is not kept again

        var draft = new ScriptedTerminal().Type("get sv").Press(KeyKind.Up, KeyKind.Down).Type("c").Press(KeyKind.Enter);
        Assert.Equal("get svc", Editor(draft, History.InMemory("x")).ReadLine("> "));
    }

    [Fact]
    public void LineEditor_must_complete_one_candidate_in_place_a_common_prefix_and_list_the_rest()
    {
        var asked = new List<string>();
        Completion Complete(string before)
        {
            asked.Add(before);
            var start = before.LastIndexOf(' ') + 1;
            var word = before[start..];
            string[] all = ["deployments", "describe", "delete", "get"];
            return new Completion(start, word, all.Where(c => c.StartsWith(word)).ToList());
        }
        var t = new ScriptedTerminal().Type("g\t pods\n").Type("de\t").Type("\t").Type("p\t\n").Type("x\t\n");
        var e = Editor(t, complete: Complete);
        Assert.Equal("get  pods", e.ReadLine("> "));  // one candidate: the word and a blank
        Assert.Equal("deployments ", e.ReadLine("> ")); // "de": nothing common to add; "de" again lists; "dep": one
        Assert.Equal(["g", "de", "de", "dep"], asked);
        Assert.Contains("\r\ndeployments  describe     delete\r\n\r> de", t.Output); // listed, and the line drawn again
        Assert.Equal("x", e.ReadLine("> "));            // no candidate: the bell
        Assert.Contains("\a", t.Output);
    }

    [Fact]
    public void LineEditor_must_complete_to_the_common_prefix_of_several_candidates()
    {
        var t = new ScriptedTerminal().Type("get deploy/w\t\n");
        var line = Editor(t, complete: before => new Completion(4, before[4..], ["deploy/web-api", "deploy/web-ui"])).ReadLine("> ");
        Assert.Equal("get deploy/web-", line);
    }

    [Fact]
    public void LineEditor_must_drop_the_line_on_CtrlC_and_end_on_CtrlD_or_the_end_of_input()
    {
        var t = new ScriptedTerminal().Type("get po").Press(Key.Ctrl('c')).Press(Key.Ctrl('d'));
        var e = Editor(t);
        Assert.Equal("", e.ReadLine("> "));
        Assert.Contains("^C\r\n", t.Output);
        Assert.Null(e.ReadLine("> "));
        Assert.Null(e.ReadLine("> ")); // the script has ended
    }

    [Fact]
    public void LineEditor_must_scroll_a_long_line_sideways_under_the_cursor()
    {
        var t = new ScriptedTerminal(width: 20).Type("get pods --namespace kube-system");
        Editor(t).ReadLine("> ");
        var last = t.Output.Split('\r')[^3]; // the last redraw: prompt, the shown part, clear to the end (then the cursor, then CR LF)
        Assert.Equal("> ", last[..2]);
        Assert.EndsWith("kube-system\x1b[K", last);
        Assert.True(last.Length - "\x1b[K".Length <= 19, last);
    }

    [Fact]
    public void Columns_must_list_candidates_down_the_columns_as_bash_does()
    {
        Assert.Equal("aa  cc\r\nbb  dd\r\n", LineEditor.Columns(["aa", "bb", "cc", "dd"], 9));
        Assert.Equal("aa\r\nbb\r\n", LineEditor.Columns(["aa", "bb"], 3));
    }
}
