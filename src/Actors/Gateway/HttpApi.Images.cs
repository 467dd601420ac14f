using System.Collections.Immutable;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Troupe.Api.Protocol;
using Troupe.Runtime.Build;
using Troupe.Runtime.Images;

namespace Troupe.Actors.Gateway;

/// <summary>
/// The image endpoints that carry more than one message: <c>POST /v1/build</c> (the context tar up, progress lines
/// down) and <c>GET /v1/images/save?ref=</c> (an OCI image-layout tarball down).
/// </summary>
public static partial class HttpApi
{
    /// <summary>How long a build may run before the node gives up on it.</summary>
    static readonly TimeSpan BuildTimeout = TimeSpan.FromHours(1);

    static void MapImages(WebApplication app, ImageStore images, ImageBuilder? builder, RegistryClient registry)
    {
        app.MapPost("/v1/build", (HttpContext ctx) => BuildAsync(ctx, builder));
        app.MapPost("/v1/images/pull", (HttpContext ctx) => TransferAsync<PullImage>(ctx, async (request, progress, ct) =>
        {
            var pulled = await images.PullAsync(request.Reference, registry, progress, ct);
            return new ImagePulled(pulled.Reference, pulled.Digest, pulled.Updated);
        }));
        app.MapPost("/v1/images/push", (HttpContext ctx) => TransferAsync<PushImage>(ctx, async (request, progress, ct) =>
        {
            var pushed = await images.PushAsync(request.Reference, registry, progress, ct);
            return new ImagePushed(pushed.Reference, pushed.Digest, pushed.Size);
        }));

        app.MapGet("/v1/images/save", async (HttpContext ctx) =>
        {
            var reference = ctx.Request.Query["ref"].FirstOrDefault() ?? "";
            ImageRecord? image;
            try { image = await images.ResolveAsync(reference, ctx.RequestAborted); }
            catch (FormatException e) { await Text(ctx, 400, e.Message); return; }
            if (image is null) { await Text(ctx, 404, $"No such image: {reference}"); return; }
            ctx.Response.ContentType = "application/x-tar";
            // the body is written as it is read: a large image never sits whole in memory
            await images.SaveAsync(image.Reference, ctx.Response.Body, ctx.RequestAborted);
        });
    }

