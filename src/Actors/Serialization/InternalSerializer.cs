using System.Runtime.Serialization;
using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;

namespace Troupe.Actors.Serialization;

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
