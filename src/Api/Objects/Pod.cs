using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Troupe.Api.Objects;

/// <summary><c>v1</c> Pod. <c>troupe get pods -o json</c> prints a List of these.</summary>
public sealed record Pod : KubeObject
{
    public override string ApiVersion { get; set; } = "v1";
    public PodSpec Spec { get; set; } = new();
    public PodStatus? Status { get; init; }
}

/// <summary>A pod's <c>spec</c>. <c>RestartPolicy</c> is Always, OnFailure or Never.</summary>
public sealed record PodSpec
{
    public ImmutableArray<Container> Containers { get; set; } = ImmutableArray<Container>.Empty;
    public ImmutableArray<Container> InitContainers { get; set; } = ImmutableArray<Container>.Empty;
    public string RestartPolicy { get; set; } = "Always";
    public long TerminationGracePeriodSeconds { get; set; } = 30;
    public string? NodeName { get; init; }
    public ImmutableSortedDictionary<string, string> NodeSelector { get; set; } = ImmutableSortedDictionary<string, string>.Empty;
    /// <summary>
    /// Taints of nodes this pod may be scheduled on anyway. Not serialised when empty, so pod-template hashes of
    /// templates without tolerations stay what they were before Troupe read them.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public ImmutableArray<Toleration> Tolerations { get => _tolerations; set => _tolerations = value.IsDefaultOrEmpty ? default : value; }
    ImmutableArray<Toleration> _tolerations;
    public string? Hostname { get; init; }
    public ImmutableArray<Volume> Volumes { get; set; } = ImmutableArray<Volume>.Empty;
}

/// <summary>
/// A pod's toleration of a node taint, as Kubernetes: <c>Operator</c> <c>Equal</c> (key and value match) or
/// <c>Exists</c> (key matches; an empty key with Exists tolerates every taint); an empty <c>Effect</c> matches every effect.
/// </summary>
public sealed record Toleration(string? Key, string Operator, string? Value, string? Effect)
{
    public bool Tolerates(Taint t) =>
        (string.IsNullOrEmpty(Effect) || Effect == t.Effect)
        && (Operator == "Exists"
            ? string.IsNullOrEmpty(Key) || Key == t.Key
            : Key == t.Key && (Value ?? "") == (t.Value ?? ""));
}

/// <summary>A node taint (<c>troupe node --taint key=value:NoSchedule</c>): pods without a matching toleration are not placed there.</summary>
public sealed record Taint(string Key, string? Value, string Effect)
{
    public static readonly string[] Effects = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

    /// <summary>Parses <c>key[=value]:Effect</c>; null when malformed.</summary>
    public static Taint? Parse(string s)
    {
        var colon = s.LastIndexOf(':');
        if (colon <= 0) return null;
        var effect = s[(colon + 1)..];
        if (!Effects.Contains(effect)) return null;
        var kv = s[..colon];
        var eq = kv.IndexOf('=');
        var key = eq < 0 ? kv : kv[..eq];
        if (key.Length == 0) return null;
        return new Taint(key, eq < 0 ? null : kv[(eq + 1)..], effect);
    }

    public override string ToString() => Value is null ? $"{Key}:{Effect}" : $"{Key}={Value}:{Effect}";
}

/// <summary>
/// A pod volume: <c>hostPath</c> (a directory of the node, bind-mounted; it must exist) or, Troupe's own,
/// <c>troupeVolume</c> (a named volume under the node's <c>$TROUPE_HOME/volumes/NAME</c>, made on first use and
/// kept after the pod, as docker's named volumes are).
/// </summary>
public sealed record Volume
{
    public string Name { get; set; } = "";
    public HostPathVolumeSource? HostPath { get; init; }
    public NamedVolumeSource? TroupeVolume { get; init; }
    public EmptyDirVolumeSource? EmptyDir { get; init; }
    public ConfigMapVolumeSource? ConfigMap { get; init; }
}

/// <summary>A host path; <c>Type</c> as Kubernetes' hostPath.type (<c>DirectoryOrCreate</c>, <c>Directory</c>, <c>FileOrCreate</c>, <c>File</c>, ...; null or empty: no check).</summary>
public sealed record HostPathVolumeSource(string Path, string? Type = null);

/// <summary>A directory that lives as long as the pod (on the node's disk; <c>Medium</c> and <c>SizeLimit</c> kept as written).</summary>
public sealed record EmptyDirVolumeSource(string? Medium = null, string? SizeLimit = null);

public sealed record NamedVolumeSource(string VolumeName);

