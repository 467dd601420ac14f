using System.ComponentModel;
using System.Formats.Tar;
using System.IO.Compression;
using Troupe.Runtime.Linux;

namespace Troupe.Runtime.Images;

/// <summary>
/// Extracts one layer tarball (gzip or plain) into an empty folder, safely: no entry may leave the folder
/// (absolute names, <c>..</c>, writing through a symlink, hard links to outside), else
/// <see cref="InvalidDataException"/> naming the entry. Keeps modes, owners (as root), times, symlinks, hard links
/// and device nodes (as root). Whiteouts become what overlayfs reads: <c>.wh.name</c> a 0:0 character device
/// <c>name</c>, <c>.wh..wh..opq</c> the <c>trusted.overlay.opaque=y</c> xattr on its directory. Without the
/// privilege for those (not root), the <c>.wh.</c> marker files are kept as empty files instead, for a copy-based
/// root file system to interpret. Returns the digest of the uncompressed tar (the layer's diff ID).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class LayerUnpacker
{
    readonly string _root;
    readonly string _what;
    readonly bool _isRoot = FileSystemNative.IsRoot;
    readonly HashSet<string> _dirs = [""];
    readonly List<(string Path, UnixFileMode Mode, DateTimeOffset Time)> _dirMetadata = [];
    string _entry = "";

    LayerUnpacker(string root, string what)
    {
        _root = root;
        _what = what;
    }

    /// <summary>Extract <paramref name="layer"/> (a seekable stream at its start) into the empty folder <paramref name="root"/>;
    /// <paramref name="what"/> names the archive in errors (<c>layer sha256:…</c>, <c>rootfs.tar</c>).</summary>
    public static string Extract(Stream layer, string root, string what, CancellationToken ct)
    {
        using var tar = OpenTar(layer, what);
        using var hashing = new HashingStream(tar, leaveOpen: false);
        var unpacker = new LayerUnpacker(root, what);
        try
        {
            using (var reader = new TarReader(hashing, leaveOpen: true))
            {
                while (reader.GetNextEntry() is { } entry)
                {
                    ct.ThrowIfCancellationRequested();
                    unpacker.Apply(entry);
                }
            }
            hashing.DrainAsync(ct).GetAwaiter().GetResult();
        }
        catch (FormatException e) { throw new InvalidDataException($"{what} is not a valid tar archive: {e.Message}", e); }
        catch (EndOfStreamException e) { throw new InvalidDataException($"{what} is truncated: {e.Message}", e); }
        unpacker.Finish();
        return hashing.Digest;
    }

    /// <summary>The uncompressed tar stream of a layer blob: gzip is recognised by its magic bytes, zstd refused.</summary>
    public static Stream OpenTar(Stream blob, string what)
    {
        Span<byte> magic = stackalloc byte[4];
        var n = blob.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        blob.Seek(0, SeekOrigin.Begin);
        if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return new GZipStream(blob, CompressionMode.Decompress, leaveOpen: false);
        if (n >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
            throw new InvalidDataException($"{what} is zstd-compressed, which this image store does not support yet");
        return blob;
    }

    InvalidDataException Bad(string reason) => new($"{_what}: entry \"{_entry}\" {reason}");

    /// <summary>A tar name as a relative path inside the layer, or an exception if it would leave the layer.</summary>
    string Normalise(string name, string role)
    {
        if (name.Contains('\0')) throw Bad($"has a NUL in its {role}");
        if (name.StartsWith('/')) throw Bad($"has an absolute {role} \"{name}\"; entries must stay inside the layer");
        var parts = name.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToArray();
        if (parts.Contains("..")) throw Bad($"has \"..\" in its {role} \"{name}\"; entries must stay inside the layer");
        return string.Join('/', parts);
    }

    enum Kind { None, Directory, File, Symlink }

    static Kind KindOf(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null) return Kind.Symlink;
        if (Directory.Exists(path)) return Kind.Directory;
        return info.Exists ? Kind.File : Kind.None;
    }

    /// <summary>Make sure the relative directory exists as a real directory (no symlink on the way); its full path.</summary>
    string EnsureDirectory(string rel)
    {
        var full = rel.Length == 0 ? _root : Path.Combine(_root, rel);
        if (_dirs.Contains(rel)) return full;
        var slash = rel.LastIndexOf('/');
        EnsureDirectory(slash < 0 ? "" : rel[..slash]);
        switch (KindOf(full))
        {
            case Kind.Symlink: throw Bad($"would be written through the symbolic link \"{rel}\"");
            case Kind.File: throw Bad($"would be written below \"{rel}\", which is not a directory");
            case Kind.None: Directory.CreateDirectory(full, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute); break;
        }
        _dirs.Add(rel);
        return full;
    }

    void RemoveExisting(string full)
    {
        switch (KindOf(full))
        {
            case Kind.Directory:
                Directory.Delete(full, recursive: true);
                _dirs.Clear();
                _dirs.Add("");
                break;
            case Kind.File or Kind.Symlink:
                File.Delete(full);
                break;
        }
    }

    void Apply(TarEntry entry)
    {
        _entry = entry.Name;
        if (entry.EntryType is TarEntryType.GlobalExtendedAttributes) return;
        var rel = Normalise(entry.Name, "name");
        if (rel.Length == 0) return; // "./": the layer root itself
        var slash = rel.LastIndexOf('/');
        var parentRel = slash < 0 ? "" : rel[..slash];
        var name = slash < 0 ? rel : rel[(slash + 1)..];
        var parent = EnsureDirectory(parentRel);
        var full = Path.Combine(parent, name);

        if (name.StartsWith(".wh.", StringComparison.Ordinal))
        {
            Whiteout(parent, name);
            return;
        }

        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                if (KindOf(full) != Kind.Directory)
                {
                    RemoveExisting(full);
                    Directory.CreateDirectory(full);
                }
                _dirs.Add(rel);
                Own(full, entry);
                _dirMetadata.Add((full, entry.Mode, entry.ModificationTime));
                break;

            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                RemoveExisting(full);
                using (var file = new FileStream(full, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                    entry.DataStream?.CopyTo(file);
                Own(full, entry);
                File.SetUnixFileMode(full, entry.Mode);
                FileSystemNative.SetTimes(full, entry.ModificationTime);
                break;

            case TarEntryType.SymbolicLink:
                if (string.IsNullOrEmpty(entry.LinkName)) throw Bad("is a symbolic link without a target");
                RemoveExisting(full);
                File.CreateSymbolicLink(full, entry.LinkName);
                Own(full, entry);
                FileSystemNative.SetTimes(full, entry.ModificationTime);
                break;

            case TarEntryType.HardLink:
                var targetRel = Normalise(entry.LinkName, "hard link target");
                if (targetRel.Length == 0) throw Bad("is a hard link to the layer root");
                var targetSlash = targetRel.LastIndexOf('/');
                var target = Path.Combine(EnsureDirectory(targetSlash < 0 ? "" : targetRel[..targetSlash]), targetRel[(targetSlash + 1)..]);
                var kind = KindOf(target);
                if (kind == Kind.None) throw Bad($"is a hard link to \"{entry.LinkName}\", which is not in the layer (before it)");
                if (kind == Kind.Directory) throw Bad($"is a hard link to the directory \"{entry.LinkName}\"");
                if (target == full) break;
                RemoveExisting(full);
                FileSystemNative.HardLink(target, full);
                break;

            case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                RemoveExisting(full);
                var type = entry.EntryType switch
                {
                    TarEntryType.CharacterDevice => FileSystemNative.S_IFCHR,
                    TarEntryType.BlockDevice => FileSystemNative.S_IFBLK,
                    _ => FileSystemNative.S_IFIFO,
                };
                var major = entry is PosixTarEntry p ? p.DeviceMajor : 0;
                var minor = entry is PosixTarEntry q ? q.DeviceMinor : 0;
                try { FileSystemNative.MakeNode(full, type, (uint)entry.Mode, major, minor); }
                catch (Win32Exception e) when (e.NativeErrorCode == FileSystemNative.EPERM && type != FileSystemNative.S_IFIFO)
                {
                    break; // not root: device nodes are skipped, as rootless Docker does
                }
                Own(full, entry);
                File.SetUnixFileMode(full, entry.Mode);
                FileSystemNative.SetTimes(full, entry.ModificationTime);
                break;

            default:
                throw Bad($"has an unsupported tar entry type {entry.EntryType}");
        }
    }

    void Whiteout(string parent, string name)
    {
        if (name == ".wh..wh..opq")
        {
            if (_isRoot)
            {
                try
                {
                    FileSystemNative.SetXattr(parent, "trusted.overlay.opaque", "y");
                    return;
                }
                catch (Win32Exception e) when (e.NativeErrorCode is FileSystemNative.EPERM or FileSystemNative.ENOTSUP) { }
            }
            KeepMarker(Path.Combine(parent, name));
            return;
        }
        if (name.StartsWith(".wh..wh.", StringComparison.Ordinal)) return; // aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs)
        var hidden = name[4..];
        if (hidden is "" or "." or "..") throw Bad("is a whiteout of nothing");
        var full = Path.Combine(parent, hidden);
        RemoveExisting(full);
        if (_isRoot)
        {
            try
            {
                FileSystemNative.MakeNode(full, FileSystemNative.S_IFCHR, 0, 0, 0);
                return;
            }
            catch (Win32Exception e) when (e.NativeErrorCode == FileSystemNative.EPERM) { }
        }
        KeepMarker(Path.Combine(parent, name));
    }

    static void KeepMarker(string path)
    {
        if (KindOf(path) != Kind.None) File.Delete(path);
        File.WriteAllBytes(path, []);
    }

    void Own(string full, TarEntry entry)
    {
        if (_isRoot) FileSystemNative.Chown(full, entry.Uid, entry.Gid);
    }

    /// <summary>Directory modes and times last, since writing their children changed them.</summary>
    void Finish()
    {
        for (var i = _dirMetadata.Count - 1; i >= 0; i--)
        {
            var (path, mode, time) = _dirMetadata[i];
            if (KindOf(path) != Kind.Directory) continue;
            File.SetUnixFileMode(path, mode);
            FileSystemNative.SetTimes(path, time);
        }
    }
}
