namespace Troupe.Runtime.Containers;

/// <summary><c>troupe.runtime.restart-backoff</c>: see reference.conf.</summary>
public sealed record RestartBackoffSettings(TimeSpan Base, TimeSpan Max, TimeSpan ResetAfter)
{
    public void Validate()
    {
        if (Base < TimeSpan.Zero) throw new ArgumentException("troupe.runtime.restart-backoff.base must not be negative");
        if (Max < Base) throw new ArgumentException("troupe.runtime.restart-backoff.max must be at least base");
        if (ResetAfter <= TimeSpan.Zero) throw new ArgumentException("troupe.runtime.restart-backoff.reset-after must be positive");
    }
}

/// <summary>
/// Pure exponential backoff between consecutive restarts of one container (CrashLoopBackOff). <c>Consecutive</c>
/// counts the restarts since the container last ran healthy. With base 1s and max 30s the delays are
/// 0 (first restart at once), 1s, 2s, 4s, 8s, 16s, 30s, 30s ...; a container that ran at least reset-after
/// before exiting starts over at 0.
/// </summary>
public readonly record struct RestartBackoff(int Consecutive)
{
    public static RestartBackoff Initial => new(0);

    /// <summary>
    /// The delay before the restart that follows an attempt which ran for <paramref name="ranFor"/>, and the
    /// backoff state after it.
    /// </summary>
    public (TimeSpan Delay, RestartBackoff Next) NextRestart(TimeSpan ranFor, RestartBackoffSettings settings)
    {
        var n = ranFor >= settings.ResetAfter ? 0 : Consecutive;
        return (DelayFor(n, settings), new RestartBackoff(n + 1));
    }

    /// <summary>
    /// Delay of the restart with zero-based index <paramref name="n"/> among consecutive restarts:
    /// n = 0 → 0; n ≥ 1 → min(max, base · 2^(n-1)).
    /// </summary>
    public static TimeSpan DelayFor(int n, RestartBackoffSettings settings)
    {
        if (n <= 0) return TimeSpan.Zero;
        // 2^(n-1) overflows quickly; past 62 doublings everything is capped anyway.
        var shift = Math.Min(n - 1, 62);
        var ticks = settings.Base.Ticks;
        if (ticks == 0) return TimeSpan.Zero;
        if (shift >= 62 || ticks > settings.Max.Ticks >> shift) return settings.Max;
        return TimeSpan.FromTicks(Math.Min(ticks << shift, settings.Max.Ticks));
    }

    /// <summary>A duration as Go (and so kubectl) prints it: <c>300ms</c>, <c>2s</c>, <c>1.5s</c>, <c>1m20s</c>, <c>5m0s</c>.</summary>
    public static string Format(TimeSpan d)
    {
        if (d <= TimeSpan.Zero) return "0s";
        if (d < TimeSpan.FromSeconds(1))
            return $"{d.TotalMilliseconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}ms";
        var minutes = (long)d.TotalMinutes;
        var seconds = (d - TimeSpan.FromMinutes(minutes)).TotalSeconds;
        var s = seconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + "s";
        if (minutes == 0) return s;
        var hours = minutes / 60;
        return hours > 0 ? $"{hours}h{minutes % 60}m{s}" : $"{minutes}m{s}";
    }
}
