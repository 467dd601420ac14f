using System.Diagnostics;
using Troupe.Api.Dockerfiles;
using Xunit;

namespace Troupe.Api.Tests.Dockerfiles;

public class DockerfileParserSpec
{
    [Theory]
    [InlineData("FROM alpine\nRUN echo\nFORM x\n", 3, "unknown instruction: FORM")]
    [InlineData("FROM\n", 1, "FROM requires either one or three arguments")]
    [InlineData("FROM a b\n", 1, "FROM requires either one or three arguments")]
    [InlineData("FROM a AS 1st\n", 1, "invalid name for build stage: \"1st\", name can't start with a number or contain symbols")]
    [InlineData("FROM a\nCOPY onlyone\n", 2, "COPY requires at least two arguments, but only one was provided. Destination could not be determined")]
    [InlineData("FROM a\nADD x\n", 2, "ADD requires at least two arguments, but only one was provided. Destination could not be determined")]
    [InlineData("RUN echo hi\nFROM a\n", 1, "no build stage in current context")]
    [InlineData("# c\nARG A=1\n", 2, "dockerfile contains no stages to build")]
    [InlineData("# only a comment\n\n", 2, "file with no instructions")]
    [InlineData("FROM a\nRUN <<EOF\necho\nEOT\n", 2, "unterminated heredoc")]
    [InlineData("FROM a\nSHELL /bin/bash -c\n", 2, "SHELL requires the arguments to be in JSON form")]
    [InlineData("FROM a\nSHELL [\"/bin/sh\", 1]\n", 2, "when using JSON array syntax, arrays must be comprised of strings only")]
    [InlineData("FROM a\nCMD [\"a\", [\"b\"]]\n", 2, "when using JSON array syntax, arrays must be comprised of strings only")]
    [InlineData("FROM a\nHEALTHCHECK --interval=5x CMD true\n", 2, "time: unknown unit \"x\" in duration \"5x\"")]
    [InlineData("FROM a\nHEALTHCHECK --interval=5 CMD true\n", 2, "time: missing unit in duration \"5\"")]
    [InlineData("FROM a\nHEALTHCHECK --timeout=10us CMD true\n", 2, "Interval \"timeout\" cannot be less than 1ms")]
    [InlineData("FROM a\nHEALTHCHECK --retries=-1 CMD true\n", 2, "--retries cannot be negative (-1)")]
    [InlineData("FROM a\nHEALTHCHECK --retries=x CMD true\n", 2, "strconv.ParseInt: parsing \"x\": invalid syntax")]
    [InlineData("FROM a\nHEALTHCHECK --bogus=1 CMD true\n", 2, "unknown flag: --bogus")]
    [InlineData("FROM a\nHEALTHCHECK NONE true\n", 2, "HEALTHCHECK NONE takes no arguments")]
    [InlineData("FROM a\nHEALTHCHECK CMD\n", 2, "Missing command after HEALTHCHECK CMD")]
    [InlineData("FROM a\nHEALTHCHECK RUN true\n", 2, "Unknown type \"RUN\" in HEALTHCHECK (try CMD)")]
    [InlineData("FROM a\nRUN --mnt=type=cache,target=/x true\n", 2, "unknown flag: --mnt")]
    [InlineData("FROM a\nCOPY --from=b --from=c x y\n", 2, "duplicate flag specified: --from")]
    [InlineData("FROM a\nCOPY --from x y\n", 2, "missing a value on flag: --from")]
    [InlineData("FROM a\nCOPY --link=maybe x y\n", 2, "expecting boolean value for flag --link, not: maybe")]
    [InlineData("FROM a\nWORKDIR --x=1 /a\n", 2, "unknown flag: --x")]
    [InlineData("FROM --platfrom=linux/amd64 a\n", 1, "unknown flag: --platfrom")]
    [InlineData("FROM a\nONBUILD ONBUILD RUN x\n", 2, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")]
    [InlineData("FROM a\nONBUILD FROM b\n", 2, "FROM isn't allowed as an ONBUILD trigger")]
    [InlineData("FROM a\nONBUILD maintainer me\n", 2, "MAINTAINER isn't allowed as an ONBUILD trigger")]
    [InlineData("FROM a\nONBUILD\n", 2, "ONBUILD requires at least one argument")]
    [InlineData("FROM a\nENV\n", 2, "ENV requires at least one argument")]
    [InlineData("FROM a\nENV ONLYKEY\n", 2, "ENV must have two arguments")]
    [InlineData("FROM a\nENV A=1 B\n", 2, "Syntax error - can't find = in \"B\". Must be of the form: name=value")]
    [InlineData("FROM a\nENV =1\n", 2, "ENV names can not be blank")]
    [InlineData("FROM a\nENV A=\"unterminated\n", 2, "unexpected end of statement while looking for matching double-quote: \"unterminated")]
    [InlineData("FROM a\nLABEL\n", 2, "LABEL requires at least one argument")]
    [InlineData("FROM a\nARG\n", 2, "ARG requires at least one argument")]
    [InlineData("FROM a\nARG =x\n", 2, "ARG names can not be blank")]
    [InlineData("FROM a\nWORKDIR\n", 2, "WORKDIR requires exactly one argument")]
    [InlineData("FROM a\nUSER\n", 2, "USER requires exactly one argument")]
    [InlineData("FROM a\nEXPOSE\n", 2, "EXPOSE requires at least one argument")]
    [InlineData("FROM a\nVOLUME\n", 2, "VOLUME requires at least one argument")]
    [InlineData("FROM a\nVOLUME [\"\"]\n", 2, "VOLUME specified can not be an empty string")]
    [InlineData("FROM a\nSTOPSIGNAL\n", 2, "STOPSIGNAL requires exactly one argument")]
    [InlineData("FROM a\nCOPY x <<EOF\nbody\nEOF\n", 2, "COPY cannot accept a heredoc as a destination")]
    [InlineData("# escape=x\nFROM a\n", 1, "invalid escape token 'x' does not match ` or \\")]
    [InlineData("# escape=`\n# escape=\\\nFROM a\n", 2, "only one escape parser directive can be used")]
    [InlineData("FROM a\n\nRUN a \\\n  b\nBOGUS \\\n  x\n", 5, "unknown instruction: BOGUS")]
    public void DockerfileParser_must_reject_malformed_files_with_file_and_line(string text, int line, string reason)
    {
        var e = Assert.Throws<DockerfileException>(() => DockerfileParser.Parse(text, "Dockerfile"));
        Assert.Equal(reason, e.Reason);
        Assert.Equal(line, e.Line);
        Assert.Equal("Dockerfile", e.File);
        Assert.Equal($"Dockerfile:{line}: {reason}", e.Message);
        Assert.Equal(e.Message, e.ToString());
    }

    [Fact]
    public void DockerfileParser_must_report_parser_errors_before_instruction_errors_as_BuildKit()
    {
        // BuildKit's parser reads the whole file (heredocs, JSON) before the instructions are checked.
        var e = Assert.Throws<DockerfileException>(() => DockerfileParser.Parse("FROM a\nFORM b\nRUN <<EOF\n"));
        Assert.Equal(3, e.Line);
        Assert.Equal("unterminated heredoc", e.Reason);
    }

    [Fact]
    public void DockerfileParser_must_keep_directives()
    {
        var df = DockerfileParser.Parse("# syntax=docker/dockerfile:1\n# check=skip=JSONArgsRecommended\n# escape=`\nFROM a\n");
        Assert.Equal("docker/dockerfile:1", df.Directives["syntax"]);
        Assert.Equal("skip=JSONArgsRecommended", df.Directives["check"]);
        Assert.Equal('`', df.EscapeChar);
        Assert.Equal('\\', DockerfileParser.Parse("FROM a\n").EscapeChar);
    }

    [Fact]
    public void DockerfileParser_must_give_stages_with_names_platforms_and_bodies()
    {
        var df = DockerfileParser.Parse("""
            ARG BASE=alpine
            FROM --platform=$BUILDPLATFORM golang:1.22 AS Build
            RUN go build
            FROM ${BASE}
            COPY --from=build /out /
            CMD ["/out"]
            """);
        var stages = DockerfileParser.Stages(df);
        Assert.Equal(2, stages.Length);
        Assert.Equal(("build", "golang:1.22", "$BUILDPLATFORM"), (stages[0].Name, stages[0].BaseImage, stages[0].Platform));
        Assert.Equal(["run"], stages[0].Instructions.Select(i => i.Cmd));
        Assert.Equal((null, "${BASE}", null), (stages[1].Name, stages[1].BaseImage, stages[1].Platform));
        Assert.Equal(["copy", "cmd"], stages[1].Instructions.Select(i => i.Cmd));
        Assert.Equal("build", stages[1].Instructions[0].Flag("from"));
        Assert.Equal(["arg"], DockerfileParser.MetaArgs(df).Select(i => i.Cmd));
    }

    [Fact]
    public void DockerfileParser_must_give_typed_arguments_to_the_builder()
    {
        var df = DockerfileParser.Parse("""
            FROM a
            ENV A="x $B" C=d
            RUN --mount=type=cache,target=/a --mount=type=cache,target=/b --network=none make
            COPY --link=false x y
            CMD ["a", "b"]
            RUN <<'EOF'
            $HOME
            EOF
            """);
        var env = Assert.IsType<KeyValueArgs>(df.Instructions[1].Args);
        Assert.Equal(new KeyValue("A", "x $B", "A", "\"x $B\""), env.Pairs[0]);
        var run = df.Instructions[2];
        Assert.Equal(["type=cache,target=/a", "type=cache,target=/b"], run.FlagValues("mount"));
        Assert.Equal("none", run.Flag("network"));
        Assert.Null(run.Flag("security"));
        Assert.Equal(new ShellArgs("make"), run.Args);
        Assert.False(run.JsonForm);
        Assert.Equal("false", df.Instructions[3].Flag("link"));
        Assert.True(df.Instructions[4].JsonForm);
        var heredoc = Assert.Single(df.Instructions[5].Heredocs);
        Assert.Equal(new Heredoc("EOF", "$HOME\n", Expand: false, Chomp: false, FileDescriptor: 0), heredoc);
        Assert.True(DockerfileParser.Parse("FROM a\nRUN <<EOF\nx\nEOF\n").Instructions[1].Heredocs[0].Expand);
        Assert.Equal("RUN --mount=type=cache,target=/a --mount=type=cache,target=/b --network=none make", run.Original);
    }

    [Fact]
    public void DockerfileParser_must_write_one_line_with_Utf8JsonWriter()
    {
        var df = DockerfileParser.Parse("FROM a\nRUN --mount=type=cache,target=/x echo hi\n");
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer, DockerfileJson.WriterOptions))
            DockerfileJson.WriteCheckLine(df.Instructions[1], w);
        Assert.Equal("""{"cmd":"run","flags":["--mount=type=cache,target=/x"],"args":["echo hi"],"line":2}""",
            System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    // Not a benchmark: a bound loose enough for a loaded 2-core CI machine (the parse takes ~0.1 ms here), that a
    // quadratic slip in the parser still breaks.
    [Fact]
    public void DockerfileParser_must_parse_a_100_line_Dockerfile_in_a_few_milliseconds()
    {
        var lines = new List<string> { "# syntax=docker/dockerfile:1", "FROM --platform=$BUILDPLATFORM golang:1.22 AS build" };
        for (var i = 0; lines.Count < 98; i++)
        {
            lines.Add($"ENV K{i}=\"v {i}\" L{i}=w\\ {i}");
            lines.Add($"RUN --mount=type=cache,target=/c{i} go build \\");
            lines.Add($"    -o /out/{i} ./cmd/{i}");
            lines.Add($"COPY --from=build [\"/out/{i}\", \"/bin/{i}\"]");
        }
        var text = string.Join('\n', lines);
        Assert.InRange(text.Split('\n').Length, 98, 101);
        for (var i = 0; i < 2000; i++) DockerfileParser.Parse(text); // past tiered JIT
        var perParse = double.MaxValue;
        for (var batch = 0; batch < 5; batch++)
        {
            const int runs = 200;
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < runs; i++) DockerfileParser.Parse(text);
            perParse = Math.Min(perParse, sw.Elapsed.TotalMilliseconds / runs);
        }
        Assert.True(perParse < 5, $"{perParse:F3} ms per parse");
    }
}
