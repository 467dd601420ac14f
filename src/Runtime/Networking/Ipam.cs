using System.Net;

namespace Troupe.Runtime.Networking;

/// <summary>
/// Address management for one node's pod CIDR, persisted at <c>$TROUPE_HOME/network/ipam.json</c>. Every operation
/// takes an exclusive lock on <c>ipam.lock</c> (a <see cref="FileStream"/> opened with <see cref="FileShare.None"/>,
/// which is <c>flock</c> on Linux; retried for up to 10 s), reads the store, changes it and writes it back to a
/// temporary file renamed over the old one, so a crash never leaves a half-written store. Safe across threads and
/// processes sharing the home.
/// </summary>
public sealed class Ipam
{
    private readonly string _dir;
    private readonly SemaphoreSlim _local = new(1, 1);

    /// <summary>The network addresses come from.</summary>
    public Cidr Cidr { get; }
    /// <summary>The bridge's address (<c>.1</c>).</summary>
    public IPAddress Gateway => Cidr.Gateway;
    /// <summary>The store's path.</summary>
    public string StorePath => Path.Combine(_dir, "ipam.json");

    /// <summary>The store of the node whose home is <paramref name="home"/>.</summary>
    public Ipam(string home, Cidr cidr)
    {
        _dir = Path.Combine(home, "network");
        Cidr = cidr;
    }

    /// <summary>The address of <paramref name="uid"/>: the one it holds, else a new one.</summary>
    public Task<IPAddress> AllocateAsync(string uid, CancellationToken ct = default) =>
        UpdateAsync(s => s.Allocate(uid), ct);

    /// <summary>Release the address of <paramref name="uid"/>; false when it held none. Idempotent.</summary>
    public Task<bool> ReleaseAsync(string uid, CancellationToken ct = default) =>
        UpdateAsync(s => s.Release(uid), ct);

    /// <summary>Release the addresses of pods not in <paramref name="liveUids"/> (crash recovery); returns their UIDs.</summary>
    public Task<IReadOnlyList<string>> ReconcileAsync(IEnumerable<string> liveUids, CancellationToken ct = default) =>
        UpdateAsync(s => s.Reconcile(liveUids), ct);

    /// <summary>
    /// Writes the store when there is none yet (or it names another CIDR and holds no allocation), so the home keeps
    /// this CIDR from now on (<see cref="PodCidr.Stored"/>).
    /// </summary>
    public Task RememberAsync(CancellationToken ct = default) => UpdateAsync(_ => 0, ct);

    /// <summary>Every allocation: pod UID → address.</summary>
    public Task<IReadOnlyDictionary<string, IPAddress>> ListAsync(CancellationToken ct = default) =>
        UpdateAsync(s => s.Allocations, ct, write: false);

    private async Task<T> UpdateAsync<T>(Func<IpamState, T> change, CancellationToken ct, bool write = true)
    {
        await _local.WaitAsync(ct);
        try
        {
            Directory.CreateDirectory(_dir);
            using var lockFile = await LockAsync(ct);
            var state = File.Exists(StorePath)
                ? IpamState.FromJson(await File.ReadAllTextAsync(StorePath, ct), Cidr, StorePath)
                : new IpamState(Cidr);
            var before = write ? state.ToJson() : null;
            var result = change(state);
            if (write)
            {
                var after = state.ToJson();
                if (after != before || !File.Exists(StorePath))
                {
                    var tmp = StorePath + ".tmp";
                    await using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
                    {
                        await f.WriteAsync(System.Text.Encoding.UTF8.GetBytes(after), ct);
                        f.Flush(flushToDisk: true);
                    }
                    File.Move(tmp, StorePath, overwrite: true);
                }
            }
            return result;
        }
        finally { _local.Release(); }
    }

    private async Task<FileStream> LockAsync(CancellationToken ct)
    {
        var path = Path.Combine(_dir, "ipam.lock");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTime.UtcNow < deadline) { await Task.Delay(10, ct); }
            catch (IOException e) { throw new IOException($"{path} stayed locked for 10 s (another process holds it)", e); }
        }
    }
}
