using System.Collections.Immutable;
using System.Text;
using System.Text.RegularExpressions;

namespace Troupe.Api.Dockerfiles;

/// <summary>Parses Dockerfiles as BuildKit's frontend does: first its <c>parser</c> package (lines, directives,
/// continuations, comments, heredocs, the per-instruction line parsers), then its <c>instructions</c> package
/// (argument counts, flags, HEALTHCHECK options, stages). Errors are <see cref="DockerfileException"/>s.</summary>
public static partial class DockerfileParser
{
    /// <summary>Reads and parses a Dockerfile; errors are located by <paramref name="path"/>'s file name.</summary>
    public static Dockerfile ParseFile(string path, string? displayName = null) =>
        Parse(File.ReadAllText(path), displayName ?? Path.GetFileName(path));

    /// <summary>Parses and validates <paramref name="text"/>.</summary>
    public static Dockerfile Parse(string text, string fileName = "Dockerfile")
    {
        var (nodes, directives, lineCount) = new LineReader(text, fileName).Read();
        var builder = ImmutableArray.CreateBuilder<Instruction>(nodes.Count);
        var sawFrom = false;
        foreach (var node in nodes)
        {
            var instruction = InstructionBuilder.Build(node, fileName);
            if (!sawFrom)
            {
                if (instruction.Cmd == "from") sawFrom = true;
                else if (instruction.Cmd != "arg") throw new DockerfileException(fileName, node.Line, "no build stage in current context");
            }
            builder.Add(instruction);
        }
        if (!sawFrom) throw new DockerfileException(fileName, lineCount, "dockerfile contains no stages to build");
        return new Dockerfile(builder.MoveToImmutable(), directives);
    }

    /// <summary>The ARGs before the first FROM (usable in FROM lines).</summary>
    public static ImmutableArray<Instruction> MetaArgs(Dockerfile dockerfile) =>
        [.. dockerfile.Instructions.TakeWhile(i => i.Cmd != "from")];

    /// <summary>The build stages, each with its FROM's base image, lower-cased <c>AS</c> name and <c>--platform</c>.</summary>
    public static ImmutableArray<Stage> Stages(Dockerfile dockerfile)
    {
        var stages = ImmutableArray.CreateBuilder<Stage>();
        Instruction? from = null;
        var body = ImmutableArray.CreateBuilder<Instruction>();
        foreach (var i in dockerfile.Instructions)
        {
            if (i.Cmd == "from")
            {
                if (from is not null) stages.Add(MakeStage(from, body.ToImmutable()));
                from = i;
                body.Clear();
            }
            else if (from is not null) body.Add(i);
        }
        if (from is not null) stages.Add(MakeStage(from, body.ToImmutable()));
        return stages.ToImmutable();
    }

    private static Stage MakeStage(Instruction from, ImmutableArray<Instruction> body)
    {
        var words = ((ListArgs)from.Args).Items;
        return new Stage(words.Length == 3 ? words[2].ToLowerInvariant() : null, words[0], from.Flag("platform"), from, body);
    }

    [GeneratedRegex(@"^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$", RegexOptions.CultureInvariant)]
    internal static partial Regex DirectiveRegex();

    [GeneratedRegex("^[a-z][a-z0-9-_.]*$", RegexOptions.CultureInvariant)]
    internal static partial Regex StageNameRegex();
}

/// <summary>What BuildKit's parser makes of one logical line (its <c>Node</c>).</summary>
internal sealed class Node
{
    public required string Cmd;              // as written
    public required List<string> Flags;
    public List<string> Values = [];         // BuildKit's nodeArgs; ENV/LABEL as key, value, separator triples
    public bool Json;
    public Node? Child;                      // ONBUILD's trigger
    public required string Original;
    public int Line;
    public List<Heredoc> Heredocs = [];
}

/// <summary>BuildKit's <c>parser.Parse</c>: lines into nodes.</summary>
internal sealed class LineReader(string text, string fileName)
{
    private readonly List<string> _lines = SplitLines(text);
    private int _next;                        // index of the next raw line; also the number of lines read
    private char _escape = '\\';
    private bool _directivesDone;
    private readonly Dictionary<string, string> _directives = new(StringComparer.Ordinal);

