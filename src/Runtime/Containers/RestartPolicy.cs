using Troupe.Runtime.Drivers;

namespace Troupe.Runtime.Containers;

/// <summary>What the supervisor does with a container whose attempt has ended.</summary>
public enum RestartDecision
{
    /// <summary>Start a new attempt (after the <see cref="RestartBackoff"/> delay).</summary>
    Restart,
    /// <summary>Leave it terminated.</summary>
    Terminate,
}

/// <summary>
/// The pod's <c>restartPolicy</c> as a pure decider (no Akka): Always restarts every exit, OnFailure restarts
/// non-zero exits (and OOM kills), Never restarts nothing. The PodSandbox's supervisor strategy consults it.
/// </summary>
public static class RestartPolicy
{
    public const string Always = "Always";
    public const string OnFailure = "OnFailure";
    public const string Never = "Never";

    /// <summary>True for the three policies Kubernetes knows (case-sensitive, as Kubernetes).</summary>
    public static bool IsValid(string? policy) => policy is Always or OnFailure or Never;

    /// <summary>Restart or not. An unknown policy throws <see cref="ArgumentException"/>.</summary>
    public static RestartDecision Decide(string policy, ContainerExit exit)
    {
        ArgumentNullException.ThrowIfNull(exit);
        var failed = exit.ExitCode != 0 || exit.OomKilled;
        return policy switch
        {
            Always => RestartDecision.Restart,
            OnFailure => failed ? RestartDecision.Restart : RestartDecision.Terminate,
            Never => RestartDecision.Terminate,
            _ => throw new ArgumentException($"unknown restartPolicy \"{policy}\" (want Always, OnFailure or Never)", nameof(policy)),
        };
    }
}
