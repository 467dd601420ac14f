using System.Globalization;
using System.Text;
using Troupe.Api.Objects;

namespace Troupe.Shell.Rendering;

/// <summary>
/// <c>troupe describe</c>: kubectl's text for an object, its status, conditions and the events that name it.
/// </summary>
public static class Describer
{
    public static string Describe(KubeObject o, IReadOnlyList<Event> events, DateTimeOffset now)
    {
        var w = new Writer();
        switch (o)
        {
            case Deployment d: Deployment(w, d); break;
            case ReplicaSet r: ReplicaSet(w, r); break;
            case Pod p: Pod(w, p, now); break;
            case Node n: Node(w, n); break;
            default: Meta(w, o.Metadata); break;
        }
        Events(w, events, now);
        return w.ToString();
    }

    /// <summary>The events about <paramref name="o"/>, oldest first; an event naming another uid was about an earlier object of that name.</summary>
    public static List<Event> EventsFor(KubeObject o, IEnumerable<KubeObject> events) =>
        events.OfType<Event>()
            .Where(e => e.InvolvedObject.Name == o.Metadata.Name && e.InvolvedObject.Kind == o.Kind &&
                        (e.InvolvedObject.Namespace is "" || e.InvolvedObject.Namespace == o.Metadata.Namespace) &&
                        (e.InvolvedObject.Uid is null || o.Metadata.Uid is null || e.InvolvedObject.Uid == o.Metadata.Uid))
            .OrderBy(e => e.LastTimestamp ?? e.FirstTimestamp ?? DateTimeOffset.MinValue)
            .ToList();

    static void Meta(Writer w, ObjectMeta m, bool namespaced = true)
    {
        w.Field(0, "Name", m.Name);
        if (namespaced) w.Field(0, "Namespace", m.Namespace);
        if (m.CreationTimestamp is { } t) w.Field(0, "CreationTimestamp", Time(t));
        Map(w, 0, "Labels", m.Labels, "=");
        Map(w, 0, "Annotations", m.Annotations, ": ");
    }

    static void Deployment(Writer w, Deployment d)
    {
        Meta(w, d.Metadata);
        var s = d.Status ?? new DeploymentStatus();
        w.Field(0, "Selector", ObjectTables.Selector(d.Spec.Selector));
        w.Field(0, "Replicas", $"{d.Spec.Replicas} desired | {s.UpdatedReplicas} updated | {s.Replicas} total | {s.AvailableReplicas} available | {s.UnavailableReplicas} unavailable");
        w.Field(0, "StrategyType", d.Spec.Strategy.Type);
        w.Field(0, "MinReadySeconds", d.Spec.MinReadySeconds.ToString(CultureInfo.InvariantCulture));
        if (d.Spec.Strategy.Type == "RollingUpdate" && d.Spec.Strategy.RollingUpdate is { } ru)
            w.Field(0, "RollingUpdateStrategy", $"{ru.MaxUnavailable} max unavailable, {ru.MaxSurge} max surge");
        Template(w, d.Spec.Template);
        if (!s.Conditions.IsDefaultOrEmpty)
        {
            w.Line(0, "Conditions:");
            var t = TableRenderer.Kubectl("Type", "Status", "Reason");
            t.Add("----", "------", "------");
            foreach (var c in s.Conditions) t.Add(c.Type, c.Status, c.Reason ?? "");
            w.Table(1, t);
        }
    }

    static void ReplicaSet(Writer w, ReplicaSet r)
    {
        Meta(w, r.Metadata);
        var s = r.Status ?? new ReplicaSetStatus();
        w.Field(0, "Selector", ObjectTables.Selector(r.Spec.Selector));
        var owner = r.Metadata.OwnerReferences.FirstOrDefault(o => o.Controller);
        if (owner is not null) w.Field(0, "Controlled By", $"{owner.Kind}/{owner.Name}");
        w.Field(0, "Replicas", $"{s.Replicas} current / {r.Spec.Replicas} desired");
        w.Field(0, "Pods Status", $"{s.ReadyReplicas} Running / {Math.Max(0, s.Replicas - s.ReadyReplicas)} Waiting / 0 Succeeded / 0 Failed");
        Template(w, r.Spec.Template);
    }

