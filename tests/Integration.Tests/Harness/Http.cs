namespace Troupe.Integration.Tests.Harness;

/// <summary>Plain HTTP requests from the host to what a test runs.</summary>
public static class Http
{
    /// <summary>The body of a GET, trimmed; a failure comes back as <c>"failed: ..."</c> for a poll to look at.</summary>
    public static string TryGet(string url)
    {
        using var c = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try { return c.GetStringAsync(url).GetAwaiter().GetResult().Trim(); }
        catch (Exception e) { return "failed: " + e.Message; }
    }
}
