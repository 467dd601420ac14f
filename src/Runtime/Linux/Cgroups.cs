namespace Troupe.Runtime.Linux;

/// <summary>
/// cgroup folders of containers, on every mounted hierarchy (each v1 controller and the unified v2 one). runc creates
/// them from <c>linux.cgroupsPath</c>; <see cref="Remove"/> removes what it leaves behind. Paths are relative to
/// each hierarchy's root, e.g. <c>troupe/node1/POD-UID/web</c>.
/// </summary>
public static class Cgroups
{
    /// <summary>Mount points of every cgroup hierarchy (cgroup and cgroup2), e.g. <c>/sys/fs/cgroup/memory</c>.</summary>
    public static IReadOnlyList<string> Hierarchies()
    {
        var result = new List<string>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // ... mountpoint ... - fstype source options
            var dash = line.IndexOf(" - ", StringComparison.Ordinal);
            if (dash < 0) continue;
            var fstype = line[(dash + 3)..].Split(' ')[0];
            if (fstype is not ("cgroup" or "cgroup2")) continue;
            var parts = line.Split(' ');
            if (parts[3] != "/") continue; // a bind of a sub-cgroup (inside a container): skip
            result.Add(parts[4]);
        }
        return result.Distinct().ToList();
    }

    /// <summary>The folders of <paramref name="relativePath"/> that exist, one per hierarchy.</summary>
    public static IReadOnlyList<string> Existing(string relativePath) =>
        Hierarchies().Select(h => Path.Combine(h, relativePath.Trim('/'))).Where(Directory.Exists).ToList();

    /// <summary>
    /// Remove <paramref name="relativePath"/> in every hierarchy, then its empty parents while they are strictly below
    /// <paramref name="keepAncestor"/> (e.g. keep <c>troupe</c>). A folder that still has processes or children stays
    /// (rmdir fails with EBUSY/ENOTEMPTY, which is not an error here). Never touches anything outside
    /// <paramref name="relativePath"/>'s ancestry.
    /// </summary>
    public static void Remove(string relativePath, string keepAncestor)
    {
        var rel = relativePath.Trim('/');
        var keep = keepAncestor.Trim('/');
        if (!rel.StartsWith(keep + "/", StringComparison.Ordinal))
            throw new ArgumentException($"{relativePath} is not below {keepAncestor}");
        foreach (var h in Hierarchies())
        {
            var current = rel;
            while (current.Length > keep.Length)
            {
                var dir = Path.Combine(h, current);
                if (Directory.Exists(dir))
                {
                    if (!TryRmdir(dir)) break;
                }
                current = current[..current.LastIndexOf('/')];
            }
        }
    }

    private static bool TryRmdir(string dir)
    {
        for (var i = 0; i < 5; i++)
        {
            try { Directory.Delete(dir, recursive: false); return true; }
            catch (DirectoryNotFoundException) { return true; }
            catch (IOException) when (Directory.EnumerateDirectories(dir).Any()) { return false; }
            catch (IOException) { Thread.Sleep(10); } // EBUSY while the last task is being released
        }
        return false;
    }
}