    static void Template(Writer w, PodTemplateSpec t)
    {
        w.Line(0, "Pod Template:");
        Map(w, 1, "Labels", t.Metadata.Labels, "=");
        w.Line(1, "Containers:");
        foreach (var c in t.Spec.Containers) ContainerSpec(w, c, null);
    }

    static void ContainerSpec(Writer w, Container c, ContainerStatus? status)
    {
        w.Line(1, (status is null ? " " : "") + c.Name + ":"); // kubectl indents a template's containers one more
        if (status?.ContainerID is { } id) w.Field(2, "Container ID", id);
        w.Field(2, "Image", c.Image);
        if (status?.ImageID is { } imageId) w.Field(2, "Image ID", imageId);
        if (c.Ports.IsDefaultOrEmpty) w.Field(2, "Port", "<none>");
        else w.Field(2, c.Ports.Length == 1 ? "Port" : "Ports", string.Join(", ", c.Ports.Select(p => $"{p.ContainerPort}/{p.Protocol}")));
        if (c.Ports.Any(p => p.HostPort is not null))
            w.Field(2, "Host Port", string.Join(", ", c.Ports.Select(p => $"{p.HostPort ?? 0}/{p.Protocol}")));
        List(w, "Command", c.Command);
        List(w, "Args", c.Args);
        if (status is not null)
        {
            State(w, "State", status.State);
            if (status.LastState.Running is not null || status.LastState.Waiting is not null || status.LastState.Terminated is not null)
                State(w, "Last State", status.LastState);
            w.Field(2, "Ready", status.Ready ? "True" : "False");
            w.Field(2, "Restart Count", status.RestartCount.ToString(CultureInfo.InvariantCulture));
        }
        Map(w, 2, "Limits", c.Resources.Limits, ": ", hideEmpty: true);
        Map(w, 2, "Requests", c.Resources.Requests, ": ", hideEmpty: true);
        if (c.Env.IsDefaultOrEmpty) w.Field(2, "Environment", "<none>");
        else
        {
            w.Line(2, "Environment:");
            foreach (var e in c.Env) w.Field(3, e.Name, e.Value);
        }
    }

    static void State(Writer w, string label, ContainerState s)
    {
        w.Field(2, label, StatusFormatter.StateName(s));
        if (s.Running is { } r) w.Field(3, "Started", Time(r.StartedAt));
        if (s.Waiting is { } wt)
        {
            w.Field(3, "Reason", wt.Reason);
            if (wt.Message is { Length: > 0 } m) w.Field(3, "Message", m);
        }
        if (s.Terminated is { } t)
        {
            if (t.Reason is { Length: > 0 } reason) w.Field(3, "Reason", reason);
            if (t.Message is { Length: > 0 } m) w.Field(3, "Message", m);
            w.Field(3, "Exit Code", t.ExitCode.ToString(CultureInfo.InvariantCulture));
            if (t.Signal is { } sig and not 0) w.Field(3, "Signal", sig.ToString(CultureInfo.InvariantCulture));
            if (t.StartedAt is { } st) w.Field(3, "Started", Time(st));
            if (t.FinishedAt is { } f) w.Field(3, "Finished", Time(f));
        }
    }

    static void Pod(Writer w, Pod p, DateTimeOffset now)
    {
        w.Field(0, "Name", p.Metadata.Name);
        w.Field(0, "Namespace", p.Metadata.Namespace);
        var host = p.Status?.HostIP;
        w.Field(0, "Node", p.Spec.NodeName is null ? "<none>" : host is null ? p.Spec.NodeName : $"{p.Spec.NodeName}/{host}");
        if (p.Status?.StartTime is { } start) w.Field(0, "Start Time", Time(start));
        Map(w, 0, "Labels", p.Metadata.Labels, "=");
        Map(w, 0, "Annotations", p.Metadata.Annotations, ": ");
        var status = p.Metadata.DeletionTimestamp is not null ? "Terminating" : p.Status?.Phase ?? "Pending";
        w.Field(0, "Status", status);
        if (p.Status?.Reason is { Length: > 0 } reason) w.Field(0, "Reason", reason);
        if (p.Status?.Message is { Length: > 0 } message) w.Field(0, "Message", message);
        w.Field(0, "IP", p.Status?.PodIP ?? "");
        var owner = p.Metadata.OwnerReferences.FirstOrDefault(o => o.Controller);
        if (owner is not null) w.Field(0, "Controlled By", $"{owner.Kind}/{owner.Name}");
        w.Line(0, "Containers:");
        foreach (var c in p.Spec.Containers)
            ContainerSpec(w, c, p.Status?.ContainerStatuses.FirstOrDefault(s => s.Name == c.Name) ?? new ContainerStatus { Name = c.Name });
        if (p.Status is { Conditions.IsDefaultOrEmpty: false } st)
        {
            w.Line(0, "Conditions:");
            var t = TableRenderer.Kubectl("Type", "Status");
            t.Add("----", "------");
            foreach (var c in st.Conditions) t.Add(c.Type, c.Status);
            w.Table(1, t);
        }
        w.Field(0, "Restart Policy", p.Spec.RestartPolicy);
        w.Field(0, "Termination Grace", $"{p.Spec.TerminationGracePeriodSeconds}s");
    }

