using Akka.Actor;
using Microsoft.AspNetCore.Http;
using Troupe.Actors.Hosting;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;
using Troupe.Runtime.Drivers;

namespace Troupe.Actors.Gateway;

/// <summary>
/// What the streaming endpoints (<c>exec</c>, <c>attach</c>, <c>logs</c>) need: the gateway, this node's name and
/// driver (null on a node that runs no pods), and how to reach another node's command API
/// (<see cref="ApiOf"/>: its <c>host:port</c>, or null and why not: it is not up, or has none) with the cluster's TLS.
/// </summary>
public sealed record PodStreams(IActorRef Gateway, ActorsSettings Settings, IContainerDriver? Driver, string NodeName,
    Func<string, CancellationToken, Task<(string? Api, string? Why)>> ApiOf, TlsSettings? Tls);

public static partial class HttpApi
{
    /// <summary>
    /// A request body that is a process's stdin (exec -i, attach), here or passed on to another node: an interactive
    /// session may type nothing for minutes and stdin may be large, so Kestrel's minimum upload rate and its 30 MB
    /// cap must not end it.
    /// </summary>
    static void LiftBodyLimits(HttpContext ctx)
    {
        if (ctx.Features.Get<Microsoft.AspNetCore.Server.Kestrel.Core.Features.IHttpMinRequestBodyDataRateFeature>() is { } rate) rate.MinDataRate = null;
        if (ctx.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = null;
    }

    /// <summary>
    /// A pod bound to another node has its streams served there: its command API gets the request
    /// (<see cref="HttpForward"/>) and the answer is passed on. Forwarded: that node answered <paramref name="ctx"/>.
    /// Not forwarded, no refusal: the pod is this node's (or unknown, or not bound yet, or the request was forwarded
    /// here already), the caller answers. A refusal: the pod's node has no command API or does not answer.
    /// </summary>
    static async Task<(bool Forwarded, CommandRejected? Refused)> ForwardToPodNodeAsync(HttpContext ctx, PodStreams streams,
        string ns, string podName, bool withBody)
    {
        if (ctx.Request.Headers.ContainsKey(HttpForward.ForwardedHeader)) return (false, null);
        string node, api;
        try
        {
            var found = await streams.Gateway.Ask<ITroupeMessage>(new GetObjects("Pod", ns, podName), streams.Settings.AskTimeout);
            if (found is not ObjectList { Items: [Pod pod, ..] } || pod.Spec.NodeName is not { Length: > 0 } bound || bound == streams.NodeName)
                return (false, null);
            node = bound;
            var (address, why) = await streams.ApiOf(node, ctx.RequestAborted);
            if (address is null)
                return (false, new CommandRejected("Unavailable", $"pod {podName} runs on node {node}, which {why}; run the command against that node"));
            api = address;
        }
        catch (AskTimeoutException) { return (false, new CommandRejected("Unavailable", "the node did not answer in time")); }
        if (withBody) LiftBodyLimits(ctx);
        try
        {
            await HttpForward.ForwardAsync(ctx, api, streams.Tls, withBody);
            return (true, null);
        }
        catch (HttpForward.UnreachableException e)
        {
            return (false, new CommandRejected("Unavailable", $"pod {podName} runs on node {node}, and {e.Message}"));
        }
    }
}
