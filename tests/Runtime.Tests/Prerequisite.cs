namespace Troupe.Runtime.Tests;

/// <summary>
/// One rule for specs that need the machine (root, runc, ip, busybox): outside CI a missing piece skips the test
/// with its reason printed; under <c>CI=true</c> it fails, so CI never skips silently.
/// </summary>
internal static class Prerequisite
{
    /// <summary>Returns when <paramref name="missing"/> is null; otherwise skips (or, under CI=true, fails) naming it.</summary>
    public static void Require(string area, string? missing)
    {
        if (missing is null) return;
        if (Environment.GetEnvironmentVariable("CI") == "true")
            throw new InvalidOperationException($"{area} tests cannot run: {missing}");
        Console.WriteLine($"{area} tests skipped: {missing}");
        Xunit.Skip.If(true, $"{area} tests skipped: {missing}");
    }
}
