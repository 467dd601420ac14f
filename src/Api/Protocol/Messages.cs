using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Troupe.Api.Objects;

namespace Troupe.Api.Protocol;

/// <summary>
/// The root of Troupe's public protocol. Every record below crosses a process: the command line sends it as
/// JSON over HTTP (<c>POST /v1/messages</c>, body and reply are one message each, <c>$type</c> names the record),
/// and other .NET services send it as an actor message to the ApiGateway through ClusterClient (the Akka
/// serializer bound to this interface uses the same JSON). Add a record here and to <see cref="ITroupeMessage"/>'s
/// derived types; never rename a <c>$type</c>.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$type")]
[JsonDerivedType(typeof(ApplyObjects), nameof(ApplyObjects))]
[JsonDerivedType(typeof(ObjectsApplied), nameof(ObjectsApplied))]
[JsonDerivedType(typeof(DeleteObject), nameof(DeleteObject))]
[JsonDerivedType(typeof(RunPod), nameof(RunPod))]
[JsonDerivedType(typeof(StopPodContainers), nameof(StopPodContainers))]
[JsonDerivedType(typeof(ScaleDeployment), nameof(ScaleDeployment))]
[JsonDerivedType(typeof(GetObjects), nameof(GetObjects))]
[JsonDerivedType(typeof(ObjectList), nameof(ObjectList))]
[JsonDerivedType(typeof(GetContainerLog), nameof(GetContainerLog))]
[JsonDerivedType(typeof(ContainerLog), nameof(ContainerLog))]
[JsonDerivedType(typeof(ImportImage), nameof(ImportImage))]
[JsonDerivedType(typeof(GetImages), nameof(GetImages))]
[JsonDerivedType(typeof(ImageList), nameof(ImageList))]
[JsonDerivedType(typeof(BuildImage), nameof(BuildImage))]
[JsonDerivedType(typeof(BuildProgress), nameof(BuildProgress))]
[JsonDerivedType(typeof(ImageBuilt), nameof(ImageBuilt))]
[JsonDerivedType(typeof(TagImage), nameof(TagImage))]
[JsonDerivedType(typeof(RemoveImage), nameof(RemoveImage))]
[JsonDerivedType(typeof(ImportRootfs), nameof(ImportRootfs))]
[JsonDerivedType(typeof(PullImage), nameof(PullImage))]
[JsonDerivedType(typeof(PushImage), nameof(PushImage))]
[JsonDerivedType(typeof(ImageProgress), nameof(ImageProgress))]
[JsonDerivedType(typeof(ImagePulled), nameof(ImagePulled))]
[JsonDerivedType(typeof(ImagePushed), nameof(ImagePushed))]
[JsonDerivedType(typeof(ExecInContainer), nameof(ExecInContainer))]
[JsonDerivedType(typeof(ExecExited), nameof(ExecExited))]
[JsonDerivedType(typeof(AttachToContainer), nameof(AttachToContainer))]
[JsonDerivedType(typeof(Ping), nameof(Ping))]
[JsonDerivedType(typeof(Pong), nameof(Pong))]
[JsonDerivedType(typeof(ShutdownNode), nameof(ShutdownNode))]
[JsonDerivedType(typeof(CommandAccepted), nameof(CommandAccepted))]
[JsonDerivedType(typeof(CommandRejected), nameof(CommandRejected))]
public interface ITroupeMessage;

/// <summary>
/// Create or update every object (validated as a whole first: one invalid object rejects them all).
/// Replies <see cref="ObjectsApplied"/> or <see cref="CommandRejected"/>. With <c>DryRun</c> nothing is applied.
/// </summary>
public sealed record ApplyObjects(ImmutableArray<KubeObject> Objects, bool DryRun = false) : ITroupeMessage;

/// <summary>One line per object, as kubectl prints them. <c>Action</c>: created, configured, unchanged.</summary>
public sealed record ObjectsApplied(ImmutableArray<AppliedObject> Results, long ResourceVersion) : ITroupeMessage
{
    /// <summary>What was applied but deserves a word (a Service selecting no pods), printed as kubectl's <c>Warning:</c> lines.</summary>
    public ImmutableArray<string>? Warnings { get; init; }
}

public sealed record AppliedObject(string Kind, string Namespace, string Name, string Action);

/// <summary>Delete one object and what it owns (a Deployment's ReplicaSets and Pods). Replies
/// <see cref="CommandAccepted"/>, or <see cref="CommandRejected"/> with code NotFound.</summary>
public sealed record DeleteObject(string Kind, string Namespace, string Name, long? GracePeriodSeconds = null) : ITroupeMessage;

/// <summary>
/// <c>troupe run</c>: create a standalone pod on the local node (a persistent entity of its own, as a bare
/// <c>v1</c> Pod from <c>apply</c> is). Refused with <c>Conflict</c> when a pod of that name exists, with
/// <c>Invalid</c> when its image is not in the node's store. Replies <see cref="CommandAccepted"/> whose message is
/// the pod's UID.
/// </summary>
public sealed record RunPod(Pod Pod) : ITroupeMessage;

