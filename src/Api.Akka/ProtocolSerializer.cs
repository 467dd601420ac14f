using Akka.Actor;
using Akka.Serialization;
using Troupe.Api.Protocol;

namespace Troupe.Api.Akka;

/// <summary>
/// The Akka serializer of the public protocol (<see cref="ITroupeMessage"/>): the same source-generated JSON the HTTP
/// API speaks, the <c>$type</c> discriminator inside the payload, so no manifest is written. Nodes bind it in
/// cluster.hocon and ClusterClient callers in their own HOCON (samples/ClusterClientSample); both sides must agree on
/// <see cref="Id"/>, never change it.
/// </summary>
public sealed class ProtocolSerializer(ExtendedActorSystem system) : Serializer(system)
{
    /// <summary>The serializer id on the wire (Akka sends it with every message).</summary>
    public const int Id = 7701;

    public override int Identifier => Id;
    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj) => obj is ITroupeMessage m
        ? ProtocolJson.SerializeToUtf8(m)
        : throw new ArgumentException($"{obj.GetType()} is not a protocol message");

    public override object FromBinary(byte[] bytes, Type? type) => ProtocolJson.Deserialize(bytes);
}
