using System.Collections.Immutable;
using Troupe.Api.Objects;

namespace Troupe.Shell.Connection;

/// <summary>
/// Puts back the defaults a field left out of the JSON loses. The source-generated deserializer sets init-only
/// properties in one object initializer, so a field missing from the JSON becomes <c>null</c> or a default
/// <see cref="ImmutableArray{T}"/> instead of its declared <c>= new()</c> / <c>Empty</c>. A node (or another version
/// of one) may leave empty fields out; the shell must still render and re-serialise what it got.
/// </summary>
public static class ObjectDefaults
{
    public static KubeObject Fill(KubeObject o) => o switch
    {
        Pod p => p with { Metadata = Meta(p.Metadata), Spec = Spec(p.Spec), Status = p.Status is null ? null : Status(p.Status) },
        Deployment d => d with
        {
            Metadata = Meta(d.Metadata),
            Spec = (d.Spec ?? new()) is var s ? s with
            {
                Selector = Selector(s.Selector), Template = Template(s.Template), Strategy = s.Strategy ?? new(),
            } : null!,
            Status = d.Status is null ? null : d.Status with { Conditions = A(d.Status.Conditions) },
        },
        ReplicaSet r => r with
        {
            Metadata = Meta(r.Metadata),
            Spec = (r.Spec ?? new()) is var s ? s with { Selector = Selector(s.Selector), Template = Template(s.Template) } : null!,
        },
        Event e => e with
        {
            Metadata = Meta(e.Metadata), InvolvedObject = e.InvolvedObject ?? new("", "", ""), Reason = e.Reason ?? "",
            Message = e.Message ?? "", Type = e.Type ?? "Normal",
        },
        Node n => n with
        {
            Metadata = Meta(n.Metadata),
            Status = (n.Status ?? new()) is var s ? s with
            {
                Roles = A(s.Roles), Capacity = s.Capacity ?? ImmutableSortedDictionary<string, string>.Empty,
                Allocated = s.Allocated ?? ImmutableSortedDictionary<string, string>.Empty, Phase = s.Phase ?? "Up",
                Address = s.Address ?? "", Driver = s.Driver ?? "",
            } : null!,
        },
        _ => o with { Metadata = Meta(o.Metadata) },
    };

    static ImmutableArray<T> A<T>(ImmutableArray<T> a) => a.IsDefault ? ImmutableArray<T>.Empty : a;
    static ImmutableSortedDictionary<string, string> D(ImmutableSortedDictionary<string, string>? d) => d ?? ImmutableSortedDictionary<string, string>.Empty;

    static ObjectMeta Meta(ObjectMeta? m) => (m ?? new()) with
    {
        Name = m?.Name ?? "", Namespace = m?.Namespace ?? "default", Labels = D(m?.Labels), Annotations = D(m?.Annotations),
        OwnerReferences = A(m?.OwnerReferences ?? default),
    };

    static LabelSelector Selector(LabelSelector? s) => (s ?? new()) with
    {
        MatchLabels = D(s?.MatchLabels), MatchExpressions = A(s?.MatchExpressions ?? default),
    };

    static PodTemplateSpec Template(PodTemplateSpec? t) => (t ?? new()) with { Metadata = Meta(t?.Metadata), Spec = Spec(t?.Spec) };

    static PodSpec Spec(PodSpec? s) => (s ?? new()) with
    {
        Containers = A(s?.Containers ?? default).Select(Container).ToImmutableArray(),
        InitContainers = A(s?.InitContainers ?? default).Select(Container).ToImmutableArray(),
        NodeSelector = D(s?.NodeSelector), RestartPolicy = s?.RestartPolicy ?? "Always",
    };

    static Container Container(Container c) => c with
    {
        Name = c.Name ?? "", Image = c.Image ?? "", Command = A(c.Command), Args = A(c.Args), Env = A(c.Env), Ports = A(c.Ports),
        Resources = (c.Resources ?? new()) is var r ? r with { Limits = D(r.Limits), Requests = D(r.Requests) } : null!,
    };

    static PodStatus Status(PodStatus s) => s with
    {
        Phase = s.Phase ?? "Pending", Conditions = A(s.Conditions),
        ContainerStatuses = A(s.ContainerStatuses).Select(c => c with
        {
            Name = c.Name ?? "", Image = c.Image ?? "", State = c.State ?? new(), LastState = c.LastState ?? new(),
        }).ToImmutableArray(),
    };
}
