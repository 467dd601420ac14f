using Troupe.Api.Objects;

namespace Troupe.Shell.Rendering;

/// <summary>The tables of <c>troupe get KIND</c>, with kubectl's columns (and <c>-o wide</c>'s extra ones).</summary>
public static class ObjectTables
{
    public static TableRenderer Render(string kind, IReadOnlyList<KubeObject> items, DateTimeOffset now, bool wide = false,
        bool allNamespaces = false, string? nodeVersion = null)
    {
        var (headers, row) = Columns(kind, now, wide, nodeVersion);
        if (allNamespaces && Kinds.IsNamespaced(kind)) headers = ["NAMESPACE", .. headers];
        var table = TableRenderer.Kubectl(headers);
        foreach (var o in items)
        {
            var cells = row(o);
            table.Add(allNamespaces && Kinds.IsNamespaced(kind) ? [o.Metadata.Namespace, .. cells] : cells);
        }
        return table;
    }

    static (string[] Headers, Func<KubeObject, string[]> Row) Columns(string kind, DateTimeOffset now, bool wide, string? nodeVersion)
    {
        string Age(KubeObject o) => Durations.Since(o.Metadata.CreationTimestamp, now);
        switch (kind)
        {
            case "Pod":
                return (wide ? ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"] : ["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
                    o =>
                    {
                        var p = (Pod)o;
                        string[] cells = [p.Metadata.Name, StatusFormatter.Ready(p), StatusFormatter.PodStatus(p), StatusFormatter.Restarts(p, now), Age(p)];
                        return wide ? [.. cells, None(p.Status?.PodIP), None(p.Spec.NodeName)] : cells;
                    });
            case "Deployment":
                return (wide ? ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"] : ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
                    o =>
                    {
                        var d = (Deployment)o;
                        var s = d.Status ?? new DeploymentStatus();
                        string[] cells = [d.Metadata.Name, $"{s.ReadyReplicas}/{d.Spec.Replicas}", s.UpdatedReplicas.ToString(), s.AvailableReplicas.ToString(), Age(d)];
                        return wide ? [.. cells, .. TemplateCells(d.Spec.Template, d.Spec.Selector)] : cells;
                    });
            case "ReplicaSet":
                return (wide ? ["NAME", "DESIRED", "CURRENT", "READY", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"] : ["NAME", "DESIRED", "CURRENT", "READY", "AGE"],
                    o =>
                    {
                        var r = (ReplicaSet)o;
                        var s = r.Status ?? new ReplicaSetStatus();
                        string[] cells = [r.Metadata.Name, r.Spec.Replicas.ToString(), s.Replicas.ToString(), s.ReadyReplicas.ToString(), Age(r)];
                        return wide ? [.. cells, .. TemplateCells(r.Spec.Template, r.Spec.Selector)] : cells;
                    });
            case "Event":
                return (["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"],
                    o =>
                    {
                        var e = (Event)o;
                        return [Durations.Since(e.LastTimestamp ?? e.FirstTimestamp ?? e.Metadata.CreationTimestamp, now), e.Type, e.Reason,
                            $"{e.InvolvedObject.Kind.ToLowerInvariant()}/{e.InvolvedObject.Name}", e.Message.ReplaceLineEndings(" ")];
                    });
            case "Node":
                // kubectl's columns, then what the node has given out of what it has (requests; kubectl describe's "Allocated resources")
                return (wide ? ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "CPU", "MEMORY", "PODS", "INTERNAL-IP", "POD-CIDR", "DRIVER", "TAINTS"]
                        : ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "CPU", "MEMORY", "PODS"],
                    o =>
                    {
                        var n = (Node)o;
                        var status = n.Status.Phase == "Up" ? "Ready" : n.Status.Phase;
                        var roles = n.Status.Roles.IsDefaultOrEmpty ? "<none>" : string.Join(",", n.Status.Roles);
                        // a member that runs no pods (a lighthouse, a control-only node) has no capacity: dashes
                        var runsPods = n.Status.Capacity.ContainsKey("pods");
                        string Share(string key) => !runsPods ? "-" :
                            $"{n.Status.Allocated.GetValueOrDefault(key, "0")}/{Quantity(n.Status.Capacity.GetValueOrDefault(key, "?"))}";
                        string[] cells = [n.Metadata.Name, status, roles, Age(n), nodeVersion ?? "<unknown>", Share("cpu"), Share("memory"),
                            runsPods ? $"{n.Status.Pods}/{n.Status.Capacity["pods"]}" : "-"];
                        var taints = n.Spec.Taints.IsDefaultOrEmpty ? "<none>" : string.Join(",", n.Spec.Taints.Select(t => t.ToString()));
                        return wide ? [.. cells, None(n.Status.Address), None(n.Spec.PodCIDR), None(n.Status.Driver), taints] : cells;
                    });
            case "Service":
                return (wide ? ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"] : ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
                    o =>
                    {
                        var svc = (Service)o;
                        var external = svc.Spec.Type == "LoadBalancer"
                            ? svc.Status?.LoadBalancer.Ingress is { IsDefaultOrEmpty: false } ing ? string.Join(",", ing.Select(i => i.Ip)) : "localhost"
                            : "<none>";
                        // kubectl: 80/TCP, or 80:30080/TCP with a node port
                        var ports = svc.Spec.Ports.IsDefaultOrEmpty ? "<none>"
                            : string.Join(",", svc.Spec.Ports.Select(p => p.NodePort is { } np ? $"{p.Port}:{np}/{p.Protocol}" : $"{p.Port}/{p.Protocol}"));
                        string[] cells = [svc.Metadata.Name, svc.Spec.Type, None(svc.Spec.ClusterIP), external, ports, Age(svc)];
                        return wide ? [.. cells, svc.Spec.Selector.IsEmpty ? "<none>" : string.Join(",", svc.Spec.Selector.Select(kv => $"{kv.Key}={kv.Value}"))] : cells;
                    });
            case "Endpoints":
                return (["NAME", "ENDPOINTS", "AGE"],
                    o =>
                    {
                        var ep = (Endpoints)o;
                        var all = ep.Subsets.SelectMany(s => s.Addresses.SelectMany(a => s.Ports.Select(p => $"{a.Ip}:{p.Port}"))).ToList();
                        // kubectl shows three and counts the rest
                        var text = all.Count == 0 ? "<none>" : all.Count <= 3 ? string.Join(",", all) : $"{string.Join(",", all.Take(3))} + {all.Count - 3} more...";
                        return [ep.Metadata.Name, text, Age(ep)];
                    });
            case "ConfigMap":
                return (["NAME", "DATA", "AGE"], o =>
                {
                    var cm = (ConfigMap)o;
                    return [cm.Metadata.Name, (cm.Data.Count + cm.BinaryData.Count).ToString(), Age(cm)];
                });
            case "Namespace":
                return (["NAME", "STATUS", "AGE"], o => [o.Metadata.Name, ((Namespace)o).Status?.Phase ?? "Active", Age(o)]);
            default:
                return (["NAME", "AGE"], o => [o.Metadata.Name, Age(o)]);
        }
    }

    static string[] TemplateCells(PodTemplateSpec t, LabelSelector selector) =>
    [
        string.Join(",", t.Spec.Containers.Select(c => c.Name)),
        string.Join(",", t.Spec.Containers.Select(c => c.Image)),
        Selector(selector),
    ];

    /// <summary><c>app=web,tier in (a,b)</c>, or <c>&lt;none&gt;</c>.</summary>
    public static string Selector(LabelSelector s)
    {
        var parts = s.MatchLabels.Select(kv => $"{kv.Key}={kv.Value}").ToList();
        foreach (var r in s.MatchExpressions)
            parts.Add(r.Operator switch
            {
                "In" => $"{r.Key} in ({string.Join(",", r.Values)})",
                "NotIn" => $"{r.Key} notin ({string.Join(",", r.Values)})",
                "Exists" => r.Key,
                "DoesNotExist" => "!" + r.Key,
                _ => $"{r.Key} {r.Operator}",
            });
        return parts.Count == 0 ? "<none>" : string.Join(",", parts);
    }

    static string None(string? s) => string.IsNullOrEmpty(s) ? "<none>" : s;

    /// <summary>A capacity in Ki as a person reads it (<c>24551216Ki</c> → <c>23Gi</c>); anything else as it is.</summary>
    static string Quantity(string q)
    {
        if (!q.EndsWith("Ki", StringComparison.Ordinal) || !long.TryParse(q[..^2], out var ki)) return q;
        return ki >= 1L << 20 ? $"{ki >> 20}Gi" : ki >= 1L << 10 ? $"{ki >> 10}Mi" : q;
    }
}
