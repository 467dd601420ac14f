using Troupe.Api.Compose;
using Xunit;

namespace Troupe.Api.Tests.Compose;

/// <summary>Interpolation, <c>.env</c> files, durations, sizes and shell words as compose has them.</summary>
public sealed class InterpolationSpec
{
    static readonly Dictionary<string, string?> Vars = new() { ["A"] = "a", ["E"] = "", ["N"] = null };

    [Theory]
    [InlineData("${A}", "a")]
    [InlineData("$A-x", "a-x")]
    [InlineData("pre${A}post", "preapost")]
    [InlineData("${B}", "")]
    [InlineData("${B:-d}", "d")]
    [InlineData("${E:-d}", "d")]
    [InlineData("${E-d}", "")]
    [InlineData("${B-d}", "d")]
    [InlineData("${A:+alt}", "alt")]
    [InlineData("${E:+alt}", "")]
    [InlineData("${E+alt}", "alt")]
    [InlineData("$$A", "$A")]
    [InlineData("cost: 5$", "cost: 5$")]
    [InlineData("${B:-${A}}", "a")]
    [InlineData("${N:-null}", "null")]
    public void Interpolation_must_expand_as_compose_does(string text, string expected) =>
        Assert.Equal(expected, Interpolation.Apply(text, Vars));

    [Theory]
    [InlineData("${B:?need B}", "required variable B is missing a value: need B")]
    [InlineData("${E:?}", "required variable E is missing a value")]
    [InlineData("${A", "missing closing brace")]
    [InlineData("${1x}", "is not a variable name")]
    public void Interpolation_must_refuse_unset_required_variables_and_bad_syntax(string text, string message) =>
        Assert.Contains(message, Assert.Throws<InterpolationException>(() => Interpolation.Apply(text, Vars)).Message);

    [Fact]
    public void Interpolation_must_accept_an_empty_required_variable_without_the_colon() =>
        Assert.Equal("", Interpolation.Apply("${E?need}", Vars));

    [Fact]
    public void DotEnv_must_read_lines_comments_and_quotes()
    {
        var vars = DotEnv.Parse("""
            # comment
            A=1
            export B = two words # trailing comment
            C='single $X #not comment'
            D="line\nnext \"q\""
            E=
            F
            G="multi
            line"
            """, name => name == "F" ? "from-env" : null);
        Assert.Equal(
            [new("A", "1"), new("B", "two words"), new("C", "single $X #not comment"), new("D", "line\nnext \"q\""), new("E", ""), new("F", "from-env"), new("G", "multi\nline")],
            vars);
        Assert.Contains("line 1", Assert.Throws<FormatException>(() => DotEnv.Parse("not a line=1")).Message);
    }

    [Fact]
    public void DotEnv_must_let_the_process_environment_win_over_the_env_file()
    {
        var dir = Directory.CreateTempSubdirectory("troupe-dotenv-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, ".env"), "TAG=from-file\nONLY=file\n");
            var vars = DotEnv.Variables(dir, new Dictionary<string, string?> { ["TAG"] = "from-env" });
            Assert.Equal("from-env", vars["TAG"]);
            Assert.Equal("file", vars["ONLY"]);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData("10s", 10_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("500ms", 500)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("0", 0)]
    [InlineData("5", 5_000)]
    public void ComposeValues_must_parse_durations(string text, long ms) =>
        Assert.Equal(TimeSpan.FromMilliseconds(ms), ComposeValues.ParseDuration(text, out _));

    [Theory]
    [InlineData("10 seconds")]
    [InlineData("-5s")]
    [InlineData("1x")]
    [InlineData("")]
    public void ComposeValues_must_refuse_bad_durations(string text)
    {
        Assert.Null(ComposeValues.ParseDuration(text, out var error));
        Assert.NotNull(error);
    }

    [Theory]
    [InlineData(90_000, "1m30s")]
    [InlineData(10_000, "10s")]
    [InlineData(500, "500ms")]
    [InlineData(0, "0s")]
    [InlineData(3_600_000, "1h0m0s")]
    public void ComposeValues_must_print_durations_as_Go_does(long ms, string expected) =>
        Assert.Equal(expected, ComposeValues.FormatDuration(TimeSpan.FromMilliseconds(ms)));

    [Theory]
    [InlineData("64m", 64L << 20)]
    [InlineData("1g", 1L << 30)]
    [InlineData("512M", 512L << 20)]
    [InlineData("1024", 1024)]
    [InlineData("1.5k", 1536)]
    [InlineData("2GiB", 2L << 30)]
    [InlineData("100mb", 100L << 20)]
    public void ComposeValues_must_parse_sizes(string text, long bytes) => Assert.Equal(bytes, ComposeValues.ParseBytes(text));

    [Fact]
    public void ComposeValues_must_split_commands_into_shell_words()
    {
        Assert.Equal(["npm", "run", "start"], ComposeValues.SplitShellWords("npm  run start").AsEnumerable());
        Assert.Equal(["sh", "-c", "echo 'a b' \"$X\""], ComposeValues.SplitShellWords("sh -c \"echo 'a b' \\\"$X\\\"\"").AsEnumerable());
        Assert.Equal(["a b", "c"], ComposeValues.SplitShellWords("a\\ b c").AsEnumerable());
        Assert.Equal([""], ComposeValues.SplitShellWords("''").AsEnumerable());
        Assert.Throws<FormatException>(() => ComposeValues.SplitShellWords("echo 'x"));
    }

    [Theory]
    [InlineData("My App", "myapp")]
    [InlineData("_x.y-Z", "xy-z")]
    [InlineData("web_1", "web_1")]
    public void ComposeValues_must_normalise_project_names(string folder, string expected) =>
        Assert.Equal(expected, ComposeValues.NormaliseProjectName(folder));
}
