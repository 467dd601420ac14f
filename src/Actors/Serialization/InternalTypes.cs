using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Troupe.Actors.Catalog;
using Troupe.Actors.Nodes;
using Troupe.Actors.Scheduling;
using System.Text.Json.Serialization.Metadata;
using Troupe.Actors.Deployments;
using Troupe.Actors.Pods;
using Troupe.Actors.Services;

namespace Troupe.Actors.Serialization;

/// <summary>The stable manifest of every internal message and persisted event, and its JSON type info.</summary>
public static class InternalTypes
{
    static readonly (Type Type, string Manifest)[] Table =
    [
        (typeof(DeploymentApplied), "DeploymentApplied.v1"),
        (typeof(DeploymentScaled), "DeploymentScaled.v1"),
        (typeof(DeploymentDeleted), "DeploymentDeleted.v1"),
        (typeof(PodCreated), "PodCreated.v1"),
        (typeof(PodDeleted), "PodDeleted.v1"),
        (typeof(RevisionsPruned), "RevisionsPruned.v1"),
        (typeof(EpochAdvanced), "EpochAdvanced.v1"),
        (typeof(ApplyDeployment), "ApplyDeployment"),
        (typeof(ScaleDeploymentTo), "ScaleDeploymentTo"),
        (typeof(DeleteDeployment), "DeleteDeployment"),
        (typeof(BarePodCreated), "BarePodCreated.v1"),
        (typeof(BarePodDeleted), "BarePodDeleted.v1"),
        (typeof(BarePodEpochAdvanced), "BarePodEpochAdvanced.v1"),
        (typeof(CreateBarePod), "CreateBarePod"),
        (typeof(BarePodAccepted), "BarePodAccepted"),
        (typeof(DeleteBarePod), "DeleteBarePod"),
        (typeof(ServiceApplied), "ServiceApplied.v1"),
        (typeof(ServiceDeleted), "ServiceDeleted.v1"),
        (typeof(ApplyService), "ApplyService"),
        (typeof(DeleteService), "DeleteService"),
        (typeof(Troupe.Actors.Objects.ObjectStored), "ObjectStored.v1"),
        (typeof(Troupe.Actors.Objects.ObjectRemoved), "ObjectRemoved.v1"),
        (typeof(Troupe.Actors.Objects.ApplyStoredObject), "ApplyStoredObject"),
        (typeof(Troupe.Actors.Objects.DeleteStoredObject), "DeleteStoredObject"),
        (typeof(PodBound), "PodBound.v1"),
        // between members (node agents, the Scheduler, the Catalogs)
        (typeof(StartPod), "StartPod"),
        (typeof(PodAccepted), "PodAccepted"),
        (typeof(PodRejected), "PodRejected"),
        (typeof(PodStatusChanged), "PodStatusChanged"),
        (typeof(StopPod), "StopPod"),
        (typeof(PodStopped), "PodStopped"),
        (typeof(HaltPod), "HaltPod"),
        (typeof(PodHalted), "PodHalted"),
        (typeof(GetPodLog), "GetPodLog"),
        (typeof(DescribeNode), "DescribeNode"),
        (typeof(NodeDescribed), "NodeDescribed"),
        (typeof(NodeHeartbeat), "NodeHeartbeat"),
        (typeof(SchedulePods), "SchedulePods"),
        (typeof(PodsScheduled), "PodsScheduled"),
        (typeof(CatalogReplica), "CatalogReplica"),
        (typeof(CatalogHello), "CatalogHello"),
        (typeof(CatalogSnapshot), "CatalogSnapshot"),
        // a seed to a node that dialled it under another cluster name
        (typeof(Troupe.Actors.Hosting.ClusterNameMismatch), "ClusterNameMismatch"),
    ];

    static readonly Dictionary<Type, string> ByType = Table.ToDictionary(t => t.Type, t => t.Manifest);
    static readonly Dictionary<string, Type> ByManifest = Table.ToDictionary(t => t.Manifest, t => t.Type);

