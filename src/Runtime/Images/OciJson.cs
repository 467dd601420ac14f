using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Troupe.Runtime.Images;

/// <summary>OCI and Docker media types the store reads and writes.</summary>
public static class MediaTypes
{
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string OciLayer = "application/vnd.oci.image.layer.v1.tar";
    public const string OciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public const string DockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

    /// <summary>True for an image manifest (OCI or Docker schema 2).</summary>
    public static bool IsManifest(string? t) => t is OciManifest or DockerManifest;

    /// <summary>True for an index of manifests (OCI index or Docker manifest list).</summary>
    public static bool IsIndex(string? t) => t is OciIndex or DockerManifestList;

    /// <summary>True for a layer type the store can unpack (gzip or plain tar).</summary>
    public static bool IsLayer(string? t) => t is OciLayerGzip or OciLayer or DockerLayerGzip or DockerForeignLayerGzip
        or "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip" or "application/vnd.oci.image.layer.nondistributable.v1.tar";
}

/// <summary>Reading and writing the JSON documents of an OCI image layout.</summary>
internal static class OciJson
{
    public const string RefNameAnnotation = "org.opencontainers.image.ref.name";
    public const string ContainerdNameAnnotation = "io.containerd.image.name";

    /// <summary>A parsed image manifest.</summary>
    public sealed record Manifest(string MediaType, OciDescriptor Config, ImmutableArray<OciDescriptor> Layers);

    /// <summary>One entry of an index: a manifest (or nested index) descriptor with its annotations and platform.</summary>
    public sealed record IndexEntry(OciDescriptor Descriptor, ImmutableDictionary<string, string> Annotations, string? Os, string? Architecture);

    static JsonNode ParseNode(byte[] json, string what)
    {
        try { return JsonNode.Parse(json) ?? throw new InvalidDataException($"{what} is JSON null"); }
        catch (JsonException e) { throw new InvalidDataException($"{what} is not valid JSON: {e.Message}", e); }
    }

    public static OciDescriptor Descriptor(JsonNode? node, string what)
    {
        if (node is not JsonObject o) throw new InvalidDataException($"{what}: descriptor missing");
        var digest = (string?)o["digest"] ?? throw new InvalidDataException($"{what}: descriptor without digest");
        if (!ContentStore.IsDigest(digest)) throw new InvalidDataException($"{what}: unsupported digest \"{digest}\"");
        var size = o["size"] is JsonValue v && v.TryGetValue<long>(out var s) ? s : throw new InvalidDataException($"{what}: descriptor {digest} without size");
        return new OciDescriptor((string?)o["mediaType"] ?? "", digest, size);
    }

    public static string? MediaTypeOf(byte[] json)
    {
        try { return (string?)JsonNode.Parse(json)?["mediaType"]; }
        catch (JsonException) { return null; }
        catch (InvalidOperationException) { return null; }
    }

    public static Manifest ParseManifest(byte[] json, string digest)
    {
        var what = $"manifest {digest}";
        var n = ParseNode(json, what);
        var mediaType = (string?)n["mediaType"] ?? MediaTypes.OciManifest;
        if (!MediaTypes.IsManifest(mediaType)) throw new InvalidDataException($"{what}: unsupported media type \"{mediaType}\"");
        var config = Descriptor(n["config"], what + " config");
        var layers = (n["layers"] as JsonArray ?? []).Select((l, i) => Descriptor(l, $"{what} layer {i}")).ToImmutableArray();
        return new Manifest(mediaType, config, layers);
    }

    public static ImmutableArray<IndexEntry> ParseIndex(byte[] json, string what)
    {
        var n = ParseNode(json, what);
        if (n["manifests"] is not JsonArray manifests) throw new InvalidDataException($"{what}: no \"manifests\" array");
        return manifests.Select((m, i) =>
        {
            var d = Descriptor(m, $"{what} manifests[{i}]");
            var ann = (m!["annotations"] as JsonObject ?? [])
                .Where(kv => kv.Value is JsonValue)
                .ToImmutableDictionary(kv => kv.Key, kv => kv.Value!.ToString());
            return new IndexEntry(d, ann, (string?)m["platform"]?["os"], (string?)m["platform"]?["architecture"]);
        }).ToImmutableArray();
    }

