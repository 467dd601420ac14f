using System.Text.Json;
using System.Text.Json.Serialization;
using Troupe.Api.Objects;

namespace Troupe.Api.Protocol;

/// <summary>
/// Source-generated JSON (trimming and Native AOT safe) for the protocol and the API objects: camelCase
/// Kubernetes field names, nulls left out.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(ITroupeMessage))]
[JsonSerializable(typeof(KubeObject))]
[JsonSerializable(typeof(KubeList))]
[JsonSerializable(typeof(PodSpec))]
[JsonSerializable(typeof(PodTemplateSpec))]
[JsonSerializable(typeof(DeploymentSpec))]
public sealed partial class ProtocolJsonContext : JsonSerializerContext;

/// <summary><c>{"apiVersion":"v1","kind":"List","items":[...]}</c> as kubectl prints a list.</summary>
public sealed record KubeList(System.Collections.Immutable.ImmutableArray<KubeObject> Items)
{
    public string ApiVersion => "v1";
    public string Kind => "List";
}

/// <summary>Serialise and parse protocol messages and objects.</summary>
public static class ProtocolJson
{
    public static JsonSerializerOptions Options => ProtocolJsonContext.Default.Options;

    public static string Serialize(ITroupeMessage m) => JsonSerializer.Serialize(m, ProtocolJsonContext.Default.ITroupeMessage);
    public static byte[] SerializeToUtf8(ITroupeMessage m) => JsonSerializer.SerializeToUtf8Bytes(m, ProtocolJsonContext.Default.ITroupeMessage);
    public static ITroupeMessage Deserialize(ReadOnlySpan<byte> utf8) =>
        JsonSerializer.Deserialize(utf8, ProtocolJsonContext.Default.ITroupeMessage) ?? throw new JsonException("empty message");
    public static ITroupeMessage Deserialize(string json) =>
        JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.ITroupeMessage) ?? throw new JsonException("empty message");
    public static string Serialize(KubeObject o) => JsonSerializer.Serialize(o, ProtocolJsonContext.Default.KubeObject);
    public static KubeObject DeserializeObject(string json) =>
        JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.KubeObject) ?? throw new JsonException("empty object");
}
