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