/// <summary>A container's <c>volumeMounts[]</c> entry.</summary>
public sealed record VolumeMount
{
    public string Name { get; set; } = "";
    public string MountPath { get; set; } = "";
    public bool ReadOnly { get; init; }
    /// <summary>A path inside the volume to mount instead of its root.</summary>
    public string? SubPath { get; init; }
}

/// <summary>One container of a pod spec.</summary>
public sealed record Container
{
    public string Name { get; set; } = "";
    public string Image { get; set; } = "";
    public ImmutableArray<string> Command { get; set; } = ImmutableArray<string>.Empty;
    public ImmutableArray<string> Args { get; set; } = ImmutableArray<string>.Empty;
    public ImmutableArray<EnvVar> Env { get; set; } = ImmutableArray<EnvVar>.Empty;
    /// <summary>
    /// Default (not empty) when there is none, and then not written: templates without envFrom keep the
    /// pod-template-hash they had before Troupe read envFrom (a changed hash would roll every Deployment out).
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public ImmutableArray<EnvFromSource> EnvFrom { get => _envFrom; set => _envFrom = value.IsDefaultOrEmpty ? default : value; }
    ImmutableArray<EnvFromSource> _envFrom;
    public string? WorkingDir { get; init; }
    public ImmutableArray<PortSpec> Ports { get; set; } = ImmutableArray<PortSpec>.Empty;
    public ResourceRequirements Resources { get; set; } = new();
    public string? ImagePullPolicy { get; init; }
    public bool Tty { get; init; }
    public bool Stdin { get; init; }
    public Probe? LivenessProbe { get; init; }
    public Probe? ReadinessProbe { get; init; }
    public Probe? StartupProbe { get; init; }
    /// <summary>Close the container's stdin when the first attached client ends it (<c>docker run -i</c>); null: Kubernetes' default, false.</summary>
    public bool? StdinOnce { get; init; }
    public SecurityContext? SecurityContext { get; init; }
    public ImmutableArray<VolumeMount> VolumeMounts { get; set; } = ImmutableArray<VolumeMount>.Empty;
}

/// <summary>
/// A container probe: one handler (<c>httpGet</c>, <c>tcpSocket</c> or <c>exec</c>) run every <c>periodSeconds</c>
/// after <c>initialDelaySeconds</c>, each try given <c>timeoutSeconds</c>; <c>failureThreshold</c> failures in a row
/// fail it, <c>successThreshold</c> successes in a row pass it. Defaults are Kubernetes'.
/// </summary>
public sealed record Probe
{
    public HttpGetAction? HttpGet { get; init; }
    public TcpSocketAction? TcpSocket { get; init; }
    public ExecAction? Exec { get; init; }
    public int InitialDelaySeconds { get; init; }
    public int PeriodSeconds { get; init; } = 10;
    public int TimeoutSeconds { get; init; } = 1;
    public int SuccessThreshold { get; init; } = 1;
    public int FailureThreshold { get; init; } = 3;
}

/// <summary>GET <c>http://POD-IP:PORT/PATH</c>; 200-399 passes. <c>Port</c>: a number or a container port's name.</summary>
public sealed record HttpGetAction(string Path, IntOrString Port)
{
    public string Scheme { get; init; } = "HTTP";
    public ImmutableArray<HttpHeader> HttpHeaders { get; init; } = ImmutableArray<HttpHeader>.Empty;
}

public sealed record HttpHeader(string Name, string Value);

/// <summary>A TCP connect to the pod's address and port passes.</summary>
public sealed record TcpSocketAction(IntOrString Port);

/// <summary>The command, run in the container, exits 0.</summary>
public sealed record ExecAction(ImmutableArray<string> Command);

/// <summary>A container's <c>securityContext</c>: the user and group its process runs as (numeric, as Kubernetes has them).</summary>
public sealed record SecurityContext
{
    public long? RunAsUser { get; init; }
    public long? RunAsGroup { get; init; }
}

