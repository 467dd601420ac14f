using Troupe.Api.Dockerfiles;
using Xunit;

namespace Troupe.Api.Tests.Dockerfiles;

public class ShellWordsSpec
{
    private static readonly Dictionary<string, string> Vars = new() { ["A"] = "apple", ["EMPTY"] = "", ["P"] = "/usr/bin" };

    [Theory]
    [InlineData("$A", "apple")]
    [InlineData("${A}s", "apples")]
    [InlineData("x${UNSET}y", "xy")]
    [InlineData("${UNSET:-dflt}", "dflt")]
    [InlineData("${EMPTY:-dflt}", "dflt")]
    [InlineData("${EMPTY-dflt}", "")]
    [InlineData("${UNSET-dflt}", "dflt")]
    [InlineData("${A:+alt}", "alt")]
    [InlineData("${EMPTY:+alt}", "")]
    [InlineData("${EMPTY+alt}", "alt")]
    [InlineData("${UNSET+alt}", "")]
    [InlineData("${UNSET:-$A and ${P}}", "apple and /usr/bin")]
    [InlineData("'$A'", "$A")]
    [InlineData("\"$A b\"", "apple b")]
    [InlineData("\\$A", "$A")]
    [InlineData("\"\\$A\"", "$A")]
    [InlineData("\"a\\nb\"", "a\\nb")]
    [InlineData("a\\ b", "a b")]
    [InlineData("$", "$")]
    [InlineData("$-x", "$-x")]
    [InlineData("${P}:/bin", "/usr/bin:/bin")]
    public void ShellWords_must_expand_as_the_Dockerfile_lexer(string input, string expected)
    {
        Assert.Equal(expected, ShellWords.Expand(input, Vars));
    }

    [Fact]
    public void ShellWords_must_honour_the_backtick_escape()
    {
        Assert.Equal("C:\\app $A", ShellWords.Expand("C:\\app `$A", Vars, '`'));
        Assert.Equal("a b", ShellWords.Unquote("a` b", '`'));
    }

    [Theory]
    [InlineData("${A:?must be set}", "apple")]
    public void ShellWords_must_pass_a_set_required_variable(string input, string expected) =>
        Assert.Equal(expected, ShellWords.Expand(input, Vars));

    [Theory]
    [InlineData("${UNSET:?must be set}", "UNSET: must be set")]
    [InlineData("${EMPTY:?}", "EMPTY: is not allowed to be unset")]
    [InlineData("${A", "missing '}' in substitution: ${A")]
    [InlineData("'open", "unexpected end of statement while looking for matching single-quote: 'open")]
    [InlineData("${A%x}", "unsupported modifier (%) in substitution: ${A%x}")]
    public void ShellWords_must_reject_bad_substitutions(string input, string message)
    {
        var e = Assert.Throws<FormatException>(() => ShellWords.Expand(input, Vars));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void ShellWords_must_unquote_without_expanding()
    {
        Assert.Equal("x $A ${B:-c}", ShellWords.Unquote("\"x $A\" ${B:-c}"));
        Assert.Equal(["a", "'b c'", "\"d\\\" e\"", "<<EOF"], ShellWords.SplitRaw("a 'b c' \"d\\\" e\" <<EOF"));
    }
}
