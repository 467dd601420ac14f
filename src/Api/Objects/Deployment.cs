using System.Collections.Immutable;

namespace Troupe.Api.Objects;

/// <summary><c>apps/v1</c> Deployment.</summary>
public sealed record Deployment : KubeObject
{
    public override string ApiVersion { get; set; } = "apps/v1";
    public DeploymentSpec Spec { get; set; } = new();
    public DeploymentStatus? Status { get; init; }
}

public sealed record DeploymentSpec
{
    public int Replicas { get; set; } = 1;
    public LabelSelector Selector { get; set; } = new();
    public PodTemplateSpec Template { get; set; } = new();
    public DeploymentStrategy Strategy { get; set; } = new();
    public int MinReadySeconds { get; init; }
    public int RevisionHistoryLimit { get; set; } = 10;
    public int ProgressDeadlineSeconds { get; set; } = 600;
    public bool Paused { get; init; }
}

/// <summary>
/// <c>type</c>: RollingUpdate (default) or Recreate. <c>rollingUpdate</c> has no default here: a Recreate strategy
/// has none, and one that arrived without it must not get one on deserialisation (the validator refuses
/// rollingUpdate with Recreate). The manifest reader fills Kubernetes' 25%/25% for RollingUpdate; the reconciler
/// uses the same when it is absent.
/// </summary>
public sealed record DeploymentStrategy
{
    public string Type { get; set; } = "RollingUpdate";
    public RollingUpdateDeployment? RollingUpdate { get; set; }
}

/// <summary>Int-or-string values kept as written: <c>"25%"</c> or <c>"1"</c>.</summary>
public sealed record RollingUpdateDeployment
{
    public string MaxSurge { get; set; } = "25%";
    public string MaxUnavailable { get; set; } = "25%";
}

public sealed record PodTemplateSpec
{
    public ObjectMeta Metadata { get; set; } = new();
    public PodSpec Spec { get; set; } = new();
}

public sealed record DeploymentStatus
{
    public long ObservedGeneration { get; init; }
    public int Replicas { get; init; }
    public int UpdatedReplicas { get; init; }
    public int ReadyReplicas { get; init; }
    public int AvailableReplicas { get; init; }
    public int UnavailableReplicas { get; init; }
    public ImmutableArray<DeploymentCondition> Conditions { get; set; } = ImmutableArray<DeploymentCondition>.Empty;
}

/// <summary>Types: Available, Progressing, ReplicaFailure. Status "True"/"False"/"Unknown".</summary>
public sealed record DeploymentCondition(string Type, string Status, string? Reason = null, string? Message = null,
    DateTimeOffset? LastUpdateTime = null, DateTimeOffset? LastTransitionTime = null);

/// <summary><c>apps/v1</c> ReplicaSet.</summary>
public sealed record ReplicaSet : KubeObject
{
    public override string ApiVersion { get; set; } = "apps/v1";
    public ReplicaSetSpec Spec { get; set; } = new();
    public ReplicaSetStatus? Status { get; init; }
}

public sealed record ReplicaSetSpec
{
    public int Replicas { get; set; } = 1;
    public LabelSelector Selector { get; set; } = new();
    public PodTemplateSpec Template { get; set; } = new();
    public int MinReadySeconds { get; init; }
}

public sealed record ReplicaSetStatus
{
    public int Replicas { get; init; }
    public int ReadyReplicas { get; init; }
    public int AvailableReplicas { get; init; }
    public long ObservedGeneration { get; init; }
}
