using System.Runtime.Serialization;
using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;
using Troupe.Api.Protocol;

namespace Troupe.Actors.Serialization;

/// <summary>
/// The Akka serializer of the public protocol (<see cref="ITroupeMessage"/>): the same source-generated JSON the HTTP
/// API speaks, the <c>$type</c> discriminator inside the payload, so the manifest is not needed.
/// Bound in cluster.hocon.
/// </summary>
public sealed class ProtocolSerializer(ExtendedActorSystem system) : Serializer(system)
{
    public override int Identifier => 7701;
    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj) => obj is ITroupeMessage m
        ? ProtocolJson.SerializeToUtf8(m)
        : throw new ArgumentException($"{obj.GetType()} is not a protocol message");

    public override object FromBinary(byte[] bytes, Type? type) => ProtocolJson.Deserialize(bytes);
}

/// <summary>
/// INTERNAL API. Marker of the control plane's own messages and persisted events that may cross a process or be
/// written to the journal; bound to <see cref="InternalSerializer"/>.
/// </summary>
public interface IInternalMessage;

/// <summary>
/// Serializer of persisted events and internal commands: System.Text.Json (source generated), with a stable
/// manifest per type (<c>DeploymentApplied.v1</c>). Renaming a type must keep its manifest.
/// </summary>
public sealed class InternalSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    readonly System.Text.Json.Serialization.JsonSerializerContext _json = InternalTypes.ContextFor(system);

    public override int Identifier => 7702;

    public override string Manifest(object o) => InternalTypes.ManifestOf(o.GetType());

    public override byte[] ToBinary(object obj) =>
        JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), _json);

    public override object FromBinary(byte[] bytes, string manifest) =>
        JsonSerializer.Deserialize(bytes, InternalTypes.TypeOf(manifest), _json)
        ?? throw new SerializationException($"empty payload for {manifest}");
}