    static void Node(Writer w, Node n)
    {
        Meta(w, n.Metadata, namespaced: false);
        w.Field(0, "Roles", n.Status.Roles.IsDefaultOrEmpty ? "<none>" : string.Join(",", n.Status.Roles));
        w.Field(0, "Status", n.Status.Phase);
        w.Field(0, "Address", n.Status.Address);
        w.Field(0, "Driver", n.Status.Driver);
        Map(w, 0, "Capacity", n.Status.Capacity, ": ");
        Map(w, 0, "Allocated", n.Status.Allocated, ": ");
        w.Field(0, "Pods", n.Status.Pods.ToString(CultureInfo.InvariantCulture));
    }

    static void Events(Writer w, IReadOnlyList<Event> events, DateTimeOffset now)
    {
        if (events.Count == 0)
        {
            w.Field(0, "Events", "<none>");
            return;
        }
        w.Line(0, "Events:");
        var t = TableRenderer.Kubectl("Type", "Reason", "Age", "From", "Message");
        t.Add("----", "------", "----", "----", "-------");
        foreach (var e in events)
        {
            var age = Durations.Since(e.LastTimestamp ?? e.FirstTimestamp, now);
            if (e.Count > 1 && e.FirstTimestamp is { } first)
                age = $"{age} (x{e.Count} over {Durations.Kubectl(now - first)})";
            t.Add(e.Type, e.Reason, age, e.Source?.Component ?? "", e.Message.ReplaceLineEndings(" "));
        }
        w.Table(1, t);
    }

    static void Map(Writer w, int level, string label, IReadOnlyDictionary<string, string> map, string sep, bool hideEmpty = false)
    {
        if (map.Count == 0)
        {
            if (!hideEmpty) w.Field(level, label, "<none>");
            return;
        }
        if (level > 0 && hideEmpty)
        {
            w.Line(level, label + ":");
            foreach (var (k, v) in map) w.Line(level + 1, $"{k}{sep}{v}");
            return;
        }
        var firstDone = false;
        foreach (var (k, v) in map)
        {
            if (!firstDone) { w.Field(level, label, $"{k}{sep}{v}"); firstDone = true; }
            else w.Field(level, "", $"{k}{sep}{v}", noColon: true);
        }
    }

    static void List(Writer w, string label, IReadOnlyList<string> items)
    {
        if (items.Count == 0) return;
        w.Line(2, label + ":");
        foreach (var i in items) w.Line(3, i);
    }

    static string Time(DateTimeOffset t) => t.ToUniversalTime().ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture);

    sealed class Writer
    {
        readonly StringBuilder _sb = new();
        static readonly int[] Widths = [24, 16, 16, 14];

        public void Line(int level, string text) => _sb.Append(' ', level * 2).Append(text).Append('\n');

        public void Field(int level, string label, string value, bool noColon = false)
        {
            var head = noColon ? label : label + ":";
            var width = Widths[Math.Min(level, Widths.Length - 1)];
            _sb.Append(' ', level * 2).Append(head);
            _sb.Append(' ', Math.Max(1, width - head.Length)).Append(value.ReplaceLineEndings(" ")).Append('\n');
        }

        public void Table(int level, TableRenderer t)
        {
            var sw = new StringWriter();
            t.WriteTo(sw);
            foreach (var line in sw.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
                Line(level, line);
        }

        public override string ToString() => _sb.ToString();
    }
}