/// <summary>
/// <c>troupe stop</c> / <c>troupe kill</c>: end a pod's containers and keep the pod (as <c>docker stop</c> keeps
/// the container): <c>Signal</c> null sends each container's stop signal, then SIGKILL after
/// <c>GracePeriodSeconds</c> (null: the pod's grace period); a <c>Signal</c> is sent once, as <c>docker kill</c>
/// does. The containers are not restarted whatever the restart policy. Replies <see cref="CommandAccepted"/> once
/// every container has ended (stop) or the signal was sent (kill).
/// </summary>
public sealed record StopPodContainers(string Namespace, string Name, int? Signal = null, long? GracePeriodSeconds = null) : ITroupeMessage;

/// <summary>Set a Deployment's replicas. Replies <see cref="CommandAccepted"/> or <see cref="CommandRejected"/>.</summary>
public sealed record ScaleDeployment(string Namespace, string Name, int Replicas) : ITroupeMessage;

/// <summary>
/// List objects of one kind from the Catalog. <c>Namespace</c> null with <c>AllNamespaces</c> lists every
/// namespace; <c>Name</c> narrows to one (NotFound when absent); <c>LabelSelector</c> is kubectl's
/// <c>-l</c> syntax (<c>app=web,tier!=db</c>). <c>MinResourceVersion</c>: wait until the Catalog has seen
/// at least this version (read your writes). Replies <see cref="ObjectList"/> or <see cref="CommandRejected"/>.
/// </summary>
public sealed record GetObjects(string Kind, string? Namespace = "default", string? Name = null,
    string? LabelSelector = null, bool AllNamespaces = false, long MinResourceVersion = 0) : ITroupeMessage;

public sealed record ObjectList(ImmutableArray<KubeObject> Items, long ResourceVersion) : ITroupeMessage;

/// <summary>
/// A container's output (stdout and stderr, in order). <c>Container</c> null picks the pod's only (or first)
/// container. <c>Previous</c> reads the attempt before the current one. <c>Tail</c> keeps the last N lines.
/// Replies <see cref="ContainerLog"/> or <see cref="CommandRejected"/>. Following (<c>-f</c>) is HTTP only:
/// <c>GET /v1/logs?namespace=&amp;pod=&amp;container=&amp;previous=&amp;tail=&amp;follow=true</c> streams text.
/// </summary>
public sealed record GetContainerLog(string Namespace, string Pod, string? Container = null, bool Previous = false, int? Tail = null) : ITroupeMessage;

/// <summary>
/// <c>Path</c> is the log file on the node that runs the pod (for followers on that node); <c>Text</c> the lines.
/// <c>Finished</c>: the container has ended for good (it will not be restarted), so a follower stops at the end.
/// </summary>
public sealed record ContainerLog(string Pod, string Container, string Text, string? Path, bool Running, bool Finished = false) : ITroupeMessage;

/// <summary>
/// Load an OCI image layout tarball (<c>troupe load -i</c>) from a path on the node's file system.
/// Replies <see cref="CommandAccepted"/> naming the loaded references, or <see cref="CommandRejected"/>.
/// </summary>
public sealed record ImportImage(string TarPath) : ITroupeMessage;

/// <summary>List the node's images. Replies <see cref="ImageList"/>.</summary>
public sealed record GetImages : ITroupeMessage;

public sealed record ImageList(ImmutableArray<ImageSummary> Images) : ITroupeMessage;

/// <summary><c>Repository</c> is the normalised name (<c>docker.io/library/busybox</c>); <c>Size</c> in bytes.</summary>
public sealed record ImageSummary(string Repository, string Tag, string Digest, DateTimeOffset Created, long Size);

/// <summary>Is the node there? Replies <see cref="Pong"/>.</summary>
public sealed record Ping : ITroupeMessage;

public sealed record Pong(string NodeName, string Version, string Address, string Driver) : ITroupeMessage;

/// <summary>Stop the node gracefully (its containers too, each with its grace period). Replies <see cref="CommandAccepted"/> first.</summary>
public sealed record ShutdownNode : ITroupeMessage;

/// <summary>A command was carried out. <c>ResourceVersion</c>: the Catalog version that shows it.</summary>
public sealed record CommandAccepted(string Message, long ResourceVersion = 0) : ITroupeMessage;

/// <summary>
/// A command or query was refused. <c>Code</c>: <c>NotFound</c>, <c>Invalid</c>, <c>Conflict</c>,
/// <c>Unavailable</c>, <c>Internal</c>. <c>Reason</c> is one line for the user.
/// </summary>
public sealed record CommandRejected(string Code, string Reason) : ITroupeMessage
{
    public static CommandRejected NotFound(string reason) => new("NotFound", reason);
    public static CommandRejected Invalid(string reason) => new("Invalid", reason);
}
