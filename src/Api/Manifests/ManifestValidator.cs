using System.Collections.Immutable;
using Troupe.Api.Objects;

namespace Troupe.Api.Manifests;

/// <summary>
/// Validates objects whole, before anything is applied, with Kubernetes' rules (and Troupe's limits, which
/// say so). Every problem of every object is collected; <see cref="Validate(ManifestSet)"/> throws them
/// together as one <see cref="ManifestException"/>, each with the file, line, column and field.
/// </summary>
public static class ManifestValidator
{
    /// <summary>Troupe's limit on <c>spec.replicas</c>.</summary>
    public const int MaxReplicas = 10000;

    /// <summary>Throws <see cref="ManifestException"/> with every problem of <paramref name="set"/>, if any.</summary>
    public static void Validate(ManifestSet set)
    {
        var problems = Check(set);
        if (!problems.IsEmpty) throw new ManifestException(problems);
    }

    /// <summary>Throws <see cref="ManifestException"/> with every problem of <paramref name="objects"/> (no source positions).</summary>
    public static void Validate(IEnumerable<KubeObject> objects)
    {
        var problems = Check(objects);
        if (!problems.IsEmpty) throw new ManifestException(problems);
    }

    /// <summary>Every problem of every object of <paramref name="set"/>, duplicates included.</summary>
    public static ImmutableArray<ManifestProblem> Check(ManifestSet set) => Check(set.Entries);

    /// <summary>Every problem of objects that came without a source (over the wire): located by kind and name.</summary>
    public static ImmutableArray<ManifestProblem> Check(IEnumerable<KubeObject> objects) =>
        Check(objects.Select(o => new ManifestEntry(o, SourceMap.None($"{o.Kind}/{o.Metadata.Name}"))));

    /// <summary>Every problem of one object.</summary>
    public static ImmutableArray<ManifestProblem> Check(KubeObject obj, SourceMap? source = null) => Check(obj, source, dockerName: false);

    /// <summary>
    /// Every problem of one object; with <paramref name="dockerName"/> (a pod of <c>troupe run</c>) its name follows
    /// Docker's container names (<see cref="NameRules.ContainerName"/>: <c>my_app</c>, <c>MyApp</c>) instead of a DNS subdomain.
    /// </summary>
    public static ImmutableArray<ManifestProblem> Check(KubeObject obj, SourceMap? source, bool dockerName)
    {
        var problems = new List<ManifestProblem>();
        Object(new Ctx(source ?? SourceMap.None($"{obj.Kind}/{obj.Metadata.Name}"), problems) { DockerName = dockerName }, obj);
        return [.. problems];
    }

    static ImmutableArray<ManifestProblem> Check(IEnumerable<ManifestEntry> entries)
    {
        var problems = new List<ManifestProblem>();
        var seen = new Dictionary<(string, string, string), ManifestEntry>();
        foreach (var e in entries)
        {
            var ctx = new Ctx(e.Source, problems);
            Object(ctx, e.Object);
            var key = (e.Object.Kind, e.Object.Metadata.Namespace, e.Object.Metadata.Name);
            if (e.Object.Metadata.Name.Length == 0) continue;
            if (seen.TryGetValue(key, out var first))
                ctx.Fail("metadata.name", $"{e.Object.Kind} {key.Item2}/{key.Item3} is defined twice in one apply (first at {first.Location})");
            else seen[key] = e;
        }
        return [.. problems];
    }

    sealed class Ctx(SourceMap map, List<ManifestProblem> problems)
    {
        public void Fail(string path, string message) => problems.Add(map.Problem(path, message));
        public bool Has(string path) => map.Has(path);
        public bool DockerName { get; init; }
    }

    static void Object(Ctx c, KubeObject obj)
    {
        Metadata(c, obj.Metadata, "metadata", template: false);
        switch (obj)
        {
            case Deployment d: DeploymentSpec(c, d.Spec); break;
            case ReplicaSet rs: ReplicaSetSpec(c, rs.Spec); break;
            case Pod p: PodSpec(c, p.Spec, "spec", requireAlways: false); break;
            case Service svc: ServiceSpec(c, svc.Spec); break;
            case ConfigMap cm: ConfigMapData(c, cm); break;
            case Namespace ns:
                if (ns.Metadata.Name.Length > 0 && NameRules.DnsLabel(ns.Metadata.Name) is { } badNs) c.Fail("metadata.name", badNs);
                break;
        }
    }

