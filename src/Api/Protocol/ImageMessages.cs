using System.Collections.Immutable;

namespace Troupe.Api.Protocol;

/// <summary>
/// Build an image (<c>troupe build</c>). Over HTTP this is <c>POST /v1/build</c>: the request record travels in the
/// <c>Troupe-Request</c> header (base64 of its JSON) and the body is the build context as a tar stream, as the docker
/// client sends it (<c>.dockerignore</c> applied, the Dockerfile and <c>.dockerignore</c> always included).
/// <c>Dockerfile</c> is the Dockerfile's path inside that tar (null: <c>Dockerfile</c>). The reply is a stream of
/// newline-separated messages: <see cref="BuildProgress"/> lines, then one <see cref="ImageBuilt"/> or
/// <see cref="CommandRejected"/>.
/// </summary>
public sealed record BuildImage(
    ImmutableArray<string> Tags,
    string? Dockerfile = null,
    ImmutableDictionary<string, string>? BuildArgs = null,
    string? Target = null,
    bool NoCache = false) : ITroupeMessage;

/// <summary>
/// One line of a build's progress, as docker's plain output (<c>#3 [2/5] RUN make</c>). <c>Failure</c>: a line of the
/// failing step's own output, sent after the build ended, just before the <see cref="CommandRejected"/>.
/// </summary>
public sealed record BuildProgress(string Line, bool Failure = false) : ITroupeMessage;

/// <summary>A build finished: the image's manifest digest and the tags it now has.</summary>
public sealed record ImageBuilt(string Digest, ImmutableArray<string> Tags) : ITroupeMessage;

/// <summary><c>troupe tag SRC DST</c>. Replies <see cref="CommandAccepted"/> or <see cref="CommandRejected"/>.</summary>
public sealed record TagImage(string Source, string Target) : ITroupeMessage;

/// <summary>
/// <c>troupe rmi IMAGE</c>: untag it and delete the blobs nothing else uses. Refused (<c>Conflict</c>) while a pod
/// uses the image, unless <c>Force</c> (which untags only). Replies <see cref="CommandAccepted"/> whose message is
/// docker's <c>Untagged: ...</c> / <c>Deleted: ...</c> lines.
/// </summary>
public sealed record RemoveImage(string Reference, bool Force = false) : ITroupeMessage;

/// <summary>
/// <c>troupe import ROOTFS.tar NAME:TAG</c> (as <c>docker import</c>): a root filesystem tarball on the node's file
/// system becomes a one-layer image. Replies <see cref="CommandAccepted"/> with the image's digest.
/// </summary>
public sealed record ImportRootfs(string TarPath, string Reference) : ITroupeMessage;

/// <summary>
/// <c>troupe pull IMAGE</c>: the node fetches the image from its registry (OCI distribution API) into its store.
/// Over HTTP this is <c>POST /v1/images/pull</c> with the record in the <c>Troupe-Request</c> header (base64 of its
/// JSON) and an empty body; the reply is newline-separated messages: <see cref="ImageProgress"/> lines, then one
/// <see cref="ImagePulled"/> or <see cref="CommandRejected"/> (<c>NotFound</c>: no such repository or tag;
/// <c>Unavailable</c>: the registry cannot be reached or failed; <c>Invalid</c>: a malformed reference or image).
/// </summary>
public sealed record PullImage(string Reference) : ITroupeMessage;

/// <summary>
/// <c>troupe push IMAGE</c>: the node uploads the image to the registry its name points at
/// (<c>localhost:5000/app:1</c>). <c>POST /v1/images/push</c>, answered as <see cref="PullImage"/> is, ending with
/// <see cref="ImagePushed"/>.
/// </summary>
public sealed record PushImage(string Reference) : ITroupeMessage;

/// <summary>
/// One step of a pull or push, as docker's progress lines: <c>Id</c> a layer's short digest (empty for a line about
/// the whole image), <c>Status</c> docker's words (<c>Pulling fs layer</c>, <c>Downloading</c>, <c>Pull complete</c>,
/// <c>Pushed</c>, <c>Layer already exists</c>, <c>Digest: …</c>), <c>Current</c> and <c>Total</c> bytes while a
/// blob moves.
/// </summary>
public sealed record ImageProgress(string Id, string Status, long Current = 0, long Total = 0) : ITroupeMessage;

/// <summary>A pull finished: the reference now tagged, the registry's digest for it, and whether anything changed.</summary>
public sealed record ImagePulled(string Reference, string Digest, bool Updated) : ITroupeMessage;

/// <summary>A push finished: the reference pushed, its manifest digest and the manifest's size.</summary>
public sealed record ImagePushed(string Reference, string Digest, long Size) : ITroupeMessage;

/// <summary>
/// <c>troupe exec [-i] [-t] POD [-c C] CMD...</c>: run a process in a running container of the pod (the first
/// container when <c>Container</c> is null). Over HTTP: <c>POST /v1/exec</c>, the record in the <c>Troupe-Request</c>
/// header (base64 of its JSON); with <c>Stdin</c> the request body (chunked, sent as it is typed) is the process's
/// stdin. The reply is Docker's multiplexed stream: frames of an 8-byte header (stream id, three zero bytes, the
/// payload's length as a big-endian uint32) and the payload; stream 1 is stdout, 2 stderr (with <c>Tty</c> all
/// output is on 1), and the one frame of stream 3 closes the reply with the outcome, a JSON <see cref="ExecExited"/>
/// or <see cref="CommandRejected"/> (<c>NotFound</c>: no such pod or container; <c>Conflict</c>: it is not running).
/// </summary>
public sealed record ExecInContainer(
    string Namespace,
    string Pod,
    string? Container,
    ImmutableArray<string> Command,
    bool Stdin = false,
    bool Tty = false,
    ImmutableArray<string> Env = default,
    string? WorkingDir = null,
    string? User = null) : ITroupeMessage;

/// <summary>An exec ended: the process's exit code (127 command not found, 126 not executable, as Docker).</summary>
public sealed record ExecExited(int ExitCode) : ITroupeMessage;

/// <summary>
/// <c>troupe run -i</c>: the request body becomes the stdin of the pod's main process (its container launched with
/// <c>stdin: true</c>; the first container when <c>Container</c> is null). Over HTTP: <c>POST /v1/attach</c>, the
/// record in the <c>Troupe-Request</c> header, the body chunked as it is typed. The node waits for the container to
/// start (up to <c>WaitSeconds</c>), copies the body to it, closes the container's stdin when the body ends and the
/// container says <c>stdinOnce</c>, and answers <see cref="CommandAccepted"/> or <see cref="CommandRejected"/>
/// (<c>NotFound</c>; <c>Conflict</c>: not launched with stdin, or it ended first). Output is not on this stream: it
/// is the container's log (<c>GET /v1/logs?follow=true</c>).
/// </summary>
public sealed record AttachToContainer(string Namespace, string Pod, string? Container = null, int WaitSeconds = 60) : ITroupeMessage;