    static async Task Text(HttpContext ctx, int status, string text)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "text/plain; charset=utf-8";
        await ctx.Response.WriteAsync(text);
    }

    static async Task BuildAsync(HttpContext ctx, ImageBuilder? builder)
    {
        ctx.Response.ContentType = "application/x-ndjson";
        var ct = ctx.RequestAborted;
        if (builder is null)
        {
            await Line(ctx, CommandRejected.Invalid("this node has no image builder (it runs no workloads)"));
            return;
        }
        if (await RequestAsync<BuildImage>(ctx) is not { } request) return;
        var uploads = Path.Combine(builder.WorkRoot, "contexts");
        Directory.CreateDirectory(uploads);
        var tarPath = Path.Combine(uploads, $"upload-{Guid.NewGuid():N}.tar");
        try
        {
            await using (var file = new FileStream(tarPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous))
                await ctx.Request.Body.CopyToAsync(file, ct);
            // the whole upload is read before any answer: a client still sending would otherwise see a reset
            foreach (var tag in request.Tags)
                if (!ImageReference.TryParse(tag, out var r, out var error) || r.Digest is not null)
                {
                    await Line(ctx, CommandRejected.Invalid($"invalid tag \"{tag}\": {(error.Length > 0 ? error : "a tag cannot name a digest")}"));
                    return;
                }
            if (request.Dockerfile is { } df && (df.StartsWith('/') || df.Split('/').Contains("..")))
            {
                await Line(ctx, CommandRejected.Invalid($"the Dockerfile path \"{df}\" must be inside the build context"));
                return;
            }
            BuildContext context;
            try
            {
                await using var tar = File.OpenRead(tarPath);
                context = BuildContext.Extract(tar, uploads, ct);
            }
            catch (InvalidDataException e)
            {
                await Line(ctx, CommandRejected.Invalid(e.Message));
                return;
            }
            finally { File.Delete(tarPath); }

            using (context)
            {
                var lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
                var progress = new ChannelProgress<string>(lines.Writer);
                var buildRequest = new BuildRequest(context.Folder, request.Dockerfile, request.Tags,
                    request.BuildArgs ?? ImmutableDictionary<string, string>.Empty, request.Target, request.NoCache);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(BuildTimeout);
                var build = Task.Run(async () =>
                {
                    try { return await builder.BuildAsync(buildRequest, progress, timeout.Token); }
                    finally { lines.Writer.TryComplete(); }
                }, CancellationToken.None);
                await foreach (var line in lines.Reader.ReadAllAsync(CancellationToken.None))
                    if (!ct.IsCancellationRequested) await Line(ctx, new BuildProgress(line));
                ITroupeMessage last;
                try
                {
                    var result = await build;
                    last = new ImageBuilt(result.Digest, result.Tags);
                }
                catch (BuildException e)
                {
                    foreach (var output in e.Output) await Line(ctx, new BuildProgress(output, Failure: true));
                    last = CommandRejected.Invalid(e.Message);
                }
                catch (OperationCanceledException)
                {
                    last = new CommandRejected("Unavailable", ct.IsCancellationRequested ? "the build was cancelled" : $"the build took longer than {BuildTimeout.TotalMinutes:0} minutes");
                }
                if (!ct.IsCancellationRequested) await Line(ctx, last);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        finally
        {
            if (File.Exists(tarPath)) File.Delete(tarPath);
        }
    }

    /// <summary>The request record a streamed endpoint carries in its <c>Troupe-Request</c> header, or why it is malformed.</summary>
    static (T? Request, CommandRejected? Error) ParseRequest<T>(HttpContext ctx) where T : class, ITroupeMessage
    {
        try
        {
            var header = ctx.Request.Headers["Troupe-Request"].FirstOrDefault() ?? throw new FormatException("the Troupe-Request header is missing");
            return (ProtocolJson.Deserialize(Convert.FromBase64String(header)) as T
                ?? throw new FormatException($"the Troupe-Request header is not a {typeof(T).Name}"), null);
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            return (null, CommandRejected.Invalid($"malformed request: {e.Message}"));
        }
    }

    /// <summary><see cref="ParseRequest{T}"/> for the ndjson endpoints: a malformed request is answered with one rejection line.</summary>
    static async Task<T?> RequestAsync<T>(HttpContext ctx) where T : class, ITroupeMessage
    {
        var (request, error) = ParseRequest<T>(ctx);
        if (error is not null) await Line(ctx, error);
        return request;
    }

    /// <summary>
    /// A pull or a push: <see cref="ImageProgress"/> lines while it runs, then its result, or a
    /// <see cref="CommandRejected"/> naming the registry's or the image's failure.
    /// </summary>
    static async Task TransferAsync<T>(HttpContext ctx, Func<T, IProgress<TransferProgress>, CancellationToken, Task<ITroupeMessage>> transfer)
        where T : class, ITroupeMessage
    {
        ctx.Response.ContentType = "application/x-ndjson";
        var ct = ctx.RequestAborted;
        await ctx.Request.Body.CopyToAsync(Stream.Null, ct);
        if (await RequestAsync<T>(ctx) is not { } request) return;
        var lines = Channel.CreateUnbounded<TransferProgress>(new UnboundedChannelOptions { SingleReader = true });
        var work = Task.Run(async () =>
        {
            try { return await transfer(request, new ChannelProgress<TransferProgress>(lines.Writer), ct); }
            finally { lines.Writer.TryComplete(); }
        }, CancellationToken.None);
        try
        {
            await foreach (var p in lines.Reader.ReadAllAsync(CancellationToken.None))
                if (!ct.IsCancellationRequested) await Line(ctx, new ImageProgress(p.Id, p.Status, p.Current, p.Total));
            ITroupeMessage last;
            try { last = await work; }
            catch (RegistryException e) { last = new CommandRejected(e.NotFound ? "NotFound" : "Unavailable", e.Message); }
            catch (KeyNotFoundException e) { last = new CommandRejected("NotFound", e.Message); }
            catch (Exception e) when (e is InvalidDataException or FormatException) { last = CommandRejected.Invalid(e.Message); }
            catch (IOException e) { last = new CommandRejected("Unavailable", e.Message); }
            if (!ct.IsCancellationRequested) await Line(ctx, last);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    /// <summary>One message of a streamed reply, newline-terminated, flushed so the client sees it now.</summary>
    static async Task Line(HttpContext ctx, ITroupeMessage m)
    {
        var bytes = ProtocolJson.SerializeToUtf8(m);
        await ctx.Response.Body.WriteAsync(bytes);
        await ctx.Response.Body.WriteAsync("\n"u8.ToArray());
        await ctx.Response.Body.FlushAsync();
    }

    /// <summary>Progress reported synchronously into a channel (<see cref="Progress{T}"/> would post to the thread pool and reorder).</summary>
    sealed class ChannelProgress<T>(ChannelWriter<T> writer) : IProgress<T>
    {
        public void Report(T value) => writer.TryWrite(value);
    }
}
