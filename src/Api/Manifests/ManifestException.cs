using System.Collections.Immutable;

namespace Troupe.Api.Manifests;

/// <summary>
/// One problem in what a user wrote: where (<c>File</c>, 1-based <c>Line</c> and <c>Column</c>, 0 when
/// unknown), which field (a JSON path such as <c>spec.template.spec.containers[0].image</c>, empty for the
/// document itself) and what is wrong. Prints as <c>deployment.yaml:12:9: spec.replicas: must be ...</c>.
/// </summary>
public sealed record ManifestProblem(string File, int Line, int Column, string Field, string Message)
{
    public override string ToString()
    {
        var where = Line > 0 ? $"{File}:{Line}:{Column}: " : File.Length > 0 ? $"{File}: " : "";
        return Field.Length > 0 ? $"{where}{Field}: {Message}" : $"{where}{Message}";
    }
}

/// <summary>
/// A manifest that cannot be read or is not valid. Carries every problem found (<see cref="Problems"/>);
/// <see cref="File"/>, <see cref="Line"/>, <see cref="Column"/> and <see cref="Field"/> are the first one's,
/// and <see cref="Exception.Message"/> lists them all, one per line.
/// </summary>
public sealed class ManifestException : Exception
{
    public ManifestException(ImmutableArray<ManifestProblem> problems, Exception? inner = null)
        : base(string.Join("\n", problems.Select(p => p.ToString())), inner)
    {
        if (problems.IsDefaultOrEmpty) throw new ArgumentException("a ManifestException needs at least one problem", nameof(problems));
        Problems = problems;
    }

    public ManifestException(ManifestProblem problem, Exception? inner = null) : this([problem], inner) { }

    public ImmutableArray<ManifestProblem> Problems { get; }
    public string File => Problems[0].File;
    public int Line => Problems[0].Line;
    public int Column => Problems[0].Column;
    public string Field => Problems[0].Field;

    public override string ToString() => Message;
}
