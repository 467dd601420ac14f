using Troupe.Actors.Serialization;
using Troupe.Api.Objects;

namespace Troupe.Actors.Deployments;

/// <summary>INTERNAL API. Messages to one Deployment entity; <c>DeploymentId</c> (<c>namespace/name</c>) feeds the shard extractor.</summary>
public interface IWithDeploymentId : IInternalMessage
{
    string DeploymentId { get; }
}

/// <summary>Gateway → Deployment: create or update. Replies <see cref="Troupe.Api.Protocol.CommandAccepted"/> whose
/// message is <c>created</c>, <c>configured</c> or <c>unchanged</c>, or <see cref="Troupe.Api.Protocol.CommandRejected"/>.</summary>
public sealed record ApplyDeployment(string DeploymentId, Deployment Deployment) : IWithDeploymentId;

/// <summary>Gateway → Deployment: set replicas. Replies CommandAccepted("scaled") or CommandRejected (NotFound).</summary>
public sealed record ScaleDeploymentTo(string DeploymentId, int Replicas) : IWithDeploymentId;

/// <summary>Gateway → Deployment: delete it and its pods. Replies CommandAccepted("deleted") or CommandRejected (NotFound).</summary>
public sealed record DeleteDeployment(string DeploymentId) : IWithDeploymentId;

/// <summary>Sharding's hand-off stop message: stop without touching the pods.</summary>
public sealed class StopDeploymentEntity
{
    public static readonly StopDeploymentEntity Instance = new();
    StopDeploymentEntity() { }
}

public static class DeploymentIds
{
    public static string Of(string ns, string name) => $"{ns}/{name}";
    public static (string Namespace, string Name) Split(string id)
    {
        var i = id.IndexOf('/');
        return (id[..i], id[(i + 1)..]);
    }
}
