using System.Formats.Tar;
using Troupe.Runtime.Linux;

namespace Troupe.Runtime.Build;

/// <summary>
/// INTERNAL API. Writes an overlay upper directory as an OCI layer tar: entries in ordinal path order, owners, modes
/// and times kept; overlay's whiteouts converted back to the tar convention (a 0:0 character device <c>name</c> →
/// an empty file <c>.wh.name</c>; a directory with <c>trusted.overlay.opaque=y</c> → its entry plus
/// <c>dir/.wh..wh..opq</c>). Paths in <c>mountPoints</c> (created by runc for the step's mounts) are left out when
/// they are empty.
/// </summary>
internal static class LayerTar
{
    /// <summary>True when <paramref name="upper"/> holds anything worth a layer.</summary>
    public static bool HasChanges(string upper, IReadOnlySet<string> mountPoints) =>
        Entries(upper, mountPoints).Any();

    static IEnumerable<(string Rel, string Full)> Entries(string upper, IReadOnlySet<string> mountPoints)
    {
        var stack = new Stack<string>();
        IEnumerable<(string, string)> Walk(string dir, string rel)
        {
            foreach (var full in Directory.EnumerateFileSystemEntries(dir).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(full);
                var r = rel.Length == 0 ? name : rel + "/" + name;
                var st = FsUtil.LStat(full);
                if (st is null) continue;
                var isDir = st.Value.Type == FsUtil.S_IFDIR;
                if (mountPoints.Contains("/" + r) && (isDir ? !Directory.EnumerateFileSystemEntries(full).Any() : st.Value.Size == 0 && !st.Value.IsWhiteout))
                    continue;
                if (isDir)
                {
                    var children = Walk(full, r).ToList();
                    // a folder only copied up to hold an excluded mount point (and otherwise untouched) still counts: harmless
                    yield return (r, full);
                    foreach (var c in children) yield return c;
                }
                else yield return (r, full);
            }
        }
        return Walk(upper, "");
    }

    public static async Task WriteAsync(Stream output, string upper, IReadOnlySet<string> mountPoints, CancellationToken ct)
    {
        await using var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var (rel, full) in Entries(upper, mountPoints))
        {
            ct.ThrowIfCancellationRequested();
            var st = FsUtil.LStat(full)!.Value;
            if (st.IsWhiteout)
            {
                var slash = rel.LastIndexOf('/');
                var wh = slash < 0 ? ".wh." + rel : rel[..(slash + 1)] + ".wh." + rel[(slash + 1)..];
                await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, wh) { Mode = 0, ModificationTime = File.GetLastWriteTimeUtc(full) }, ct);
                continue;
            }
            if (st.Type == FsUtil.S_IFDIR)
            {
                await tar.WriteEntryAsync(full, rel + "/", ct);
                if (FileSystemNative.GetXattr(full, "trusted.overlay.opaque") == "y")
                    await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, rel + "/.wh..wh..opq") { Mode = 0, ModificationTime = File.GetLastWriteTimeUtc(full) }, ct);
                continue;
            }
            await tar.WriteEntryAsync(full, rel, ct);
        }
    }
}
