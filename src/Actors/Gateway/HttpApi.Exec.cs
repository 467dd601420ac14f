using System.Buffers.Binary;
using Akka.Actor;
using Troupe.Actors.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;
using Troupe.Runtime.Drivers;

namespace Troupe.Actors.Gateway;

/// <summary>
/// <c>POST /v1/exec</c>: a process in a running container, its stdin from the request body as it arrives, its
/// output back in Docker's multiplexed frames (see <see cref="ExecInContainer"/>), the outcome in the last frame.
/// </summary>
public static partial class HttpApi
{
    const byte StdoutFrame = 1, StderrFrame = 2, OutcomeFrame = 3;

    static void MapExec(WebApplication app, PodStreams streams)
    {
        app.MapPost("/v1/exec", async (HttpContext ctx) =>
        {
            var (request, malformed) = ParseRequest<ExecInContainer>(ctx);
            ITroupeMessage? outcome = malformed;
            try
            {
                // a pod of another node: that node runs the process, this one passes the streams on
                if (request is not null)
                {
                    var (forwarded, refused) = await ForwardToPodNodeAsync(ctx, streams, request.Namespace, request.Pod, withBody: request.Stdin);
                    if (forwarded) return;
                    outcome = refused;
                }
                ctx.Response.ContentType = "application/vnd.docker.multiplexed-stream";
                var frames = new FrameWriter(ctx.Response.Body);
                outcome ??= await ExecAsync(ctx, request!, streams, frames);
                await frames.WriteAsync(OutcomeFrame, ProtocolJson.SerializeToUtf8(outcome), CancellationToken.None);
            }
            catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested) { }
        });
    }

    static async Task<ITroupeMessage> ExecAsync(HttpContext ctx, ExecInContainer request, PodStreams streams, FrameWriter frames)
    {
        if (request.Command.IsDefaultOrEmpty) return CommandRejected.Invalid("exec needs a command");
        if (streams.Driver is not { } driver) return CommandRejected.Invalid("this node runs no workloads");
        var (cid, refused) = await RunningContainerAsync(streams.Gateway, streams.Settings, streams.NodeName, request.Namespace, request.Pod, request.Container);
        if (refused is not null) return refused;

        var exec = new ContainerExec(request.Command, frames.Stream(StdoutFrame), frames.Stream(request.Tty ? StdoutFrame : StderrFrame))
        {
            Env = request.Env.IsDefault ? [] : request.Env,
            WorkingDir = request.WorkingDir,
            User = request.User,
            Tty = request.Tty,
            Stdin = request.Stdin ? ctx.Request.Body : null,
        };
        LiftBodyLimits(ctx);
        try
        {
            var code = await driver.ExecAsync(cid!, exec, ctx.RequestAborted);
            return new ExecExited(code);
        }
        catch (RuntimeInvocationException e) when (!ctx.RequestAborted.IsCancellationRequested)
        {
            return new CommandRejected("Conflict", e.Message);
        }
        catch (ContainerStartException e)
        {
            await frames.WriteAsync(StderrFrame, System.Text.Encoding.UTF8.GetBytes(e.Message + "\n"), CancellationToken.None);
            return new ExecExited(e.ExitCode);
        }
    }

    /// <summary>
    /// The driver id of a running container of the pod on this node, or why there is none: <c>NotFound</c> (no such
    /// pod or container; the first container when <paramref name="container"/> is null), <c>Conflict</c> (not running),
    /// <c>Unavailable</c> (another node runs it). With <paramref name="waitUntil"/>, a container not running yet is
    /// waited for until then (a pod just made by <c>run -i</c>); one that ended is refused at once.
    /// </summary>
    static async Task<(string? Id, CommandRejected? Refused)> RunningContainerAsync(IActorRef gateway, ActorsSettings settings,
        string nodeName, string ns, string podName, string? container, DateTime? waitUntil = null, CancellationToken ct = default)
    {
        while (true)
        {
            var found = await gateway.Ask<ITroupeMessage>(new GetObjects("Pod", ns, podName), settings.AskTimeout);
            if (found is not ObjectList { Items: [Pod pod, ..] })
                return (null, found as CommandRejected ?? CommandRejected.NotFound($"pods \"{podName}\" not found"));
            var name = container ?? pod.Spec.Containers.FirstOrDefault()?.Name;
            if (name is null || pod.Spec.Containers.All(c => c.Name != name))
                return (null, CommandRejected.NotFound($"container {container} is not valid for pod {podName}"));
            // a pod of another node is reached on that node (ForwardToPodNodeAsync); a forwarded request that finds
            // the pod moved on is not forwarded again
            if (pod.Spec.NodeName is { Length: > 0 } node && node != nodeName)
                return (null, new CommandRejected("Unavailable", $"pod {podName} runs on node {node}; run the command against that node (--cluster)"));
            var status = pod.Status.ContainerStatuses.FirstOrDefault(s => s.Name == name);
            var cid = status?.ContainerID ?? "";
            var sep = cid.IndexOf("://", StringComparison.Ordinal);
            if (status?.State.Running is not null && sep >= 0) return (cid[(sep + 3)..], null);
            if (waitUntil is null || DateTime.UtcNow > waitUntil || status?.State.Terminated is not null || pod.Status.Phase is "Succeeded" or "Failed")
                return (null, new CommandRejected("Conflict", $"container {name} of pod {podName} is not running"));
            await Task.Delay(50, ct);
        }
    }

    /// <summary>
    /// <c>POST /v1/attach</c> (<see cref="AttachToContainer"/>): the request body to the stdin of a container launched
    /// with <c>stdin: true</c>, once it runs; the reply, after the body ended, is <c>CommandAccepted</c> or why not.
    /// </summary>
    static void MapAttach(WebApplication app, PodStreams streams)
    {
        app.MapPost("/v1/attach", async (HttpContext ctx) =>
        {
            var (request, malformed) = ParseRequest<AttachToContainer>(ctx);
            ITroupeMessage outcome = malformed!;
            try
            {
                if (request is not null)
                {
                    var (forwarded, refused) = await ForwardToPodNodeAsync(ctx, streams, request.Namespace, request.Pod, withBody: true);
                    if (forwarded) return;
                    outcome = refused ?? await AttachAsync(ctx, request, streams);
                }
            }
            catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested) { return; }
            if (outcome is CommandRejected r) ctx.Response.StatusCode = r.Code switch { "NotFound" => 404, "Conflict" => 409, _ => 400 };
            await Write(ctx, outcome);
        });
    }

    static async Task<ITroupeMessage> AttachAsync(HttpContext ctx, AttachToContainer request, PodStreams streams)
    {
        if (streams.Driver is not { } driver) return CommandRejected.Invalid("this node runs no workloads");
        var wait = DateTime.UtcNow + TimeSpan.FromSeconds(Math.Clamp(request.WaitSeconds, 0, 600));
        var (cid, refused) = await RunningContainerAsync(streams.Gateway, streams.Settings, streams.NodeName, request.Namespace, request.Pod,
            request.Container, wait, ctx.RequestAborted);
        if (refused is not null) return refused;
        LiftBodyLimits(ctx);
        try { await driver.AttachAsync(cid!, ctx.Request.Body, ctx.RequestAborted); }
        catch (RuntimeInvocationException e) when (!ctx.RequestAborted.IsCancellationRequested) { return new CommandRejected("Conflict", e.Message); }
        return new CommandAccepted($"attached to {request.Pod}");
    }

    /// <summary>Docker's multiplexed framing over one response body; writes from the stdout and stderr pumps never interleave.</summary>
    sealed class FrameWriter(Stream body)
    {
        readonly SemaphoreSlim _lock = new(1, 1);

        public async Task WriteAsync(byte stream, ReadOnlyMemory<byte> payload, CancellationToken ct)
        {
            var header = new byte[8];
            header[0] = stream;
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)payload.Length);
            await _lock.WaitAsync(ct);
            try
            {
                await body.WriteAsync(header, ct);
                await body.WriteAsync(payload, ct);
                await body.FlushAsync(ct);
            }
            finally { _lock.Release(); }
        }

        public Stream Stream(byte id) => new FrameStream(this, id);
    }

    sealed class FrameStream(FrameWriter writer, byte id) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override Task FlushAsync(CancellationToken ct) => Task.CompletedTask;
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
            writer.WriteAsync(id, buffer.AsMemory(offset, count).ToArray(), ct);
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) =>
            await writer.WriteAsync(id, buffer.ToArray(), ct);
    }
}