    public static string ManifestOf(Type t) =>
        ByType.TryGetValue(t, out var m) ? m : throw new ArgumentException($"{t} has no serializer manifest (add it to InternalTypes)");

    public static Type TypeOf(string manifest) =>
        ByManifest.TryGetValue(manifest, out var t) ? t : throw new ArgumentException($"unknown manifest {manifest}");

    /// <summary>
    /// The JSON context of one actor system: actor references (<see cref="IActorRef"/> fields) are written as their
    /// full path and resolved by that system's provider.
    /// </summary>
    public static JsonSerializerContext ContextFor(ExtendedActorSystem system)
    {
        var options = new JsonSerializerOptions(InternalJsonContext.Default.Options) { TypeInfoResolver = null };
        options.Converters.Add(new ActorRefJsonConverter(system));
        return new InternalJsonContext(options);
    }
}

/// <summary>An <see cref="IActorRef"/> as its serialized path (with the address other members reach it at).</summary>
public sealed class ActorRefJsonConverter(ExtendedActorSystem system) : JsonConverter<IActorRef>
{
    public override IActorRef Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetString() is { Length: > 0 } path ? system.Provider.ResolveActorRef(path) : ActorRefs.Nobody;

    public override void Write(Utf8JsonWriter writer, IActorRef value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.IsNobody() ? "" : Akka.Serialization.Serialization.SerializedActorPath(value));
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(DeploymentApplied))]
[JsonSerializable(typeof(DeploymentScaled))]
[JsonSerializable(typeof(DeploymentDeleted))]
[JsonSerializable(typeof(PodCreated))]
[JsonSerializable(typeof(PodDeleted))]
[JsonSerializable(typeof(RevisionsPruned))]
[JsonSerializable(typeof(Troupe.Actors.Objects.ObjectStored))]
[JsonSerializable(typeof(Troupe.Actors.Objects.ObjectRemoved))]
[JsonSerializable(typeof(Troupe.Actors.Objects.ApplyStoredObject))]
[JsonSerializable(typeof(Troupe.Actors.Objects.DeleteStoredObject))]
[JsonSerializable(typeof(EpochAdvanced))]
[JsonSerializable(typeof(ApplyDeployment))]
[JsonSerializable(typeof(ScaleDeploymentTo))]
[JsonSerializable(typeof(DeleteDeployment))]
[JsonSerializable(typeof(BarePodCreated))]
[JsonSerializable(typeof(BarePodDeleted))]
[JsonSerializable(typeof(BarePodEpochAdvanced))]
[JsonSerializable(typeof(CreateBarePod))]
[JsonSerializable(typeof(BarePodAccepted))]
[JsonSerializable(typeof(DeleteBarePod))]
[JsonSerializable(typeof(ServiceApplied))]
[JsonSerializable(typeof(ServiceDeleted))]
[JsonSerializable(typeof(ApplyService))]
[JsonSerializable(typeof(DeleteService))]
[JsonSerializable(typeof(PodBound))]
[JsonSerializable(typeof(StartPod))]
[JsonSerializable(typeof(PodAccepted))]
[JsonSerializable(typeof(PodRejected))]
[JsonSerializable(typeof(PodStatusChanged))]
[JsonSerializable(typeof(StopPod))]
[JsonSerializable(typeof(PodStopped))]
[JsonSerializable(typeof(HaltPod))]
[JsonSerializable(typeof(PodHalted))]
[JsonSerializable(typeof(GetPodLog))]
[JsonSerializable(typeof(DescribeNode))]
[JsonSerializable(typeof(NodeDescribed))]
[JsonSerializable(typeof(NodeHeartbeat))]
[JsonSerializable(typeof(SchedulePods))]
[JsonSerializable(typeof(PodsScheduled))]
[JsonSerializable(typeof(CatalogReplica))]
[JsonSerializable(typeof(CatalogHello))]
[JsonSerializable(typeof(CatalogSnapshot))]
[JsonSerializable(typeof(Troupe.Actors.Hosting.ClusterNameMismatch))]
internal sealed partial class InternalJsonContext : JsonSerializerContext;
