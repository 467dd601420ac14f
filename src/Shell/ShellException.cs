namespace Troupe.Shell;

/// <summary>
/// A failure the user sees as one line on stderr (<c>error: ...</c>) with the contract's exit code:
/// 1 user error, 2 usage error, 3 no cluster reachable.
/// </summary>
public class ShellException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public static ShellException User(string message) => new(ExitCodes.UserError, message);
    public static ShellException Usage(string message) => new(ExitCodes.UsageError, message);
    public static ShellException NotImplemented(string verb) => new(ExitCodes.UserError, $"\"troupe {verb}\" is not implemented yet");
}

/// <summary>No node answers where the shell looked (exit 3).</summary>
public sealed class NoNodeException(string message) : ShellException(ExitCodes.NoCluster, message);

public static class ExitCodes
{
    public const int Ok = 0;
    public const int UserError = 1;
    public const int UsageError = 2;
    public const int NoCluster = 3;

    /// <summary>A command stopped by Ctrl-C inside <c>troupe shell</c> (128 + SIGINT, as a POSIX shell reports it).</summary>
    public const int Interrupted = 130;
}
