namespace Troupe.Runtime.Oci;

/// <summary>
/// Finds a command inside a container's root file system without entering it: <c>PATH</c> search with symlinks
/// resolved relative to the rootfs (an absolute link target is re-rooted, as inside the container). Used by
/// <c>RuncDriver</c> when an init runs first, since then runc would start the init and the missing command would
/// only show as the init's exit 127; checking here keeps the contract (StartAsync throws 127/126).
/// </summary>
public static class RootFsLookup
{
    /// <summary>Null when runnable; else 127 (not found) or 126 (not executable / a directory).</summary>
    public static int? Check(string rootfs, string argv0, string path, string cwd)
    {
        IEnumerable<string> candidates = argv0.Contains('/')
            ? [argv0.StartsWith('/') ? argv0 : Path.Combine(cwd, argv0)]
            : path.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, argv0));
        var sawNonExec = false;
        foreach (var c in candidates)
        {
            var host = Resolve(rootfs, c);
            if (host is null) continue;
            if (Directory.Exists(host)) { sawNonExec = true; continue; }
            if (!File.Exists(host)) continue;
            if ((File.GetUnixFileMode(host) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) == 0)
            { sawNonExec = true; continue; }
            return null;
        }
        return sawNonExec ? 126 : 127;
    }

    private static string? Resolve(string rootfs, string containerPath)
    {
        var parts = new Queue<string>(containerPath.Split('/', StringSplitOptions.RemoveEmptyEntries));
        var current = new List<string>();
        for (var hops = 0; parts.Count > 0;)
        {
            var part = parts.Dequeue();
            if (part == ".") continue;
            if (part == "..") { if (current.Count > 0) current.RemoveAt(current.Count - 1); continue; }
            current.Add(part);
            var host = Path.Combine(rootfs, string.Join('/', current));
            var info = new FileInfo(host);
            if (info.LinkTarget is not { } target) continue;
            if (++hops > 40) return null;
            current.RemoveAt(current.Count - 1);
            if (target.StartsWith('/')) current.Clear();
            var rest = parts.ToList();
            parts = new Queue<string>(target.Split('/', StringSplitOptions.RemoveEmptyEntries).Concat(rest));
        }
        return Path.Combine(rootfs, string.Join('/', current));
    }
}