    /// <summary>Kubernetes' limit on a ConfigMap's data: 1 MiB in all.</summary>
    public const int MaxConfigMapBytes = 1024 * 1024;

    static void ConfigMapData(Ctx c, ConfigMap cm)
    {
        long size = 0;
        foreach (var (k, v) in cm.Data)
        {
            if (ConfigMapKey(k) is { } bad) c.Fail(FieldPath.Key("data", k), bad);
            size += k.Length + System.Text.Encoding.UTF8.GetByteCount(v);
        }
        foreach (var (k, v) in cm.BinaryData)
        {
            var p = FieldPath.Key("binaryData", k);
            if (ConfigMapKey(k) is { } bad) c.Fail(p, bad);
            if (cm.Data.ContainsKey(k)) c.Fail(p, $"duplicate of key \"{k}\" in data");
            var bytes = new byte[v.Length];
            if (!Convert.TryFromBase64String(v, bytes, out var n)) c.Fail(p, "must be base64");
            size += k.Length + n;
        }
        if (size > MaxConfigMapBytes) c.Fail("data", $"must have at most {MaxConfigMapBytes} bytes in all, got {size}");
    }

    /// <summary>A ConfigMap key: <c>[-._a-zA-Z0-9]+</c>, at most 253 characters, not <c>.</c> or <c>..</c>.</summary>
    public static string? ConfigMapKey(string k)
    {
        if (k.Length == 0) return "a key must not be empty";
        if (k.Length > 253) return $"must be no more than 253 characters, got {k.Length}";
        if (k is "." or "..") return $"must not be '{k}'";
        if (!k.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.'))
            return $"a valid config key must consist of alphanumeric characters, '-', '_' or '.', got \"{k}\"";
        return null;
    }

    /// <summary>The fields <c>env[].valueFrom.fieldRef</c> may name (Kubernetes' downward API for env).</summary>
    public static bool IsEnvFieldPath(string f) =>
        f is "metadata.name" or "metadata.namespace" or "metadata.uid" or "spec.nodeName" or "spec.serviceAccountName"
            or "status.podIP" or "status.podIPs" or "status.hostIP" or "status.hostIPs"
        || (f.StartsWith("metadata.labels['", StringComparison.Ordinal) || f.StartsWith("metadata.annotations['", StringComparison.Ordinal)) && f.EndsWith("']", StringComparison.Ordinal);

    /// <summary>NodePort's range, as Kubernetes' default <c>--service-node-port-range</c>.</summary>
    public const int NodePortMin = 30000, NodePortMax = 32767;

    static void ServiceSpec(Ctx c, ServiceSpec s)
    {
        if (s.Type is not ("ClusterIP" or "NodePort" or "LoadBalancer"))
            c.Fail("spec.type", s.Type == "ExternalName"
                ? "ExternalName Services are not supported by Troupe yet"
                : $"unsupported value \"{s.Type}\": supported values are \"ClusterIP\", \"NodePort\" and \"LoadBalancer\"");
        if (s.ClusterIP is { } ip && ip != "None" && !(System.Net.IPAddress.TryParse(ip, out var addr) && addr.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork))
            c.Fail("spec.clusterIP", $"must be an IPv4 address or None, got \"{ip}\"");
        if (s.ClusterIP == "None" && s.Type != "ClusterIP") c.Fail("spec.clusterIP", $"may not be None for a {s.Type} Service");
        if (s.Ports.IsDefaultOrEmpty && s.ClusterIP != "None") c.Fail("spec.ports", "at least one port is required");
        foreach (var (k, v) in s.Selector)
        {
            var p = FieldPath.Key("spec.selector", k);
            if (NameRules.LabelKey(k) is { } badKey) c.Fail(p, badKey);
            if (NameRules.LabelValue(v) is { } badValue) c.Fail(p, badValue);
        }
        if (s.Ports.IsDefault) return;
        var names = new HashSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<(int, string)>();
        for (var i = 0; i < s.Ports.Length; i++)
        {
            var port = s.Ports[i];
            var p = $"spec.ports[{i}]";
            if (s.Ports.Length > 1 && string.IsNullOrEmpty(port.Name)) c.Fail($"{p}.name", "is required when a Service has more than one port");
            else if (port.Name is { Length: > 0 } n && (NameRules.DnsLabel(n) is { } badName ? Fail(c, $"{p}.name", badName) : !names.Add(n)))
                c.Fail($"{p}.name", $"duplicate port name \"{n}\"");
            if (port.Port is < 1 or > 65535) c.Fail($"{p}.port", port.Port == 0 && !c.Has($"{p}.port") ? "is required" : $"must be between 1 and 65535, inclusive, got {port.Port}");
            if (port.Protocol != "TCP")
                c.Fail($"{p}.protocol", port.Protocol is "UDP" or "SCTP" ? $"{port.Protocol} Services are not supported by Troupe yet (TCP only)" : $"unsupported value \"{port.Protocol}\": supported values are \"TCP\", \"UDP\" and \"SCTP\"");
            else if (!seen.Add((port.Port, port.Protocol))) c.Fail($"{p}.port", $"duplicate port {port.Port}/{port.Protocol}");
            if (port.TargetPort is { } t)
            {
                if (t.Number is { } tn) { if (tn is < 1 or > 65535) c.Fail($"{p}.targetPort", $"must be between 1 and 65535, inclusive, got {tn}"); }
                else if (NameRules.PortName(t.Value) is { } badTarget) c.Fail($"{p}.targetPort", badTarget);
            }
            if (port.NodePort is { } np)
            {
                if (s.Type == "ClusterIP") c.Fail($"{p}.nodePort", "may not be used when type is 'ClusterIP'");
                else if (np is < NodePortMin or > NodePortMax) c.Fail($"{p}.nodePort", $"provided port is not in the valid range. The range of valid ports is {NodePortMin}-{NodePortMax}, got {np}");
            }
        }
    }

    static bool Fail(Ctx c, string path, string message)
    {
        c.Fail(path, message);
        return false;
    }

    static void Metadata(Ctx c, ObjectMeta m, string path, bool template)
    {
        if (!template)
        {
            if (m.Name.Length == 0) c.Fail($"{path}.name", "is required");
            else if ((c.DockerName ? NameRules.ContainerName(m.Name) : NameRules.DnsSubdomain(m.Name)) is { } bad) c.Fail($"{path}.name", bad);
            if (m.Namespace.Length > 0 && NameRules.DnsLabel(m.Namespace) is { } badNs) c.Fail($"{path}.namespace", badNs);
        }
        foreach (var (k, v) in m.Labels)
        {
            var p = FieldPath.Key($"{path}.labels", k);
            if (NameRules.LabelKey(k) is { } badKey) c.Fail(p, badKey);
            if (NameRules.LabelValue(v) is { } badValue) c.Fail(p, badValue);
        }
        long size = 0;
        foreach (var (k, v) in m.Annotations)
        {
            if (NameRules.LabelKey(k) is { } badKey) c.Fail(FieldPath.Key($"{path}.annotations", k), badKey);
            size += k.Length + v.Length;
        }
        if (size > 256 * 1024) c.Fail($"{path}.annotations", $"must have at most 262144 bytes in all, got {size}");
    }

    static void DeploymentSpec(Ctx c, DeploymentSpec s)
    {
        Replicas(c, s.Replicas);
        if (s.MinReadySeconds < 0) c.Fail("spec.minReadySeconds", $"must be greater than or equal to 0, got {s.MinReadySeconds}");
        if (s.RevisionHistoryLimit < 0) c.Fail("spec.revisionHistoryLimit", $"must be greater than or equal to 0, got {s.RevisionHistoryLimit}");
        if (s.ProgressDeadlineSeconds <= 0) c.Fail("spec.progressDeadlineSeconds", $"must be greater than 0, got {s.ProgressDeadlineSeconds}");
        else if (s.ProgressDeadlineSeconds <= s.MinReadySeconds)
            c.Fail("spec.progressDeadlineSeconds", $"must be greater than minReadySeconds ({s.MinReadySeconds}), got {s.ProgressDeadlineSeconds}");
        Strategy(c, s.Strategy);
        SelectorAndTemplate(c, s.Selector, s.Template, "Deployment");
    }

    static void ReplicaSetSpec(Ctx c, ReplicaSetSpec s)
    {
        Replicas(c, s.Replicas);
        if (s.MinReadySeconds < 0) c.Fail("spec.minReadySeconds", $"must be greater than or equal to 0, got {s.MinReadySeconds}");
        SelectorAndTemplate(c, s.Selector, s.Template, "ReplicaSet");
    }

    static void Replicas(Ctx c, int replicas)
    {
        if (replicas is < 0 or > MaxReplicas)
            c.Fail("spec.replicas", $"must be between 0 and {MaxReplicas} (Troupe's limit), got {replicas}");
    }

    static void Strategy(Ctx c, DeploymentStrategy s)
    {
        const string path = "spec.strategy";
        switch (s.Type)
        {
            case "Recreate":
                if (s.RollingUpdate is not null)
                    c.Fail($"{path}.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'");
                break;
            case "RollingUpdate":
                if (s.RollingUpdate is not { } ru) break;
                var surge = IntOrPercent(c, ru.MaxSurge, $"{path}.rollingUpdate.maxSurge", capAt100: false);
                var unavailable = IntOrPercent(c, ru.MaxUnavailable, $"{path}.rollingUpdate.maxUnavailable", capAt100: true);
                if (surge == 0 && unavailable == 0)
                    c.Fail($"{path}.rollingUpdate.maxUnavailable", "may not be 0 when `maxSurge` is 0");
                break;
            default:
                c.Fail($"{path}.type", $"unsupported value \"{s.Type}\": supported values are \"Recreate\" and \"RollingUpdate\"");
                break;
        }
    }

    /// <summary>Checks an int-or-percentage and returns its number (null when invalid).</summary>
    static long? IntOrPercent(Ctx c, string value, string path, bool capAt100)
    {
        var percent = value.EndsWith('%');
        var digits = percent ? value[..^1] : value;
        if (digits.Length == 0 || digits.Length > 9 || !digits.All(char.IsAsciiDigit))
        {
            c.Fail(path, $"must be a non-negative integer or a percentage (e.g. 25%), got \"{value}\"");
            return null;
        }
        var n = long.Parse(digits, System.Globalization.CultureInfo.InvariantCulture);
        if (percent && capAt100 && n > 100)
        {
            c.Fail(path, $"must not be greater than 100%, got {value}");
            return null;
        }
        return n;
    }

    static void SelectorAndTemplate(Ctx c, LabelSelector selector, PodTemplateSpec template, string kind)
    {
        var empty = selector.MatchLabels.IsEmpty && selector.MatchExpressions.IsDefaultOrEmpty;
        if (empty)
            c.Fail("spec.selector", c.Has("spec.selector") ? $"empty selector is invalid for a {kind}" : "is required (apps/v1 needs spec.selector.matchLabels)");
        foreach (var (k, v) in selector.MatchLabels)
        {
            var p = FieldPath.Key("spec.selector.matchLabels", k);
            if (NameRules.LabelKey(k) is { } badKey) c.Fail(p, badKey);
            if (NameRules.LabelValue(v) is { } badValue) c.Fail(p, badValue);
        }
        if (!selector.MatchExpressions.IsDefault)
        {
            for (var i = 0; i < selector.MatchExpressions.Length; i++)
            {
                var r = selector.MatchExpressions[i];
                var p = $"spec.selector.matchExpressions[{i}]";
                if (r.Key.Length == 0) c.Fail($"{p}.key", "is required");
                else if (NameRules.LabelKey(r.Key) is { } badKey) c.Fail($"{p}.key", badKey);
                var count = r.Values.IsDefault ? 0 : r.Values.Length;
                switch (r.Operator)
                {
                    case "In" or "NotIn":
                        if (count == 0) c.Fail($"{p}.values", $"must be specified when `operator` is '{r.Operator}'");
                        break;
                    case "Exists" or "DoesNotExist":
                        if (count > 0) c.Fail($"{p}.values", $"may not be specified when `operator` is '{r.Operator}'");
                        break;
                    default:
                        c.Fail($"{p}.operator", $"unsupported value \"{r.Operator}\": supported values are \"In\", \"NotIn\", \"Exists\" and \"DoesNotExist\"");
                        break;
                }
            }
        }
        Metadata(c, template.Metadata, "spec.template.metadata", template: true);
        if (!empty && !selector.Matches(template.Metadata.Labels))
            c.Fail("spec.template.metadata.labels", "`selector` does not match template `labels`");
        PodSpec(c, template.Spec, "spec.template.spec", requireAlways: true);
    }

    static void PodSpec(Ctx c, PodSpec s, string path, bool requireAlways)
    {
        if (s.Containers.IsDefaultOrEmpty) c.Fail($"{path}.containers", "at least one container is required");
        var names = new Dictionary<string, string>();
        var portNames = new HashSet<string>();
        Containers(c, s.InitContainers, $"{path}.initContainers", names, portNames);
        Containers(c, s.Containers, $"{path}.containers", names, portNames);
        var volumes = Volumes(c, s.Volumes, $"{path}.volumes");
        Mounts(c, s.InitContainers, $"{path}.initContainers", volumes);
        Mounts(c, s.Containers, $"{path}.containers", volumes);
        switch (s.RestartPolicy)
        {
            case "Always": break;
            case "OnFailure" or "Never":
                if (requireAlways) c.Fail($"{path}.restartPolicy", $"unsupported value \"{s.RestartPolicy}\": a pod template's restartPolicy must be \"Always\"");
                break;
            default:
                c.Fail($"{path}.restartPolicy", $"unsupported value \"{s.RestartPolicy}\": supported values are \"Always\", \"OnFailure\" and \"Never\"");
                break;
        }
        if (s.TerminationGracePeriodSeconds < 0)
            c.Fail($"{path}.terminationGracePeriodSeconds", $"must be greater than or equal to 0, got {s.TerminationGracePeriodSeconds}");
        if (s.NodeName is { } node && NameRules.DnsSubdomain(node) is { } badNode) c.Fail($"{path}.nodeName", badNode);
        if (s.Hostname is { } host && NameRules.DnsLabel(host) is { } badHost) c.Fail($"{path}.hostname", badHost);
        foreach (var (k, v) in s.NodeSelector)
        {
            var p = FieldPath.Key($"{path}.nodeSelector", k);
            if (NameRules.LabelKey(k) is { } badKey) c.Fail(p, badKey);
            if (NameRules.LabelValue(v) is { } badValue) c.Fail(p, badValue);
        }
        var tolerations = s.Tolerations.IsDefault ? [] : s.Tolerations;
        for (var i = 0; i < tolerations.Length; i++)
        {
            var t = tolerations[i];
            var p = $"{path}.tolerations[{i}]";
            if (t.Operator is not ("Equal" or "Exists"))
                c.Fail($"{p}.operator", $"unsupported value \"{t.Operator}\": supported values are \"Equal\", \"Exists\"");
            else if (t.Operator == "Exists" && !string.IsNullOrEmpty(t.Value))
                c.Fail($"{p}.operator", "value must be empty when `operator` is 'Exists'");
            else if (t.Operator == "Equal" && string.IsNullOrEmpty(t.Key))
                c.Fail($"{p}.key", "operator must be Exists when `key` is empty, which means \"match all values and all keys\"");
            if (!string.IsNullOrEmpty(t.Effect) && !Taint.Effects.Contains(t.Effect))
                c.Fail($"{p}.effect", $"unsupported value \"{t.Effect}\": supported values are \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"");
        }
    }

    static readonly HashSet<string> HostPathTypes = new(StringComparer.Ordinal)
        { "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice" };

    /// <summary>Each volume named once, with exactly one source Troupe mounts; returns the names.</summary>
    static HashSet<string> Volumes(Ctx c, ImmutableArray<Volume> volumes, string path)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (volumes.IsDefault) return names;
        for (var i = 0; i < volumes.Length; i++)
        {
            var v = volumes[i];
            var p = FieldPath.Index(path, i);
            if (v.Name.Length == 0) c.Fail($"{p}.name", "is required");
            else if (NameRules.DnsLabel(v.Name) is { } bad) c.Fail($"{p}.name", bad);
            else if (!names.Add(v.Name)) c.Fail($"{p}.name", $"duplicate volume name \"{v.Name}\"");
            var sources = (v.HostPath is null ? 0 : 1) + (v.EmptyDir is null ? 0 : 1) + (v.TroupeVolume is null ? 0 : 1) + (v.ConfigMap is null ? 0 : 1);
            if (sources == 0) c.Fail(p, "must have a volume source (hostPath, emptyDir or configMap)");
            else if (sources > 1) c.Fail(p, "may not specify more than one volume source");
            if (v.HostPath is { } hp)
            {
                if (hp.Path.Length == 0) c.Fail($"{p}.hostPath.path", "is required");
                else if (!hp.Path.StartsWith('/')) c.Fail($"{p}.hostPath.path", $"must be an absolute path, got \"{hp.Path}\"");
                else if (hp.Path.Split('/').Contains("..")) c.Fail($"{p}.hostPath.path", "must not contain '..'");
                if (hp.Type is { } t && !HostPathTypes.Contains(t))
                    c.Fail($"{p}.hostPath.type", $"unsupported value \"{t}\": supported values are {string.Join(", ", HostPathTypes.Select(x => $"\"{x}\""))}");
            }
            if (v.EmptyDir is { SizeLimit: { } size } && !Quantity.TryParse(size, out _))
                c.Fail($"{p}.emptyDir.sizeLimit", $"invalid quantity \"{size}\"");
            if (v.ConfigMap is { } cm)
            {
                if (cm.Name.Length == 0) c.Fail($"{p}.configMap.name", "is required");
                else if (NameRules.DnsSubdomain(cm.Name) is { } badCm) c.Fail($"{p}.configMap.name", badCm);
                if (cm.DefaultMode is < 0 or > 511) c.Fail($"{p}.configMap.defaultMode", $"must be a number between 0 and 0777 (octal), both inclusive, got {cm.DefaultMode}");
                for (var j = 0; j < cm.Items.Length; j++)
                {
                    var ip = $"{p}.configMap.items[{j}]";
                    var item = cm.Items[j];
                    if (item.Key.Length == 0) c.Fail($"{ip}.key", "is required");
                    if (item.Path.Length == 0) c.Fail($"{ip}.path", "is required");
                    else if (item.Path.StartsWith('/') || item.Path.Split('/').Contains("..")) c.Fail($"{ip}.path", "must be a relative path without '..'");
                    if (item.Mode is < 0 or > 511) c.Fail($"{ip}.mode", $"must be a number between 0 and 0777 (octal), both inclusive, got {item.Mode}");
                }
            }
        }
        return names;
    }

    /// <summary>Each mount names a volume of the pod, at an absolute path (once per container), with a relative subPath.</summary>
    static void Mounts(Ctx c, ImmutableArray<Container> containers, string path, HashSet<string> volumes)
    {
        if (containers.IsDefault) return;
        for (var i = 0; i < containers.Length; i++)
        {
            var mounts = containers[i].VolumeMounts;
            if (mounts.IsDefault) continue;
            var paths = new HashSet<string>(StringComparer.Ordinal);
            for (var j = 0; j < mounts.Length; j++)
            {
                var m = mounts[j];
                var p = $"{FieldPath.Index(path, i)}.volumeMounts[{j}]";
                if (m.Name.Length == 0) c.Fail($"{p}.name", "is required");
                else if (!volumes.Contains(m.Name)) c.Fail($"{p}.name", $"not found: no volume \"{m.Name}\" in the pod's volumes");
                if (m.MountPath.Length == 0) c.Fail($"{p}.mountPath", "is required");
                else if (!m.MountPath.StartsWith('/')) c.Fail($"{p}.mountPath", $"must be an absolute path, got \"{m.MountPath}\"");
                else if (m.MountPath.Split('/').Contains("..")) c.Fail($"{p}.mountPath", "must not contain '..'");
                else if (!paths.Add(m.MountPath.TrimEnd('/'))) c.Fail($"{p}.mountPath", $"must be unique: \"{m.MountPath}\" is mounted twice");
                if (m.SubPath is { } sub && (sub.StartsWith('/') || sub.Split('/').Contains("..")))
                    c.Fail($"{p}.subPath", "must be a relative path without '..'");
            }
        }
    }

    static void Containers(Ctx c, ImmutableArray<Container> containers, string path, Dictionary<string, string> names, HashSet<string> portNames)
    {
        if (containers.IsDefault) return;
        for (var i = 0; i < containers.Length; i++)
        {
            var ct = containers[i];
            var p = FieldPath.Index(path, i);
            if (ct.Name.Length == 0) c.Fail($"{p}.name", "is required");
            else if (NameRules.DnsLabel(ct.Name) is { } badName) c.Fail($"{p}.name", badName);
            else if (names.TryGetValue(ct.Name, out var first)) c.Fail($"{p}.name", $"duplicate container name \"{ct.Name}\" (also {first})");
            else names[ct.Name] = p;

            if (ct.Image.Length == 0) c.Fail($"{p}.image", "is required");
            else if (NameRules.ImageReference(ct.Image) is { } badImage) c.Fail($"{p}.image", badImage);

            if (ct.ImagePullPolicy is { } pull && pull is not ("Always" or "IfNotPresent" or "Never"))
                c.Fail($"{p}.imagePullPolicy", $"unsupported value \"{pull}\": supported values are \"Always\", \"IfNotPresent\" and \"Never\"");

            if (!ct.Env.IsDefault)
                for (var e = 0; e < ct.Env.Length; e++)
                {
                    var ev = ct.Env[e];
                    if (NameRules.EnvName(ev.Name) is { } badEnv)
                        c.Fail($"{p}.env[{e}].name", ev.Name.Length == 0 ? "is required" : badEnv);
                    if (ev.ValueFrom is not { } from) continue;
                    var fp = $"{p}.env[{e}].valueFrom";
                    if (ev.Value.Length > 0) c.Fail(fp, "may not be specified when `value` is not empty");
                    var refs = (from.ConfigMapKeyRef is null ? 0 : 1) + (from.FieldRef is null ? 0 : 1);
                    if (refs != 1) c.Fail(fp, refs == 0 ? "must specify one of: `configMapKeyRef` or `fieldRef`" : "may not have more than one field specified at a time");
                    if (from.ConfigMapKeyRef is { } kr)
                    {
                        if (kr.Name.Length == 0) c.Fail($"{fp}.configMapKeyRef.name", "is required");
                        if (kr.Key.Length == 0) c.Fail($"{fp}.configMapKeyRef.key", "is required");
                        else if (ConfigMapKey(kr.Key) is { } badKey) c.Fail($"{fp}.configMapKeyRef.key", badKey);
                    }
                    if (from.FieldRef is { } f && !IsEnvFieldPath(f.FieldPath))
                        c.Fail($"{fp}.fieldRef.fieldPath", f.FieldPath.Length == 0 ? "is required"
                            : $"unsupported value \"{f.FieldPath}\": supported values are metadata.name, metadata.namespace, metadata.uid, metadata.labels['KEY'], metadata.annotations['KEY'], spec.nodeName, spec.serviceAccountName, status.podIP, status.hostIP");
                }
            if (!ct.EnvFrom.IsDefault)
                for (var e = 0; e < ct.EnvFrom.Length; e++)
                {
                    var ef = ct.EnvFrom[e];
                    var fp = $"{p}.envFrom[{e}]";
                    if (ef.ConfigMapRef is null) c.Fail(fp, "must specify configMapRef");
                    else if (ef.ConfigMapRef.Name.Length == 0) c.Fail($"{fp}.configMapRef.name", "is required");
                    if (ef.Prefix is { Length: > 0 } prefix && NameRules.EnvName(prefix) is { } badPrefix) c.Fail($"{fp}.prefix", badPrefix);
                }

            if (!ct.Ports.IsDefault)
                for (var j = 0; j < ct.Ports.Length; j++) Port(c, ct.Ports[j], $"{p}.ports[{j}]", portNames);

            Resources(c, ct.Resources, $"{p}.resources");
            Probe(c, ct.LivenessProbe, $"{p}.livenessProbe", successMustBeOne: true);
            Probe(c, ct.ReadinessProbe, $"{p}.readinessProbe", successMustBeOne: false);
            Probe(c, ct.StartupProbe, $"{p}.startupProbe", successMustBeOne: true);
        }
    }

    static void Probe(Ctx c, Probe? probe, string path, bool successMustBeOne)
    {
        if (probe is null) return;
        var handlers = (probe.HttpGet is null ? 0 : 1) + (probe.TcpSocket is null ? 0 : 1) + (probe.Exec is null ? 0 : 1);
        if (handlers == 0) c.Fail(path, "must specify a handler type (httpGet, tcpSocket or exec)");
        else if (handlers > 1) c.Fail(path, "may not specify more than one handler type");
        if (probe.Exec is { } e && e.Command.IsDefaultOrEmpty) c.Fail($"{path}.exec.command", "is required");
        foreach (var (port, where) in new[] { (probe.HttpGet?.Port, $"{path}.httpGet.port"), (probe.TcpSocket?.Port, $"{path}.tcpSocket.port") })
        {
            if (port is not { } pt) continue;
            if (pt.Number is { } n) { if (n is < 1 or > 65535) c.Fail(where, $"must be between 1 and 65535, inclusive, got {n}"); }
            else if (NameRules.PortName(pt.Value) is { } bad) c.Fail(where, bad);
        }
        if (probe.HttpGet is { Scheme: not ("HTTP" or "HTTPS") } hg) c.Fail($"{path}.httpGet.scheme", $"unsupported value \"{hg.Scheme}\": supported values are \"HTTP\" and \"HTTPS\"");
        if (probe.InitialDelaySeconds < 0) c.Fail($"{path}.initialDelaySeconds", $"must be greater than or equal to 0, got {probe.InitialDelaySeconds}");
        if (probe.PeriodSeconds < 1) c.Fail($"{path}.periodSeconds", $"must be greater than or equal to 1, got {probe.PeriodSeconds}");
        if (probe.TimeoutSeconds < 1) c.Fail($"{path}.timeoutSeconds", $"must be greater than or equal to 1, got {probe.TimeoutSeconds}");
        if (probe.FailureThreshold < 1) c.Fail($"{path}.failureThreshold", $"must be greater than or equal to 1, got {probe.FailureThreshold}");
        if (probe.SuccessThreshold < 1) c.Fail($"{path}.successThreshold", $"must be greater than or equal to 1, got {probe.SuccessThreshold}");
        else if (successMustBeOne && probe.SuccessThreshold != 1) c.Fail($"{path}.successThreshold", "must be 1");
    }

    static void Port(Ctx c, PortSpec port, string p, HashSet<string> portNames)
    {
        if (port.ContainerPort is < 1 or > 65535)
            c.Fail($"{p}.containerPort", port.ContainerPort == 0 && !c.Has($"{p}.containerPort")
                ? "is required"
                : $"must be between 1 and 65535, inclusive, got {port.ContainerPort}");
        if (port.HostPort is { } hp && hp is < 0 or > 65535)
            c.Fail($"{p}.hostPort", $"must be between 1 and 65535, inclusive, got {hp}");
        if (port.Protocol is not ("TCP" or "UDP" or "SCTP"))
            c.Fail($"{p}.protocol", $"unsupported value \"{port.Protocol}\": supported values are \"TCP\", \"UDP\" and \"SCTP\"");
        if (port.Name is { } name)
        {
            if (NameRules.PortName(name) is { } bad) c.Fail($"{p}.name", bad);
            else if (!portNames.Add(name)) c.Fail($"{p}.name", $"duplicate port name \"{name}\" in the pod");
        }
        if (port.HostIP is { Length: > 0 } ip && NameRules.IpAddress(ip) is { } badIp) c.Fail($"{p}.hostIP", badIp);
    }

    static void Resources(Ctx c, ResourceRequirements r, string path)
    {
        var limits = Quantities(c, r.Limits, $"{path}.limits");
        var requests = Quantities(c, r.Requests, $"{path}.requests");
        foreach (var (name, request) in requests)
            if (limits.TryGetValue(name, out var limit) && request.Value > limit.Value)
                c.Fail(FieldPath.Key($"{path}.requests", name), $"must be less than or equal to the {name} limit of {limit.Text}, got {request.Text}");
    }

    static Dictionary<string, Quantity> Quantities(Ctx c, IReadOnlyDictionary<string, string> values, string path)
    {
        var parsed = new Dictionary<string, Quantity>();
        foreach (var (name, text) in values)
        {
            var p = FieldPath.Key(path, name);
            var standard = name is "cpu" or "memory" or "ephemeral-storage" || name.StartsWith("hugepages-", StringComparison.Ordinal);
            if (!standard && (!name.Contains('/') || NameRules.LabelKey(name) is not null))
            {
                c.Fail(p, $"unknown resource \"{name}\": use cpu, memory, ephemeral-storage, hugepages-<size> or a domain-prefixed name (example.com/gpu)");
                continue;
            }
            if (!Quantity.TryParse(text, out var q))
            {
                c.Fail(p, $"\"{text}\" is not a valid quantity (e.g. 250m or 0.5 for cpu, 64Mi or 1Gi for memory)");
                continue;
            }
            if (name == "cpu" && !q.FitsMilli)
            {
                c.Fail(p, $"{text} cpus is too large");
                continue;
            }
            if (!standard && decimal.Truncate(q.Value) != q.Value)
            {
                c.Fail(p, $"must be a whole number for an extended resource, got {text}");
                continue;
            }
            parsed[name] = q;
        }
        return parsed;
    }
}