    public static byte[] WriteIndex(IEnumerable<IndexEntry> entries)
    {
        var arr = new JsonArray();
        foreach (var e in entries)
        {
            var o = DescriptorNode(e.Descriptor);
            if (e.Annotations.Count > 0)
            {
                var a = new JsonObject();
                foreach (var kv in e.Annotations.OrderBy(kv => kv.Key, StringComparer.Ordinal)) a[kv.Key] = kv.Value;
                o["annotations"] = a;
            }
            arr.Add(o);
        }
        return Bytes(new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = MediaTypes.OciIndex, ["manifests"] = arr });
    }

    public static JsonObject DescriptorNode(OciDescriptor d) =>
        new() { ["mediaType"] = d.MediaType, ["digest"] = d.Digest, ["size"] = d.Size };

    public static byte[] WriteManifest(OciDescriptor config, IEnumerable<OciDescriptor> layers) =>
        Bytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["config"] = DescriptorNode(config),
            ["layers"] = new JsonArray(layers.Select(l => (JsonNode)DescriptorNode(l)).ToArray()),
        });

    /// <summary>The parts of an image config the store uses.</summary>
    public sealed record Config(ImageConfig Settings, DateTimeOffset Created, ImmutableArray<string> DiffIds, string Architecture, string Os);

    public static Config ParseConfig(byte[] json, string digest)
    {
        var what = $"image config {digest}";
        var n = ParseNode(json, what);
        var created = DateTimeOffset.UnixEpoch;
        if ((string?)n["created"] is { } c && DateTimeOffset.TryParse(c, null, System.Globalization.DateTimeStyles.RoundtripKind, out var t)) created = t;
        var diffIds = (n["rootfs"]?["diff_ids"] as JsonArray ?? []).Select(d => (string?)d ?? "").ToImmutableArray();
        if (diffIds.Any(d => !ContentStore.IsDigest(d))) throw new InvalidDataException($"{what}: rootfs.diff_ids holds an unsupported digest");
        var cfg = n["config"] as JsonObject;
        var settings = cfg is null ? ImageConfig.Empty : new ImageConfig(
            Strings(cfg["Env"]), Strings(cfg["Entrypoint"]), Strings(cfg["Cmd"]),
            (string?)cfg["WorkingDir"], (string?)cfg["User"], (string?)cfg["StopSignal"],
            Keys(cfg["ExposedPorts"]),
            (cfg["Labels"] as JsonObject ?? []).Where(kv => kv.Value is JsonValue)
                .ToImmutableSortedDictionary(kv => kv.Key, kv => kv.Value!.ToString(), StringComparer.Ordinal),
            Keys(cfg["Volumes"]));
        return new Config(settings, created, diffIds, (string?)n["architecture"] ?? "", (string?)n["os"] ?? "");
    }

    static ImmutableArray<string> Strings(JsonNode? n) =>
        n is JsonArray a ? a.Select(x => x?.ToString() ?? "").ToImmutableArray() : [];

    static ImmutableArray<string> Keys(JsonNode? n) =>
        n is JsonObject o ? o.Select(kv => kv.Key).Order(StringComparer.Ordinal).ToImmutableArray() : [];

    /// <summary>An image config JSON for an image the store makes itself (busybox, import).</summary>
    public static byte[] WriteConfig(ImageConfig c, DateTimeOffset created, IEnumerable<string> diffIds, string createdBy)
    {
        var config = new JsonObject();
        if (c.Env.Length > 0) config["Env"] = new JsonArray(c.Env.Select(e => (JsonNode)e).ToArray());
        if (c.Entrypoint.Length > 0) config["Entrypoint"] = new JsonArray(c.Entrypoint.Select(e => (JsonNode)e).ToArray());
        if (c.Cmd.Length > 0) config["Cmd"] = new JsonArray(c.Cmd.Select(e => (JsonNode)e).ToArray());
        if (c.WorkingDir is not null) config["WorkingDir"] = c.WorkingDir;
        if (c.User is not null) config["User"] = c.User;
        if (c.StopSignal is not null) config["StopSignal"] = c.StopSignal;
        var stamp = created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        return Bytes(new JsonObject
        {
            ["created"] = stamp,
            ["architecture"] = GoArchitecture,
            ["os"] = "linux",
            ["config"] = config,
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(diffIds.Select(d => (JsonNode)d).ToArray()) },
            ["history"] = new JsonArray(new JsonObject { ["created"] = stamp, ["created_by"] = createdBy }),
        });
    }

    /// <summary>This machine's architecture as Go and OCI name it.</summary>
    public static string GoArchitecture => System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "amd64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        System.Runtime.InteropServices.Architecture.Arm => "arm",
        System.Runtime.InteropServices.Architecture.X86 => "386",
        var a => a.ToString().ToLowerInvariant(),
    };

    public static byte[] Bytes(JsonNode n) => Encoding.UTF8.GetBytes(n.ToJsonString());
}
