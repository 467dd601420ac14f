using System.Text;
using Akka.Actor;
using Akka.Event;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Troupe.Actors.Hosting;
using Troupe.Api.Protocol;
using Troupe.Runtime.Build;
using Troupe.Runtime.Images;

namespace Troupe.Actors.Gateway;

/// <summary>
/// The thin HTTP/1.1 adapter over the <see cref="ApiGateway"/> (Kestrel): on the unix socket in <c>$TROUPE_HOME</c>
/// and, with <c>--api-port</c>, on TCP (HTTPS and a bearer token with config/tls.hocon). <c>POST /v1/messages</c>
/// carries one <see cref="ITroupeMessage"/> each way; <c>GET /v1/logs</c> streams a container's output as text (following it with <c>follow=true</c>).
/// </summary>
public static partial class HttpApi
{
    public static async Task<WebApplication> StartAsync(IActorRef gateway, ActorsSettings settings, string socketPath, int? apiPort,
        TlsSettings? tls, ILoggingAdapter log,
        ImageStore images, ImageBuilder? imageBuilder, Troupe.Runtime.Drivers.IContainerDriver? driver, string nodeName,
        Func<string, CancellationToken, Task<(string? Api, string? Why)>> apiOfNode)
    {
        var streams = new PodStreams(gateway, settings, driver, nodeName, apiOfNode, tls);
        if (File.Exists(socketPath)) File.Delete(socketPath);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.ListenUnixSocket(socketPath);
            if (apiPort is { } p)
            {
                if (tls is null) k.ListenAnyIP(p);
                else k.ListenAnyIP(p, o => o.UseHttps(tls.Certificate));
            }
            k.AddServerHeader = false;
        });
        var app = builder.Build();
        if (tls is not null) app.Use(RequireToken(tls));

        app.MapPost("/v1/messages", async (HttpContext ctx) =>
        {
            ITroupeMessage request;
            try
            {
                using var ms = new MemoryStream();
                await ctx.Request.Body.CopyToAsync(ms);
                request = ProtocolJson.Deserialize(ms.ToArray());
            }
            catch (Exception e)
            {
                await Write(ctx, CommandRejected.Invalid($"malformed request: {e.Message}"));
                return;
            }
            ITroupeMessage reply;
            try { reply = await gateway.Ask<ITroupeMessage>(request, TimeoutFor(request, settings)); }
            catch (AskTimeoutException) { reply = new CommandRejected("Unavailable", "the node did not answer in time"); }
            await Write(ctx, reply);
        });

        app.MapGet("/v1/logs", async (HttpContext ctx) =>
        {
            var q = ctx.Request.Query;
            var request = new GetContainerLog(q["namespace"].FirstOrDefault() ?? "default", q["pod"].FirstOrDefault() ?? "",
                q["container"].FirstOrDefault() is { Length: > 0 } c ? c : null,
                q["previous"] == "true", int.TryParse(q["tail"], out var t) && t >= 0 ? t : null);
            var follow = q["follow"] == "true";
            // another node's pod: that node reads (and follows) its own log files; one without a command API (or
            // not answering) is asked through the cluster below, which reaches its files but follows them only
            // where they are on this host
            if ((await ForwardToPodNodeAsync(ctx, streams, request.Namespace, request.Pod, withBody: false)).Forwarded) return;
            var reply = await gateway.Ask<ITroupeMessage>(request, settings.AskTimeout);
            // wait=true (troupe run): the pod was just created; its node may not have it yet
            var deadline = DateTime.UtcNow + settings.AskTimeout;
            while (q["wait"] == "true" && reply is CommandRejected { Code: "NotFound" } && DateTime.UtcNow < deadline && !ctx.RequestAborted.IsCancellationRequested)
            {
                await Task.Delay(20);
                reply = await gateway.Ask<ITroupeMessage>(request, settings.AskTimeout);
            }
            if (reply is not ContainerLog log)
            {
                ctx.Response.StatusCode = reply is CommandRejected { Code: "NotFound" } ? 404 : 400;
                await ctx.Response.WriteAsync(reply is CommandRejected r ? r.Reason : "unexpected reply");
                return;
            }
            ctx.Response.ContentType = "text/plain; charset=utf-8";
            await ctx.Response.WriteAsync(log.Text, ctx.RequestAborted);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
            if (follow && log.Path is not null && !request.Previous && !log.Finished)
                await Follow(ctx, gateway, settings, request with { Tail = 0 }, log.Path);
        });

        MapImages(app, images, imageBuilder, new RegistryClient());
        MapExec(app, streams);
        MapAttach(app, streams);

        await app.StartAsync();
        return app;
    }

    /// <summary>
    /// With TLS every request over TCP (HTTPS) carries the cluster's bearer token; the unix socket is the local
    /// node's own and needs none. Refused: 401 and one line.
    /// </summary>
    static Func<HttpContext, RequestDelegate, Task> RequireToken(TlsSettings tls) => async (ctx, next) =>
    {
        if (!ctx.Request.IsHttps || tls.Authorizes(ctx.Request.Headers.Authorization.FirstOrDefault()))
        {
            await next(ctx);
            return;
        }
        ctx.Response.StatusCode = StatusCodes.Status401Unauthorized;
        ctx.Response.Headers.WWWAuthenticate = "Bearer";
        ctx.Response.ContentType = "text/plain; charset=utf-8";
        await ctx.Response.WriteAsync(ctx.Request.Headers.Authorization.Count == 0
            ? "this API wants the cluster's bearer token (Authorization: Bearer; the shell sends TROUPE_TOKEN or $TROUPE_HOME/token)\n"
            : "the bearer token is not this cluster's\n");
    };

    /// <summary>Deletes and stops wait for a grace period; everything else for the ask timeout.</summary>
    static TimeSpan TimeoutFor(ITroupeMessage request, ActorsSettings settings) => request switch
    {
        DeleteObject d => TimeSpan.FromSeconds((d.GracePeriodSeconds ?? 30) + 40),
        StopPodContainers s => TimeSpan.FromSeconds((s.GracePeriodSeconds ?? 30) + 40),
        _ => settings.AskTimeout + TimeSpan.FromSeconds(5),
    };

    static async Task Write(HttpContext ctx, ITroupeMessage m)
    {
        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(ProtocolJson.SerializeToUtf8(m));
    }

    /// <summary>
    /// Streams lines appended to the attempt's log file; moves to the next attempt's file after a restart; ends once
    /// the container has finished for good and its file is read to the end (as <c>kubectl logs -f</c> does).
    /// </summary>
    static async Task Follow(HttpContext ctx, IActorRef gateway, ActorsSettings settings, GetContainerLog request, string path)
    {
        var ct = ctx.RequestAborted;
        var offset = File.Exists(path) ? new FileInfo(path).Length : 0; // a container still being created has no file yet
        var pending = new StringBuilder();
        var lastCheck = DateTime.UtcNow;
        var finished = false;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                if (File.Exists(path))
                {
                    await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                    if (fs.Length > offset)
                    {
                        fs.Seek(offset, SeekOrigin.Begin);
                        var buf = new byte[fs.Length - offset];
                        var n = await fs.ReadAsync(buf, ct);
                        offset += n;
                        pending.Append(Encoding.UTF8.GetString(buf, 0, n));
                        var text = pending.ToString();
                        var end = text.LastIndexOf('\n');
                        if (end >= 0)
                        {
                            await ctx.Response.WriteAsync(Troupe.Actors.Nodes.CriLog.Live(text[..end].Split('\n')), ct);
                            await ctx.Response.Body.FlushAsync(ct);
                            pending.Clear().Append(text[(end + 1)..]);
                        }
                    }
                }
                if (finished)
                {
                    if (pending.Length > 0) await ctx.Response.WriteAsync(Troupe.Actors.Nodes.CriLog.Text([pending.ToString()]), ct);
                    return;
                }
                if (DateTime.UtcNow - lastCheck > TimeSpan.FromMilliseconds(100))
                {
                    lastCheck = DateTime.UtcNow;
                    var now = await gateway.Ask<ITroupeMessage>(request, settings.AskTimeout);
                    if (now is not ContainerLog current) return;
                    if (current.Path is not null && current.Path != path)
                    {
                        path = current.Path;
                        offset = 0;
                        pending.Clear();
                        continue;
                    }
                    // one more read after it finished: what it wrote last is in the file now
                    finished = current.Finished;
                    if (finished) continue;
                }
                await Task.Delay(25, ct);
            }
        }
        catch (OperationCanceledException) { }
    }
}
