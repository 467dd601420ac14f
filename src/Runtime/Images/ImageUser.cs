using System.Collections.Immutable;
using System.Globalization;

namespace Troupe.Runtime.Images;

/// <summary>
/// Docker's <c>USER</c> / <c>--user</c> rule: <c>NAME|UID[:GROUP|GID]</c> resolved against the container's own
/// <c>/etc/passwd</c> and <c>/etc/group</c>. A numeric uid needs no entry (its gid comes from passwd when it has one,
/// else 0); a name must have one. Used by the builder (RUN as USER), the launch builder (the image's USER, <c>run
/// --user</c>) and the runc driver (<c>exec -u</c>).
/// </summary>
public static class ImageUser
{
    /// <summary>
    /// Resolve <paramref name="user"/>; <paramref name="readFile"/> returns the text of a file of the container's root
    /// (<c>/etc/passwd</c>, <c>/etc/group</c>) or null when it has none. Throws <see cref="FormatException"/> with
    /// Docker's message (<c>unable to find user app: no matching entries in passwd file</c>).
    /// </summary>
    public static (uint Uid, uint Gid) Resolve(string? user, Func<string, string?> readFile)
    {
        if (string.IsNullOrEmpty(user)) return (0, 0);
        var colon = user.IndexOf(':');
        var u = colon < 0 ? user : user[..colon];
        var g = colon < 0 ? null : user[(colon + 1)..];
        if (u.Length == 0) throw new FormatException($"invalid user \"{user}\"");
        var passwd = Entries(readFile("/etc/passwd"));
        uint uid, gid;
        if (Number(u) is { } n)
        {
            uid = n;
            gid = passwd.FirstOrDefault(f => f.Length > 3 && f[2] == u) is { } byId && Number(byId[3]) is { } pg ? pg : 0;
        }
        else if (passwd.FirstOrDefault(f => f.Length > 3 && f[0] == u) is { } entry && Number(entry[2]) is { } eu && Number(entry[3]) is { } eg)
            (uid, gid) = (eu, eg);
        else throw new FormatException($"unable to find user {u}: no matching entries in passwd file");
        if (g is not null)
        {
            if (g.Length == 0) throw new FormatException($"invalid user \"{user}\"");
            gid = Number(g) ?? (Entries(readFile("/etc/group")).FirstOrDefault(f => f.Length > 2 && f[0] == g) is { } ge && Number(ge[2]) is { } gg
                ? gg : throw new FormatException($"unable to find group {g}: no matching entries in group file"));
        }
        return (uid, gid);
    }

    /// <summary>
    /// A file of the root file system the unpacked <paramref name="layers"/> (bottom first) make, read from the top
    /// layer that has it; null when none has it or a whiteout above hides it.
    /// </summary>
    public static string? ReadFromLayers(ImmutableArray<string> layers, string path)
    {
        if (layers.IsDefaultOrEmpty) return null;
        var rel = path.TrimStart('/');
        var dir = Path.GetDirectoryName(rel) ?? "";
        var name = Path.GetFileName(rel);
        for (var i = layers.Length - 1; i >= 0; i--)
        {
            var file = Path.Combine(layers[i], rel);
            if (Build.FsUtil.LStat(file) is { } st)
            {
                if (st.IsWhiteout || st.Type != Build.FsUtil.S_IFREG) return null; // deleted in this layer (or not a file)
                try { return File.ReadAllText(file); }
                catch (IOException) { return null; }
            }
            if (File.Exists(Path.Combine(layers[i], dir, ".wh." + name)) || File.Exists(Path.Combine(layers[i], dir, ".wh..wh..opq"))) return null;
        }
        return null;
    }

    private static List<string[]> Entries(string? text) =>
        text is null ? [] : text.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split(':')).ToList();

    private static uint? Number(string s) =>
        uint.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
}
