using Troupe.Runtime.Drivers;

namespace Troupe.Actors.Hosting;

/// <summary>Chooses and creates the node's container driver.</summary>
public static class DriverFactory
{
    public const string RuncPath = "/usr/sbin/runc";
    public const string ConmonPath = "/usr/bin/conmon";

    /// <summary>
    /// The driver to use: the one asked for, else <c>runc</c> where runc and conmon are installed and we are root,
    /// else <c>process</c> with a warning. Throws <see cref="StartupException"/> when <c>runc</c> is asked for but cannot run.
    /// </summary>
    public static string Choose(string? asked, out string? warning)
    {
        warning = null;
        var runcReady = File.Exists(RuncPath) && File.Exists(ConmonPath);
        var root = Environment.UserName == "root" || geteuid() == 0;
        if (asked == "runc")
        {
            if (!runcReady) throw new StartupException("--driver runc needs runc and conmon (apt-get install runc conmon busybox-static)");
            if (!root) throw new StartupException("--driver runc needs root");
            return "runc";
        }
        if (asked is not null) return asked;
        if (runcReady && root) return "runc";
        warning = !runcReady
            ? "runc/conmon not found (apt-get install runc conmon busybox-static); using --driver process (no isolation)"
            : "not running as root; using --driver process (no isolation)";
        return "process";
    }

    public static IContainerDriver Create(string name, string home, string nodeName) => name switch
    {
        "runc" => new RuncDriver(home, nodeName, RuncPath, ConmonPath),
        "process" => new ProcessDriver(home),
        "fake" => new FakeDriver(),
        _ => throw new StartupException($"unknown driver {name}"),
    };

    [System.Runtime.InteropServices.DllImport("libc")]
    static extern uint geteuid();
}
