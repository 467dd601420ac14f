using System.Collections.Immutable;

namespace Troupe.Runtime.Build;

/// <summary>
/// What to build, as <c>docker build</c>'s arguments: the context folder, the Dockerfile (null:
/// <c>ContextDir/Dockerfile</c>), the tags to give the result, <c>--build-arg</c> values, <c>--target</c> (a stage
/// name or null for the last stage) and <c>--no-cache</c>.
/// </summary>
public sealed record BuildRequest(
    string ContextDir,
    string? DockerfilePath,
    ImmutableArray<string> Tags,
    ImmutableDictionary<string, string> BuildArgs,
    string? Target,
    bool NoCache)
{
    /// <summary>A request for <paramref name="contextDir"/> with its Dockerfile, no tags, no args.</summary>
    public static BuildRequest For(string contextDir, params string[] tags) =>
        new(contextDir, null, [.. tags], ImmutableDictionary<string, string>.Empty, null, false);
}

/// <summary>One step the builder ran or took from its cache (FROM, RUN, COPY, ADD, WORKDIR), as docker's plain progress shows.</summary>
/// <param name="Number">The progress number (<c>#3</c>).</param>
/// <param name="Stage">The stage's name or index.</param>
/// <param name="Line">The Dockerfile line.</param>
/// <param name="Text">The instruction as shown: <c>RUN pip install -r requirements.txt</c>.</param>
/// <param name="Cached">True when its layer came from the cache (or, for FROM, it needed no work).</param>
/// <param name="Duration">Wall time of the step.</param>
public sealed record BuildStep(int Number, string Stage, int Line, string Text, bool Cached, TimeSpan Duration);

/// <summary>A finished build: the manifest digest of the image, the tags it now has, and its steps.</summary>
public sealed record BuildResult(string Digest, ImmutableArray<string> Tags, ImmutableArray<BuildStep> Steps);

/// <summary>
/// A build failed. <see cref="Exception.Message"/> is one line, <c>Dockerfile:4: RUN make: exit code 2</c>;
/// <see cref="Output"/> holds the failing RUN's last output lines (empty otherwise).
/// </summary>
public sealed class BuildException : Exception
{
    public BuildException(string file, int line, string reason, IReadOnlyList<string>? output = null, Exception? inner = null)
        : base(line > 0 ? $"{file}:{line}: {reason}" : $"{file}: {reason}", inner)
    {
        File = file;
        Line = line;
        Reason = reason;
        Output = output is null ? [] : [.. output];
    }

    /// <summary>The Dockerfile's name as shown (<c>Dockerfile</c>).</summary>
    public string File { get; }
    /// <summary>The failing instruction's line (0 when the failure is not about one).</summary>
    public int Line { get; }
    /// <summary>The message without the location.</summary>
    public string Reason { get; }
    /// <summary>The last lines a failing RUN printed (at most 20).</summary>
    public ImmutableArray<string> Output { get; }
}