    public (List<Node> Nodes, ImmutableDictionary<string, string> Directives, int LineCount) Read()
    {
        var nodes = new List<Node>();
        var sb = new StringBuilder();
        while (_next < _lines.Count)
        {
            var first = Process(_lines[_next], stripLeft: true);
            _next++;
            var startLine = _next;
            var (line, end) = TrimContinuation(first);
            if (end && line.Length == 0) continue;
            sb.Clear().Append(line);
            while (!end && _next < _lines.Count)
            {
                var raw = _lines[_next];
                var processed = Process(raw, stripLeft: false);
                _next++;
                if (IsComment(raw)) continue;
                if (processed.AsSpan().TrimStart().IsEmpty) continue;
                (line, end) = TrimContinuation(processed);
                sb.Append(line);
            }
            var joined = sb.ToString();
            Node node;
            try { node = LineParsers.NodeFromLine(joined, _escape); }
            catch (LineParseException e) { throw new DockerfileException(fileName, startLine, e.Message); }
            node.Line = startLine;
            if (CanContainHeredoc(node) && joined.Contains("<<", StringComparison.Ordinal))
                ReadHeredocs(node.Child ?? node, joined, startLine);
            nodes.Add(node);
        }
        if (nodes.Count == 0) throw new DockerfileException(fileName, _next, "file with no instructions");
        return (nodes, _directives.ToImmutableDictionary(StringComparer.Ordinal), _lines.Count);
    }

    private void ReadHeredocs(Node target, string line, int startLine)
    {
        foreach (var word in ShellWords.SplitRaw(line))
        {
            Heredoc? doc;
            try { doc = LineParsers.ParseHeredoc(word); }
            catch (FormatException e) { throw new DockerfileException(fileName, startLine, e.Message); }
            if (doc is null) continue;
            var body = new StringBuilder();
            var terminated = false;
            while (_next < _lines.Count)
            {
                var raw = _lines[_next++];
                var candidate = raw.AsSpan().TrimEnd("\r\n");
                if (doc.Chomp) candidate = candidate.TrimStart('\t');
                if (candidate.SequenceEqual(doc.Name)) { terminated = true; break; }
                body.Append(raw);
            }
            if (!terminated) throw new DockerfileException(fileName, startLine, "unterminated heredoc");
            var content = body.ToString();
            if (doc.Chomp) content = LineParsers.ChompLeadingTabs(content);
            target.Heredocs.Add(doc with { Body = content });
        }
    }

    private static bool CanContainHeredoc(Node node)
    {
        if (node.Cmd.Equals("onbuild", StringComparison.OrdinalIgnoreCase) && node.Child is not null) node = node.Child;
        var cmd = node.Cmd.ToLowerInvariant();
        return cmd is "run" or "copy" or "add" && !node.Json;
    }

    /// <summary>BuildKit's processLine: trims the newline (and leading whitespace on a first line), feeds the
    /// directive parser, and blanks a comment.</summary>
    private string Process(string raw, bool stripLeft)
    {
        var token = raw.AsSpan().TrimEnd("\r\n");
        if (_next == 0 && token.Length > 0 && token[0] == '\uFEFF') token = token[1..];
        if (stripLeft) token = token.TrimStart();
        PossibleDirective(token);
        return IsComment(token) ? "" : token.ToString();
    }

    private void PossibleDirective(ReadOnlySpan<char> line)
    {
        if (_directivesDone) return;
        if (line.Length == 0 || line[0] != '#') { _directivesDone = true; return; }
        var rest = line[1..].TrimStart().ToString();
        var match = DockerfileParser.DirectiveRegex().Match(rest);
        if (!match.Success) { _directivesDone = true; return; }
        var key = match.Groups[1].Value.ToLowerInvariant();
        if (key is not ("syntax" or "escape" or "check")) { _directivesDone = true; return; }
        if (_directives.ContainsKey(key))
            throw new DockerfileException(fileName, _next + 1, $"only one {key} parser directive can be used");
        var value = match.Groups[2].Value;
        if (key == "escape")
        {
            if (value is not ("`" or "\\"))
                throw new DockerfileException(fileName, _next + 1, $"invalid escape token '{value}' does not match ` or \\");
            _escape = value[0];
        }
        _directives[key] = value;
    }

    private static bool IsComment(ReadOnlySpan<char> line)
    {
        line = line.TrimStart();
        return line.Length > 0 && line[0] == '#';
    }

    /// <summary>BuildKit's <c>([^E])E[ \t]*$|^E[ \t]*$</c> with E the escape character.</summary>
    private (string Line, bool EndOfLine) TrimContinuation(string line)
    {
        var end = line.Length;
        while (end > 0 && line[end - 1] is ' ' or '\t') end--;
        if (end > 0 && line[end - 1] == _escape && (end == 1 || line[end - 2] != _escape))
            return (line[..(end - 1)], false);
        return (line, true);
    }

    /// <summary>Lines with their endings kept, as BuildKit's scanLines.</summary>
    private static List<string> SplitLines(string text)
    {
        var lines = new List<string>();
        var start = 0;
        while (start < text.Length)
        {
            var nl = text.IndexOf('\n', start);
            if (nl < 0) { lines.Add(text[start..]); break; }
            lines.Add(text[start..(nl + 1)]);
            start = nl + 1;
        }
        return lines;
    }
}
