using Xunit;

namespace Troupe.Integration.Tests.Harness;

/// <summary>
/// What a test needs from the machine. Outside CI a missing piece skips the test with the reason printed;
/// under <c>CI=true</c> it fails instead, so CI never skips silently.
/// </summary>
public static class Requirements
{
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static bool IsRoot => Environment.UserName == "root" || GetEuid() == 0;

    /// <summary>Root, <c>runc</c> and <c>conmon</c>: what the runc driver needs.</summary>
    public static void Runc()
    {
        var missing = new List<string>();
        if (!IsRoot) missing.Add("root");
        foreach (var tool in new[] { "runc", "conmon", "busybox" })
        {
            if (Which(tool) is null) missing.Add(tool);
        }
        Need(missing.Count == 0, $"needs {string.Join(", ", missing)} (apt-get install -y runc conmon busybox-static catatonit, as root)");
    }

    public static void Root() => Need(IsRoot, "needs root");

    /// <summary>Root and a PostgreSQL server installed from Debian (its initdb and pg_ctl).</summary>
    public static void Postgres()
    {
        Need(IsRoot, "needs root (PostgreSQL runs as the postgres user)");
        Need(PostgresServer.BinDir is not null, "needs PostgreSQL (apt-get install -y postgresql)");
    }

    /// <summary>A program from a Debian package: <paramref name="package"/> names what to install.</summary>
    public static void Tool(string tool, string package) =>
        Need(Which(tool) is not null, $"needs {tool} (apt-get install -y {package})");

    private static void Need(bool ok, string reason)
    {
        if (ok) return;
        if (InCi) throw new InvalidOperationException($"CI=true but this test {reason}: CI must run it, not skip it");
        Console.Error.WriteLine($"SKIP: {reason}");
        Skip.If(true, reason);
    }

    public static string? Which(string tool)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").Split(':'))
        {
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate)) return candidate;
        }
        foreach (var dir in new[] { "/usr/sbin", "/sbin", "/usr/bin" })
        {
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();
}
