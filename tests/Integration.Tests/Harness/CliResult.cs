using System.Text.Json;

namespace Troupe.Integration.Tests.Harness;

/// <summary>What one <c>troupe</c> invocation did: exit code, both streams, wall time.</summary>
/// <param name="StdioHeldOpen">
/// The process exited but something it started still held its stdout or stderr open (a daemon that did not
/// detach its stdio): a caller piping <c>troupe up</c> would hang.
/// </param>
public sealed record CliResult(
    IReadOnlyList<string> Args, int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed, bool TimedOut,
    bool StdioHeldOpen)
{
    /// <summary>stdout parsed as JSON (for <c>-o json</c>); a clear failure naming the command when it is not.</summary>
    public JsonElement Json
    {
        get
        {
            try
            {
                using var doc = JsonDocument.Parse(Stdout);
                return doc.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new InvalidOperationException($"stdout of `{CommandLine}` is not JSON ({e.Message}):\n{this}");
            }
        }
    }

    /// <summary>stderr without its trailing newline; the CLI contract wants one line for an error.</summary>
    public string ErrorLine => Stderr.TrimEnd('\n', '\r');

    public string CommandLine => "troupe " + string.Join(' ', Args.Select(a => a.Contains(' ') ? $"'{a}'" : a));

    public override string ToString() =>
        $"$ {CommandLine}\n  exit {ExitCode}{(TimedOut ? " (TIMED OUT, killed)" : "")} in {Elapsed.TotalMilliseconds:F0} ms" +
        (StdioHeldOpen ? " (stdio held open by a child)" : "") +
        $"\n  stdout: {Indent(Stdout)}\n  stderr: {Indent(Stderr)}";

    private static string Indent(string s)
    {
        const int max = 4000;
        if (s.Length > max) s = s[..max] + $"... ({s.Length - max} more chars)";
        return s.Length == 0 ? "(empty)" : s.TrimEnd().Replace("\n", "\n          ");
    }
}
