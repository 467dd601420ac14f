using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Troupe.Actors.Deployments;
using Troupe.Actors.Pods;
using Troupe.Actors.Services;

namespace Troupe.Actors.Serialization;

/// <summary>The stable manifest of every internal message and persisted event, and its JSON type info.</summary>
public static class InternalTypes
{
    static readonly (Type Type, string Manifest, JsonTypeInfo Info)[] Table =
    [
        (typeof(DeploymentApplied), "DeploymentApplied.v1", InternalJsonContext.Default.DeploymentApplied),
        (typeof(DeploymentScaled), "DeploymentScaled.v1", InternalJsonContext.Default.DeploymentScaled),
        (typeof(DeploymentDeleted), "DeploymentDeleted.v1", InternalJsonContext.Default.DeploymentDeleted),
        (typeof(PodCreated), "PodCreated.v1", InternalJsonContext.Default.PodCreated),
        (typeof(PodDeleted), "PodDeleted.v1", InternalJsonContext.Default.PodDeleted),
        (typeof(RevisionsPruned), "RevisionsPruned.v1", InternalJsonContext.Default.RevisionsPruned),
        (typeof(EpochAdvanced), "EpochAdvanced.v1", InternalJsonContext.Default.EpochAdvanced),
        (typeof(ApplyDeployment), "ApplyDeployment", InternalJsonContext.Default.ApplyDeployment),
        (typeof(ScaleDeploymentTo), "ScaleDeploymentTo", InternalJsonContext.Default.ScaleDeploymentTo),
        (typeof(DeleteDeployment), "DeleteDeployment", InternalJsonContext.Default.DeleteDeployment),
        (typeof(BarePodCreated), "BarePodCreated.v1", InternalJsonContext.Default.BarePodCreated),
        (typeof(BarePodDeleted), "BarePodDeleted.v1", InternalJsonContext.Default.BarePodDeleted),
        (typeof(BarePodEpochAdvanced), "BarePodEpochAdvanced.v1", InternalJsonContext.Default.BarePodEpochAdvanced),
        (typeof(CreateBarePod), "CreateBarePod", InternalJsonContext.Default.CreateBarePod),
        (typeof(BarePodAccepted), "BarePodAccepted", InternalJsonContext.Default.BarePodAccepted),
        (typeof(DeleteBarePod), "DeleteBarePod", InternalJsonContext.Default.DeleteBarePod),
        (typeof(ServiceApplied), "ServiceApplied.v1", InternalJsonContext.Default.ServiceApplied),
        (typeof(ServiceDeleted), "ServiceDeleted.v1", InternalJsonContext.Default.ServiceDeleted),
        (typeof(ApplyService), "ApplyService", InternalJsonContext.Default.ApplyService),
        (typeof(DeleteService), "DeleteService", InternalJsonContext.Default.DeleteService),
        (typeof(Troupe.Actors.Objects.ObjectStored), "ObjectStored.v1", InternalJsonContext.Default.ObjectStored),
        (typeof(Troupe.Actors.Objects.ObjectRemoved), "ObjectRemoved.v1", InternalJsonContext.Default.ObjectRemoved),
        (typeof(Troupe.Actors.Objects.ApplyStoredObject), "ApplyStoredObject", InternalJsonContext.Default.ApplyStoredObject),
        (typeof(Troupe.Actors.Objects.DeleteStoredObject), "DeleteStoredObject", InternalJsonContext.Default.DeleteStoredObject),
    ];

    static readonly Dictionary<Type, string> ByType = Table.ToDictionary(t => t.Type, t => t.Manifest);
    static readonly Dictionary<string, JsonTypeInfo> ByManifest = Table.ToDictionary(t => t.Manifest, t => t.Info);

    public static string ManifestOf(Type t) =>
        ByType.TryGetValue(t, out var m) ? m : throw new ArgumentException($"{t} has no serializer manifest (add it to InternalTypes)");

    public static JsonTypeInfo InfoOf(string manifest) =>
        ByManifest.TryGetValue(manifest, out var i) ? i : throw new ArgumentException($"unknown manifest {manifest}");
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
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
internal sealed partial class InternalJsonContext : JsonSerializerContext;
