using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Troupe.Runtime.Images;

namespace Troupe.Runtime.Build;

/// <summary>
/// INTERNAL API. The layer cache: one small JSON file per cache key under <c>workRoot/cache-index/</c>, naming the
/// layer the step produced (blob digest, size, media type, diff ID) or <c>{"empty":true}</c> when it changed no file.
/// Files are written to a temp name and renamed, so concurrent builds see a whole entry or none.
/// </summary>
internal sealed class BuildCache(string folder)
{
    public sealed record Entry(BuiltLayer? Layer);

    public static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    string PathOf(string key) => Path.Combine(folder, key + ".json");

    public Entry? TryGet(string key)
    {
        try
        {
            var n = JsonNode.Parse(File.ReadAllBytes(PathOf(key)));
            if (n is null) return null;
            if ((bool?)n["empty"] == true) return new Entry(null);
            var d = new OciDescriptor((string)n["mediaType"]!, (string)n["digest"]!, (long)n["size"]!);
            return new Entry(new BuiltLayer(d, (string)n["diffId"]!));
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            return null;
        }
    }

    public void Put(string key, Entry entry)
    {
        Directory.CreateDirectory(folder);
        var n = entry.Layer is { } l
            ? new JsonObject { ["digest"] = l.Descriptor.Digest, ["size"] = l.Descriptor.Size, ["mediaType"] = l.Descriptor.MediaType, ["diffId"] = l.DiffId }
            : new JsonObject { ["empty"] = true };
        var temp = PathOf(key) + ".tmp-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(temp, n.ToJsonString());
        File.Move(temp, PathOf(key), overwrite: true);
    }

    /// <summary>
    /// The image config an earlier build with the same <paramref name="key"/> (final config, layers and history
    /// without times) wrote, so an unchanged rebuild gives the same image ID, as docker's does; else
    /// <paramref name="make"/>'s, remembered for next time.
    /// </summary>
    public byte[] FinalConfig(string key, bool reuse, Func<byte[]> make)
    {
        var path = Path.Combine(folder, "final-" + Hash(key) + ".json");
        if (reuse)
        {
            try { return File.ReadAllBytes(path); }
            catch (IOException) { }
        }
        var config = make();
        Directory.CreateDirectory(folder);
        var temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        File.WriteAllBytes(temp, config);
        File.Move(temp, path, overwrite: true);
        return config;
    }
}
