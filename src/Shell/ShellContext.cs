using Troupe.Shell.Connection;

namespace Troupe.Shell;

/// <summary>
/// Where a command writes and what it reads from its surroundings: stdout, stderr, the environment (a
/// dictionary in specs, the process's otherwise), the clock. One per invocation.
/// </summary>
public sealed class ShellContext
{
    readonly IReadOnlyDictionary<string, string?>? _env;
    NodeClient? _client;

    public ShellContext(TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?>? environment = null,
        TimeProvider? time = null)
    {
        Out = stdout;
        Err = stderr;
        _env = environment;
        Time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// True when stdout is a terminal (the real console, not redirected): long work shows progress then, and stays
    /// quiet and parseable otherwise. Specs writing to a <see cref="StringWriter"/> are never a terminal.
    /// </summary>
    public bool IsTerminal => _env is null && !Console.IsOutputRedirected && Env("TERM") is not (null or "dumb");

    /// <summary>stdin (what <c>exec -i</c> sends): the console's, or what a spec gives.</summary>
    public Stream Input => _input ??= _env is null ? Console.OpenStandardInput() : Stream.Null;

    /// <summary>A spec's stdin.</summary>
    public void UseInput(Stream input) => _input = input;

    /// <summary>True when stdin is the real console's terminal (as <c>docker exec -it</c> requires).</summary>
    public bool StdinIsTerminal => _env is null && !Console.IsInputRedirected;

    Stream? _input;

    public TextWriter Out { get; }
    public TextWriter Err { get; }
    public TimeProvider Time { get; }
    public DateTimeOffset Now => Time.GetUtcNow();

    /// <summary>
    /// Cancelled when the user presses Ctrl-C in <c>troupe shell</c>: the open connection closes and a waiting
    /// command (<c>get -w</c>, <c>logs -f</c>, <c>rollout status</c>) ends with <see cref="OperationCanceledException"/>.
    /// A one-shot command is never cancelled (Ctrl-C ends the process).
    /// </summary>
    public CancellationToken Cancellation { get; set; }

    /// <summary>True while a command runs inside <c>troupe shell</c> (where <c>get -w</c> redraws in place).</summary>
    public bool InShell { get; set; }

    /// <summary>Waits <paramref name="interval"/> between two looks, or throws at once when the command is cancelled.</summary>
    public void Pause(TimeSpan interval)
    {
        if (Cancellation.WaitHandle.WaitOne(interval)) throw new OperationCanceledException(Cancellation);
    }

    /// <summary>Set by <c>--cluster</c>; else <c>TROUPE_CLUSTER</c>; else the local node's socket.</summary>
    public string? Cluster { get; set; }

    public string? Env(string name) =>
        _env is not null ? (_env.TryGetValue(name, out var v) ? v : null) : Environment.GetEnvironmentVariable(name);

    /// <summary>Every environment variable: a spec's dictionary, or the process's (what compose interpolates from).</summary>
    public IReadOnlyDictionary<string, string?> EnvironmentVariables
    {
        get
        {
            if (_env is not null) return _env;
            var all = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
                all[(string)e.Key] = e.Value as string;
            return all;
        }
    }

    /// <summary><c>$TROUPE_HOME</c>, default <c>~/.troupe</c>, as an absolute path.</summary>
    public string Home
    {
        get
        {
            var h = Env("TROUPE_HOME");
            if (string.IsNullOrEmpty(h))
                h = Path.Combine(Env("HOME") is { Length: > 0 } home ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".troupe");
            return Path.GetFullPath(h);
        }
    }

    /// <summary>The client of the node API (connects lazily, on the first request).</summary>
    public NodeClient Client => _client ??= NodeClient.For(this);

    /// <summary>Drops the cached client (after <c>up</c> started a node, for instance).</summary>
    public void ResetClient() => _client = null;

    public void Warn(string line) => Err.WriteLine(line.StartsWith("warning:", StringComparison.Ordinal) ? line : "warning: " + line);
}
