using Xunit.Sdk;

namespace Troupe.Integration.Tests.Harness;

/// <summary>Polls a probe every 200 ms until a condition holds, or fails with the last thing it saw.</summary>
public static class Eventually
{
    public static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);

    public static T Until<T>(string what, TimeSpan timeout, Func<T> probe, Func<T, bool> done,
        Func<T, string>? describe = null, Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        T last;
        Exception? lastError = null;
        while (true)
        {
            try
            {
                last = probe();
                lastError = null;
                if (done(last)) return last;
            }
            catch (Exception e) when (e is not XunitException)
            {
                last = default!;
                lastError = e;
            }
            if (DateTime.UtcNow >= deadline) break;
            Thread.Sleep(Poll);
        }
        var seen = lastError is not null ? $"last probe threw: {lastError.Message}"
            : "last seen: " + (describe is not null ? describe(last) : last?.ToString());
        throw new XunitException($"timed out after {timeout.TotalSeconds:F0} s waiting for {what}\n{seen}" +
            (diagnostics is not null ? "\n" + diagnostics() : ""));
    }
}
