using Troupe.Shell.Repl;
using Xunit;

namespace Troupe.Shell.Tests.Repl;

public sealed class ShellWordsSpec
{
    [Theory]
    [InlineData("get pods", new[] { "get", "pods" })]
    [InlineData("  get   pods\t-o  wide  ", new[] { "get", "pods", "-o", "wide" })]
    [InlineData("exec web -- sh -c 'echo $HOME; ls \"x y\"'", new[] { "exec", "web", "--", "sh", "-c", "echo $HOME; ls \"x y\"" })]
    [InlineData("get pods -l \"app=web, tier in (a,b)\"", new[] { "get", "pods", "-l", "app=web, tier in (a,b)" })]
    [InlineData("a\\ b c\\\\d \\'e", new[] { "a b", "c\\d", "'e" })]
    [InlineData("\"say \\\"hi\\\" \\$x \\n\"", new[] { "say \"hi\" $x \\n" })]
    [InlineData("x'y'\"z\"w", new[] { "xyzw" })]
    [InlineData("'' \"\" end", new[] { "", "", "end" })]
    [InlineData("get pods # all of them", new[] { "get", "pods" })]
    [InlineData("get a#b", new[] { "get", "a#b" })]
    [InlineData("# nothing", new string[0])]
    [InlineData("", new string[0])]
    public void ShellWords_must_split_as_a_POSIX_shell_does(string line, string[] words) =>
        Assert.Equal(words, ShellWords.Split(line));

    [Theory]
    [InlineData("get pods -l 'app=web", "unterminated single quote")]
    [InlineData("echo \"half", "unterminated double quote")]
    [InlineData("get pods \\", "a backslash ends the line (nothing to escape)")]
    public void ShellWords_must_refuse_an_unfinished_line_as_a_usage_error(string line, string message)
    {
        var e = Assert.Throws<ShellException>(() => ShellWords.Split(line));
        Assert.Equal(message, e.Message);
        Assert.Equal(ExitCodes.UsageError, e.ExitCode);
    }

    [Fact]
    public void ShellWords_must_say_where_the_last_word_starts_and_whether_the_line_ends_in_it()
    {
        var s = ShellWords.Read("get 'po");
        Assert.Equal(["get", "po"], s.Words);
        Assert.Equal([0, 4], s.Starts);
        Assert.True(s.InWord);
        Assert.NotNull(s.Error);
        var blank = ShellWords.Read("get pods ");
        Assert.False(blank.InWord);
        Assert.Null(blank.Error);
    }

    [Theory]
    [InlineData("web-1", "web-1")]
    [InlineData("deploy/web", "deploy/web")]
    [InlineData("my file", "my\\ file")]
    [InlineData("it's", "it\\'s")]
    public void Escape_must_give_back_a_word_that_splits_to_itself(string word, string escaped)
    {
        Assert.Equal(escaped, ShellWords.Escape(word));
        Assert.Equal([word], ShellWords.Split(escaped));
    }
}