/// <summary>
/// Annotations Troupe reads on a pod for what <c>troupe run</c> offers and Kubernetes' pod spec does not say:
/// <c>troupe.io/pids-limit</c> (a number) and <c>troupe.io/init</c> (<c>"true"</c>: catatonit as PID 1).
/// </summary>
public static class PodAnnotations
{
    public const string PidsLimit = "troupe.io/pids-limit";
    /// <summary>
    /// On a Deployment, <c>ordinal</c>: its pods are named <c>&lt;deployment&gt;-1</c>, <c>-2</c>, ... (the lowest number
    /// free), or <c>troupe.io/container-name</c> for a single replica, as Compose names containers; else
    /// <c>&lt;deployment&gt;-&lt;hash&gt;-&lt;random&gt;</c>.
    /// </summary>
    public const string PodNames = "troupe.io/pod-names";
    /// <summary>Compose's <c>container_name</c>: the name of a one-replica Deployment's pod (with <see cref="PodNames"/>).</summary>
    public const string ContainerName = "troupe.io/container-name";
    public const string Init = "troupe.io/init";
    /// <summary>Set by <c>troupe run --user NAME[:GROUP]</c>: a user (or group) name, resolved in the image's /etc/passwd when the container starts.</summary>
    public const string User = "troupe.io/user";
    /// <summary>Set by <c>troupe run</c> on the pods it makes: the command line as the user gave it, for <c>troupe ps</c>.</summary>
    public const string Command = "troupe.io/command";
    /// <summary>Set by Troupe on a Deployment it shows: the control node whose shard runs it now.</summary>
    public const string ControlNode = "troupe.io/control-node";
}

/// <summary>An <c>env[]</c> entry: a value, or <c>valueFrom</c> (a ConfigMap key, a pod field) resolved when the container starts.</summary>
public sealed record EnvVar(string Name, string Value, EnvVarSource? ValueFrom = null);

/// <summary>A container's <c>ports[]</c> entry (Kubernetes calls the type ContainerPort).</summary>
public sealed record PortSpec
{
    public int ContainerPort { get; init; }
    public string Protocol { get; set; } = "TCP";
    public string? Name { get; init; }
    public int? HostPort { get; init; }
    public string? HostIP { get; init; }
}

/// <summary>
/// <c>resources</c>: quantities exactly as the user wrote them (<c>cpu: 250m</c>, <c>memory: 64Mi</c>);
/// <see cref="Quantity"/> turns them into numbers.
/// </summary>
public sealed record ResourceRequirements
{
    public ImmutableSortedDictionary<string, string> Limits { get; set; } = ImmutableSortedDictionary<string, string>.Empty;
    public ImmutableSortedDictionary<string, string> Requests { get; set; } = ImmutableSortedDictionary<string, string>.Empty;
}

/// <summary>A pod's observed <c>status</c>. Phase: Pending, Running, Succeeded, Failed, Unknown.</summary>
public sealed record PodStatus
{
    public string Phase { get; set; } = "Pending";
    public string? Reason { get; init; }
    public string? Message { get; init; }
    public string? HostIP { get; init; }
    public string? PodIP { get; init; }
    public DateTimeOffset? StartTime { get; init; }
    public ImmutableArray<PodCondition> Conditions { get; set; } = ImmutableArray<PodCondition>.Empty;
    public ImmutableArray<ContainerStatus> ContainerStatuses { get; set; } = ImmutableArray<ContainerStatus>.Empty;
}

public sealed record PodCondition(string Type, string Status, DateTimeOffset? LastTransitionTime = null, string? Reason = null, string? Message = null);

/// <summary>
/// One container's observed status. <c>ContainerID</c> (<c>runc://ID</c>) and <c>Pid</c> (the host pid) are
/// set while it runs.
/// </summary>
public sealed record ContainerStatus
{
    public string Name { get; set; } = "";
    public bool Ready { get; init; }
    public int RestartCount { get; init; }
    public string Image { get; set; } = "";
    public string? ImageID { get; init; }
    [JsonPropertyName("containerID")] public string? ContainerID { get; init; }
    public int? Pid { get; init; }
    public bool? Started { get; init; }
    public ContainerState State { get; set; } = new();
    public ContainerState LastState { get; set; } = new();
}

/// <summary>Exactly one of the three is set (or none for an empty <c>lastState</c>).</summary>
public sealed record ContainerState
{
    public ContainerStateRunning? Running { get; init; }
    public ContainerStateWaiting? Waiting { get; init; }
    public ContainerStateTerminated? Terminated { get; init; }
}

public sealed record ContainerStateRunning(DateTimeOffset StartedAt);
public sealed record ContainerStateWaiting(string Reason, string? Message = null);
public sealed record ContainerStateTerminated
{
    public int ExitCode { get; init; }
    public int? Signal { get; init; }
    public string? Reason { get; init; }
    public string? Message { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    [JsonPropertyName("containerID")] public string? ContainerID { get; init; }
}

/// <summary>docker's rule for a named volume: <c>[a-zA-Z0-9][a-zA-Z0-9_.-]+</c> (so never a path).</summary>
public static class VolumeNames
{
    public static bool IsValid(string name) =>
        name.Length is >= 2 and <= 255 && char.IsAsciiLetterOrDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');
}
