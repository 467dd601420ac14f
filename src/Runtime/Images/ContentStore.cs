using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Troupe.Runtime.Images;

/// <summary>
/// The content-addressed blobs of an OCI image layout, <c>blobs/sha256/&lt;hex&gt;</c>. A blob is first staged:
/// written to a temp file under <c>tmp/</c> while its digest is computed, and fsynced; committing renames it into
/// place, so a blob on disk is always complete and its name is its digest. Blobs are immutable; committing a digest
/// that is already there just drops the staged copy. Callers commit under <see cref="ImageStore"/>'s index lock, so
/// garbage collection never deletes a blob between its commit and the index update that refers to it.
/// </summary>
internal sealed partial class ContentStore
{
    readonly string _blobs;
    readonly string _temp;

    public ContentStore(string root, string temp)
    {
        _blobs = Path.Combine(root, "blobs", "sha256");
        _temp = temp;
        Directory.CreateDirectory(_blobs);
        Directory.CreateDirectory(_temp);
    }

    public static bool IsDigest(string? digest) => digest is not null && DigestRegex().IsMatch(digest);

    [GeneratedRegex("^sha256:[a-f0-9]{64}$")]
    private static partial Regex DigestRegex();

    public string PathOf(string digest) =>
        IsDigest(digest) ? Path.Combine(_blobs, digest[7..]) : throw new FormatException($"unsupported digest \"{digest}\"");

    public bool Exists(string digest) => File.Exists(PathOf(digest));

    public long SizeOf(string digest) => new FileInfo(PathOf(digest)).Length;

    /// <summary>Open a blob; <see cref="FileNotFoundException"/> when it is absent.</summary>
    public Stream OpenRead(string digest) =>
        new FileStream(PathOf(digest), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);

    /// <summary>Read a small blob (manifest, config) and check its digest; <see cref="InvalidDataException"/> when it does not match.</summary>
    public async Task<byte[]> ReadAllAsync(string digest, CancellationToken ct)
    {
        byte[] bytes;
        try { bytes = await File.ReadAllBytesAsync(PathOf(digest), ct); }
        catch (FileNotFoundException) { throw new InvalidDataException($"blob {digest} is missing from the image store"); }
        if (DigestOf(bytes) != digest) throw new InvalidDataException($"blob {digest} is corrupt: its content has digest {DigestOf(bytes)}");
        return bytes;
    }

    public IEnumerable<string> List() =>
        Directory.EnumerateFiles(_blobs).Select(Path.GetFileName).Where(n => n!.Length == 64).Select(n => "sha256:" + n);

    public void Delete(string digest) => File.Delete(PathOf(digest));

    public static string DigestOf(ReadOnlySpan<byte> bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>A temp path in the store's temp folder (same file system as the blobs, so rename is atomic).</summary>
    public string TempPath(string what) => Path.Combine(_temp, $"{what}-{Guid.NewGuid():N}");

    /// <summary>Stage bytes as a blob.</summary>
    public Task<StagedBlob> StageAsync(byte[] bytes, CancellationToken ct) =>
        StageAsync(async s => await s.WriteAsync(bytes, ct), null, ct);

    /// <summary>Stage a blob copied from <paramref name="source"/>; when <paramref name="expected"/> is given the digest must match.</summary>
    public Task<StagedBlob> StageAsync(Stream source, string? expected, CancellationToken ct) =>
        StageAsync(s => source.CopyToAsync(s, ct), expected, ct);

    /// <summary>
    /// Stage a blob that <paramref name="write"/> writes. Throws <see cref="InvalidDataException"/> when
    /// <paramref name="expected"/> is given and the content's digest differs; nothing is left behind on failure.
    /// </summary>
    public async Task<StagedBlob> StageAsync(Func<Stream, Task> write, string? expected, CancellationToken ct)
    {
        var path = TempPath("blob");
        try
        {
            string digest;
            long size;
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                using var hashing = new HashingStream(file, leaveOpen: true);
                await write(hashing);
                await hashing.FlushAsync(ct);
                digest = hashing.Digest;
                size = hashing.Length;
                file.Flush(flushToDisk: true);
            }
            if (expected is not null && expected != digest)
                throw new InvalidDataException($"blob {expected} is corrupt: its content has digest {digest}");
            return new StagedBlob(digest, size, path);
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    /// <summary>Move a staged blob into place (idempotent). Call under the index lock.</summary>
    public void Commit(StagedBlob blob)
    {
        var target = PathOf(blob.Digest);
        if (File.Exists(target)) File.Delete(blob.TempPath);
        else File.Move(blob.TempPath, target, overwrite: true);
    }
}

/// <summary>A blob written and fsynced in the temp folder, not yet in <c>blobs/</c>. Dispose drops it if uncommitted.</summary>
internal sealed record StagedBlob(string Digest, long Size, string TempPath) : IDisposable
{
    public void Dispose()
    {
        try { File.Delete(TempPath); } catch (IOException) { }
    }
}

/// <summary>A pass-through stream that hashes (SHA-256) and counts what is read from or written to it.</summary>
internal sealed class HashingStream(Stream inner, bool leaveOpen) : Stream
{
    readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    long _length;
    string? _digest;

    /// <summary>The digest of everything passed so far; finishes the hash.</summary>
    public string Digest => _digest ??= "sha256:" + Convert.ToHexStringLower(_hash.GetHashAndReset());

    public override long Length => _length;
    public override bool CanRead => inner.CanRead;
    public override bool CanWrite => inner.CanWrite;
    public override bool CanSeek => false;
    public override long Position { get => _length; set => throw new NotSupportedException(); }
    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken ct) => inner.FlushAsync(ct);
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        _hash.AppendData(buffer[..n]);
        _length += n;
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        var n = await inner.ReadAsync(buffer, ct);
        _hash.AppendData(buffer.Span[..n]);
        _length += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _hash.AppendData(buffer);
        _length += buffer.Length;
        inner.Write(buffer);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
    {
        _hash.AppendData(buffer.Span);
        _length += buffer.Length;
        await inner.WriteAsync(buffer, ct);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();

    /// <summary>Read to the end so the digest covers the whole stream.</summary>
    public async Task DrainAsync(CancellationToken ct)
    {
        var buffer = new byte[1 << 16];
        while (await ReadAsync(buffer, ct) > 0) { }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            if (!leaveOpen) inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
