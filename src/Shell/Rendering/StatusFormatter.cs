using Troupe.Api.Objects;

namespace Troupe.Shell.Rendering;

/// <summary>The READY, STATUS and RESTARTS cells of a pod as kubectl computes them (its <c>printPod</c>).</summary>
public static class StatusFormatter
{
    /// <summary>
    /// kubectl's display status: the pod's reason, else its phase; overridden by the last container (in order)
    /// that is waiting (its reason, <c>CrashLoopBackOff</c>) or terminated (its reason, <c>Completed</c>,
    /// <c>Error</c>, <c>OOMKilled</c>, else <c>ExitCode:N</c> / <c>Signal:N</c>); <c>Completed</c> with a container
    /// still running shows <c>Running</c> (or <c>NotReady</c>); a pod being deleted is <c>Terminating</c>.
    /// </summary>
    public static string PodStatus(Pod pod)
    {
        var status = pod.Status;
        var reason = status?.Reason is { Length: > 0 } r ? r : status?.Phase ?? "Pending";
        var hasRunning = false;
        if (status is not null)
        {
            var cs = status.ContainerStatuses;
            for (var i = cs.Length - 1; i >= 0; i--)
            {
                var c = cs[i];
                if (c.State.Waiting is { Reason.Length: > 0 } w) reason = w.Reason;
                else if (c.State.Terminated is { } t)
                    reason = t.Reason is { Length: > 0 } tr ? tr : t.Signal is { } sig and not 0 ? $"Signal:{sig}" : $"ExitCode:{t.ExitCode}";
                else if (c.Ready && c.State.Running is not null) hasRunning = true;
            }
            if (reason == "Completed" && hasRunning)
                reason = status.Conditions.Any(c => c.Type == "Ready" && c.Status == "True") ? "Running" : "NotReady";
        }
        if (pod.Metadata.DeletionTimestamp is not null)
            reason = status?.Reason == "NodeLost" ? "Unknown" : "Terminating";
        return reason;
    }

    /// <summary><c>ready/total</c>: ready containers over the spec's containers.</summary>
    public static string Ready(Pod pod)
    {
        var cs = pod.Status?.ContainerStatuses ?? [];
        var ready = cs.Count(c => c.Ready && c.State.Running is not null);
        var total = pod.Spec.Containers.Length > 0 ? pod.Spec.Containers.Length : cs.Length;
        return $"{ready}/{total}";
    }

    /// <summary>The restart count summed over containers, with kubectl's <c>(12s ago)</c> since the last exit.</summary>
    public static string Restarts(Pod pod, DateTimeOffset now)
    {
        var restarts = 0;
        DateTimeOffset? last = null;
        foreach (var c in pod.Status?.ContainerStatuses ?? [])
        {
            restarts += c.RestartCount;
            if (c.LastState.Terminated?.FinishedAt is { } f && (last is null || f > last)) last = f;
        }
        return restarts != 0 && last is { } l ? $"{restarts} ({Durations.Kubectl(now - l)} ago)" : restarts.ToString();
    }

    /// <summary>A container state as <c>describe</c> names it: Running, Waiting or Terminated.</summary>
    public static string StateName(ContainerState s) =>
        s.Running is not null ? "Running" : s.Waiting is not null ? "Waiting" : s.Terminated is not null ? "Terminated" : "";
}
