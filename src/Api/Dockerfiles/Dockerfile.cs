using System.Collections.Immutable;

namespace Troupe.Api.Dockerfiles;

/// <summary>A parsed Dockerfile: its instructions in order and its parser directives (lower-case names:
/// <c>escape</c>, <c>syntax</c>, <c>check</c>).</summary>
public sealed record Dockerfile(ImmutableArray<Instruction> Instructions, ImmutableDictionary<string, string> Directives)
{
    /// <summary>The escape character in force (<c>\</c> or <c>`</c>).</summary>
    public char EscapeChar => Directives.TryGetValue("escape", out var e) && e == "`" ? '`' : '\\';
}

/// <summary>One instruction. <see cref="Cmd"/> is lower case; <see cref="Flags"/> are the <c>--name[=value]</c>
/// words after the keyword (quotes and escapes removed, as BuildKit does); <see cref="Line"/> is where it starts
/// (1-based); <see cref="Original"/> is the joined logical line as BuildKit keeps it.</summary>
public sealed record Instruction(
    string Cmd,
    ImmutableArray<string> Flags,
    InstructionArgs Args,
    int Line,
    ImmutableArray<Heredoc> Heredocs,
    bool JsonForm,
    string Original)
{
    /// <summary>The value of flag <paramref name="name"/> (<c>"true"</c> for a bare boolean flag), the last one
    /// written if repeated; null when absent.</summary>
    public string? Flag(string name)
    {
        string? value = null;
        foreach (var f in FlagValues(name)) value = f;
        return value;
    }

    /// <summary>Every value of a repeatable flag such as <c>--mount</c> or <c>--exclude</c>, in order.</summary>
    public IEnumerable<string> FlagValues(string name)
    {
        foreach (var f in Flags)
        {
            if (!f.StartsWith("--", StringComparison.Ordinal)) continue;
            var eq = f.IndexOf('=');
            var n = eq < 0 ? f.AsSpan(2) : f.AsSpan(2, eq - 2);
            if (n.SequenceEqual(name)) yield return eq < 0 ? "true" : f[(eq + 1)..];
        }
    }
}

/// <summary>The arguments of an instruction, in one of four shapes.</summary>
public abstract record InstructionArgs;

/// <summary>The shell form of RUN, CMD, ENTRYPOINT (one string, continuations joined as Docker joins them), and
/// the one-string instructions WORKDIR, USER, STOPSIGNAL, MAINTAINER.</summary>
public sealed record ShellArgs(string Text) : InstructionArgs;

/// <summary>A list of words: the JSON (exec) form of any instruction, or the whitespace-split words of FROM,
/// EXPOSE, COPY, ADD, VOLUME; HEALTHCHECK as <c>["NONE"]</c> or <c>["CMD", ...the CMD form...]</c>.</summary>
public sealed record ListArgs(ImmutableArray<string> Items) : InstructionArgs;

/// <summary>ENV, LABEL and ARG: key/value pairs. <see cref="KeyValue.Value"/> is unquoted but not expanded;
/// <see cref="KeyValue.RawValue"/> is as written, for <see cref="ShellWords.Expand"/>.</summary>
public sealed record KeyValueArgs(ImmutableArray<KeyValue> Pairs) : InstructionArgs;

/// <summary>ONBUILD's trigger instruction.</summary>
public sealed record NestedArgs(Instruction Instruction) : InstructionArgs;

/// <summary>A key and its value; <see cref="Value"/> is null for a bare <c>ARG NAME</c>.</summary>
public sealed record KeyValue(string Key, string? Value, string RawKey, string? RawValue);

/// <summary>A here-document. <see cref="Body"/> is the lines between the instruction and the terminator, each
/// with its line ending, leading tabs removed for <c>&lt;&lt;-</c>. <see cref="Expand"/> is false when the name
/// was quoted (<c>&lt;&lt;'EOF'</c>).</summary>
public sealed record Heredoc(string Name, string Body, bool Expand, bool Chomp, int FileDescriptor);

/// <summary>A build stage: a FROM and the instructions after it.</summary>
public sealed record Stage(string? Name, string BaseImage, string? Platform, Instruction From, ImmutableArray<Instruction> Instructions);

/// <summary>A malformed Dockerfile: prints as <c>Dockerfile:3: unknown instruction: FORM</c>.</summary>
public sealed class DockerfileException : Exception
{
    public DockerfileException(string file, int line, string reason)
        : base($"{file}:{line}: {reason}")
    {
        File = file;
        Line = line;
        Reason = reason;
    }

    public string File { get; }
    public int Line { get; }
    /// <summary>The message without the location.</summary>
    public string Reason { get; }

    public override string ToString() => Message;
}
