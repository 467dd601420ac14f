using System.Collections.Immutable;
using Troupe.Api.Objects;
using YamlDotNet.RepresentationModel;

namespace Troupe.Api.Manifests;

/// <summary>
/// Maps a document's node tree into the typed objects of <c>Troupe.Api.Objects</c>, field by field.
/// Fields Kubernetes has that Troupe does not model (probes, volumes, securityContext, status, ...) are
/// ignored; fields Kubernetes does not have either are reported as warnings (probably typos).
/// </summary>
internal static class ObjectMapper
{
    public static Deployment Deployment(NodeReader r, YamlNode? spec, ObjectMeta meta) =>
        new() { Metadata = meta, Spec = spec is null ? new DeploymentSpec() : DeploymentSpec(r, spec, "spec") };

    public static ReplicaSet ReplicaSet(NodeReader r, YamlNode? spec, ObjectMeta meta) =>
        new() { Metadata = meta, Spec = spec is null ? new ReplicaSetSpec() : ReplicaSetSpec(r, spec, "spec") };

    public static Pod Pod(NodeReader r, YamlNode? spec, ObjectMeta meta) =>
        new() { Metadata = meta, Spec = (spec is null ? null : PodSpec(r, spec, "spec")) ?? new PodSpec() };

    public static Service Service(NodeReader r, YamlNode? spec, ObjectMeta meta) =>
        new() { Metadata = meta, Spec = spec is null ? new ServiceSpec() : ServiceSpec(r, spec, "spec") };

    public static ConfigMap ConfigMap(NodeReader r, YamlNode? data, YamlNode? binaryData, YamlNode? immutable, ObjectMeta meta) => new()
    {
        Metadata = meta,
        Data = r.StringMap(data, "data"),
        BinaryData = r.StringMap(binaryData, "binaryData"),
        Immutable = r.Bool(immutable, "immutable"),
    };

    public static Namespace Namespace(NodeReader r, YamlNode? spec, ObjectMeta meta)
    {
        // spec.finalizers is all a Namespace's spec has; nothing to run
        if (spec is not null && r.Map(spec, "spec") is { } map)
            foreach (var (key, value, p) in r.Entries(map, "spec"))
                if (key != "finalizers") Unknown(r, value, p, key);
                else r.StringList(value, p);
        return new Namespace { Metadata = meta };
    }

    static ServiceSpec ServiceSpec(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return new ServiceSpec();
        string? type = null, clusterIP = null;
        var selector = ImmutableSortedDictionary<string, string>.Empty;
        var ports = ImmutableArray<ServicePort>.Empty;
        foreach (var (key, value, p) in r.Entries(map, path))
        {
            switch (key)
            {
                case "type": type = r.Str(value, p); break;
                case "selector": selector = r.StringMap(value, p); break;
                case "clusterIP": clusterIP = r.Str(value, p); break;
                case "ports": ports = ServicePorts(r, value, p); break;
                case "externalName" or "externalIPs" or "loadBalancerSourceRanges" or "loadBalancerClass" or "loadBalancerIP":
                    if (!NodeReader.IsNull(value)) r.Error(value, p, "is not supported by Troupe yet");
                    break;
                case "clusterIPs" or "externalTrafficPolicy" or "internalTrafficPolicy" or "ipFamilies" or "ipFamilyPolicy"
                    or "publishNotReadyAddresses" or "sessionAffinity" or "sessionAffinityConfig" or "healthCheckNodePort"
                    or "allocateLoadBalancerNodePorts" or "trafficDistribution":
                    break;
                default: Unknown(r, value, p, key); break;
            }
        }
        return new ServiceSpec { Type = type ?? "ClusterIP", Selector = selector, Ports = ports, ClusterIP = string.IsNullOrEmpty(clusterIP) ? null : clusterIP };
    }

    static ImmutableArray<ServicePort> ServicePorts(NodeReader r, YamlNode node, string path)
    {
        var b = ImmutableArray.CreateBuilder<ServicePort>();
        foreach (var (item, p) in r.MapList(node, path))
        {
            string? name = null, protocol = null;
            int? port = null, nodePort = null;
            IntOrString? target = null;
            foreach (var (key, value, kp) in r.Entries(item, p))
            {
                switch (key)
                {
                    case "name": name = r.Str(value, kp); break;
                    case "protocol": protocol = r.Str(value, kp); break;
                    case "port": port = r.Int(value, kp); break;
                    case "nodePort": nodePort = r.Int(value, kp); break;
                    case "targetPort":
                        if (value is YamlScalarNode { Value: { Length: > 0 } v }) target = new IntOrString(v);
                        else r.Error(value, kp, "must be a port number or the name of a container port");
                        break;
                    case "appProtocol": break;
                    default: Unknown(r, value, kp, key); break;
                }
            }
            b.Add(new ServicePort { Name = name, Protocol = protocol ?? "TCP", Port = port ?? 0, TargetPort = target, NodePort = nodePort });
        }
        return b.ToImmutable();
    }

    /// <summary><c>metadata</c>. The namespace is null when not written (the caller fills in its default).</summary>
    public static (ObjectMeta Meta, string? Namespace) Metadata(NodeReader r, YamlNode? node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return (new ObjectMeta(), null);
        string? name = null, ns = null;
        var labels = ImmutableSortedDictionary<string, string>.Empty;
        var annotations = ImmutableSortedDictionary<string, string>.Empty;
        foreach (var (key, value, p) in r.Entries(map, path))
        {
            switch (key)
            {
                case "name": name = r.Str(value, p); break;
                case "namespace": ns = r.Str(value, p); break;
                case "labels": labels = r.StringMap(value, p); break;
                case "annotations": annotations = r.StringMap(value, p); break;
                case "generateName":
                    if (!NodeReader.IsNull(value))
                        r.Error(value, p, "is not supported: apply needs a fixed name, set metadata.name");
                    break;
                case "uid" or "resourceVersion" or "generation" or "creationTimestamp" or "deletionTimestamp"
                    or "deletionGracePeriodSeconds" or "ownerReferences" or "finalizers" or "managedFields" or "selfLink":
                    break;
                default: Unknown(r, value, p, key); break;
            }
        }
        return (new ObjectMeta { Name = name ?? "", Namespace = ns ?? "default", Labels = labels, Annotations = annotations }, ns);
    }

    static DeploymentSpec DeploymentSpec(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return new DeploymentSpec();
        int? replicas = null, minReady = null, history = null, deadline = null;
        bool? paused = null;
        LabelSelector selector = new();
        PodTemplateSpec template = new();
        DeploymentStrategy strategy = new() { RollingUpdate = new RollingUpdateDeployment() };
        foreach (var (key, value, p) in r.Entries(map, path))
        {
            switch (key)
            {
                case "replicas": replicas = r.Int(value, p); break;
                case "selector": selector = Selector(r, value, p); break;
                case "template": template = Template(r, value, p); break;
                case "strategy": strategy = Strategy(r, value, p); break;
                case "minReadySeconds": minReady = r.Int(value, p); break;
                case "revisionHistoryLimit": history = r.Int(value, p); break;
                case "progressDeadlineSeconds": deadline = r.Int(value, p); break;
                case "paused": paused = r.Bool(value, p); break;
                default: Unknown(r, value, p, key); break;
            }
        }
        return new DeploymentSpec
        {
            Replicas = replicas ?? 1,
            Selector = selector,
            Template = template,
            Strategy = strategy,
            MinReadySeconds = minReady ?? 0,
            RevisionHistoryLimit = history ?? 10,
            ProgressDeadlineSeconds = deadline ?? 600,
            Paused = paused ?? false,
        };
    }

    static ReplicaSetSpec ReplicaSetSpec(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return new ReplicaSetSpec();
        int? replicas = null, minReady = null;
        LabelSelector selector = new();
        PodTemplateSpec template = new();
        foreach (var (key, value, p) in r.Entries(map, path))
        {
            switch (key)
            {
                case "replicas": replicas = r.Int(value, p); break;
                case "selector": selector = Selector(r, value, p); break;
                case "template": template = Template(r, value, p); break;
                case "minReadySeconds": minReady = r.Int(value, p); break;
                default: Unknown(r, value, p, key); break;
            }
        }
        return new ReplicaSetSpec { Replicas = replicas ?? 1, Selector = selector, Template = template, MinReadySeconds = minReady ?? 0 };
    }

    static LabelSelector Selector(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return new LabelSelector();
        var matchLabels = ImmutableSortedDictionary<string, string>.Empty;
        var expressions = ImmutableArray.CreateBuilder<LabelSelectorRequirement>();
        foreach (var (key, value, p) in r.Entries(map, path))
        {
            switch (key)
            {
                case "matchLabels": matchLabels = r.StringMap(value, p); break;
                case "matchExpressions":
                    foreach (var (item, ip) in r.MapList(value, p))
                    {
                        string? k = null, op = null;
                        var values = ImmutableArray<string>.Empty;
                        foreach (var (ek, ev, ep) in r.Entries(item, ip))
                        {
                            switch (ek)
                            {
                                case "key": k = r.Str(ev, ep); break;
                                case "operator": op = r.Str(ev, ep); break;
                                case "values": values = r.StringList(ev, ep); break;
                                default: Unknown(r, ev, ep, ek); break;
                            }
                        }
                        expressions.Add(new LabelSelectorRequirement(k ?? "", op ?? "", values));
                    }
                    break;
                default: Unknown(r, value, p, key); break;
            }
        }
        return new LabelSelector { MatchLabels = matchLabels, MatchExpressions = expressions.ToImmutable() };
    }

    static DeploymentStrategy Strategy(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return new DeploymentStrategy { RollingUpdate = new RollingUpdateDeployment() };
        string? type = null;
        RollingUpdateDeployment? rolling = null;
        foreach (var (key, value, p) in r.Entries(map, path))
        {
            switch (key)
            {
                case "type": type = r.Str(value, p); break;
                case "rollingUpdate":
                    var ru = r.Map(value, p);
                    if (ru is null) break;
                    string? surge = null, unavailable = null;
                    foreach (var (rk, rv, rp) in r.Entries(ru, p))
                    {
                        switch (rk)
                        {
                            case "maxSurge": surge = r.Text(rv, rp); break;
                            case "maxUnavailable": unavailable = r.Text(rv, rp); break;
                            default: Unknown(r, rv, rp, rk); break;
                        }
                    }
                    rolling = new RollingUpdateDeployment { MaxSurge = surge ?? "25%", MaxUnavailable = unavailable ?? "25%" };
                    break;
                default: Unknown(r, value, p, key); break;
            }
        }
        type ??= "RollingUpdate";
        // Kubernetes defaults rollingUpdate only for the RollingUpdate type; a Recreate strategy that names
        // rollingUpdate anyway is kept so the validator can refuse it.
        if (rolling is null && type == "RollingUpdate") rolling = new RollingUpdateDeployment();
        return new DeploymentStrategy { Type = type, RollingUpdate = rolling };
    }

    static PodTemplateSpec Template(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return new PodTemplateSpec();
        ObjectMeta meta = new();
        PodSpec spec = new();
        foreach (var (key, value, p) in r.Entries(map, path))
        {
            switch (key)
            {
                case "metadata":
                    meta = Metadata(r, value, p).Meta;
                    break;
                case "spec": spec = PodSpec(r, value, p) ?? new PodSpec(); break;
                default: Unknown(r, value, p, key); break;
            }
        }
        return new PodTemplateSpec { Metadata = meta, Spec = spec };
    }

    static PodSpec? PodSpec(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return null;
        var containers = ImmutableArray<Container>.Empty;
        var initContainers = ImmutableArray<Container>.Empty;
        string? restartPolicy = null, nodeName = null, hostname = null;
        long? grace = null;
        var nodeSelector = ImmutableSortedDictionary<string, string>.Empty;
        var volumes = ImmutableArray<Volume>.Empty;
        var tolerations = ImmutableArray<Toleration>.Empty;
        foreach (var (key, value, p) in r.Entries(map, path))
        {
            switch (key)
            {
                case "containers": containers = Containers(r, value, p); break;
                case "tolerations": tolerations = Tolerations(r, value, p); break;
                case "volumes": volumes = Volumes(r, value, p); break;
                case "initContainers": initContainers = Containers(r, value, p); break;
                case "restartPolicy": restartPolicy = r.Str(value, p); break;
                case "terminationGracePeriodSeconds": grace = r.Long(value, p); break;
                case "nodeName": nodeName = r.Str(value, p); break;
                case "nodeSelector": nodeSelector = r.StringMap(value, p); break;
                case "hostname": hostname = r.Str(value, p); break;
                case "activeDeadlineSeconds" or "affinity" or "automountServiceAccountToken" or "dnsConfig" or "dnsPolicy"
                    or "enableServiceLinks" or "ephemeralContainers" or "hostAliases" or "hostIPC" or "hostNetwork"
                    or "hostPID" or "hostUsers" or "imagePullSecrets" or "os" or "overhead" or "preemptionPolicy"
                    or "priority" or "priorityClassName" or "readinessGates" or "resourceClaims" or "resources"
                    or "runtimeClassName" or "schedulerName" or "schedulingGates" or "securityContext"
                    or "serviceAccount" or "serviceAccountName" or "setHostnameAsFQDN" or "shareProcessNamespace"
                    or "subdomain" or "topologySpreadConstraints" or "hostnameOverride":
                    break;
                default: Unknown(r, value, p, key); break;
            }
        }
        return new PodSpec
        {
            Containers = containers,
            InitContainers = initContainers,
            RestartPolicy = restartPolicy ?? "Always",
            TerminationGracePeriodSeconds = grace ?? 30,
            NodeName = nodeName,
            NodeSelector = nodeSelector,
            Tolerations = tolerations,
            Hostname = hostname,
            Volumes = volumes,
        };
    }

    static ImmutableArray<Toleration> Tolerations(NodeReader r, YamlNode node, string path)
    {
        var b = ImmutableArray.CreateBuilder<Toleration>();
        foreach (var (item, ip) in r.MapList(node, path))
        {
            string? key = null, op = null, value = null, effect = null;
            foreach (var (k, v, p) in r.Entries(item, ip))
            {
                switch (k)
                {
                    case "key": key = r.Str(v, p); break;
                    case "operator": op = r.Str(v, p); break;
                    case "value": value = r.Str(v, p); break;
                    case "effect": effect = r.Str(v, p); break;
                    case "tolerationSeconds": break;
                    default: Unknown(r, v, p, k); break;
                }
            }
            b.Add(new Toleration(key, op ?? "Equal", value, effect));
        }
        return b.ToImmutable();
    }

    /// <summary>Volume sources Kubernetes has and Troupe does not mount (yet): an error, never silently dropped.</summary>
    static readonly HashSet<string> UnsupportedVolumeSources = new(StringComparer.Ordinal)
    {
        "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "csi", "downwardAPI", "ephemeral",
        "fc", "flexVolume", "flocker", "gcePersistentDisk", "gitRepo", "glusterfs", "image", "iscsi", "nfs",
        "persistentVolumeClaim", "photonPersistentDisk", "portworxVolume", "projected", "quobyte", "rbd", "scaleIO", "secret",
        "storageos", "vsphereVolume",
    };

    static ImmutableArray<Volume> Volumes(NodeReader r, YamlNode node, string path)
    {
        var b = ImmutableArray.CreateBuilder<Volume>();
        foreach (var (item, p) in r.MapList(node, path))
        {
            string? name = null;
            HostPathVolumeSource? hostPath = null;
            EmptyDirVolumeSource? emptyDir = null;
            ConfigMapVolumeSource? configMap = null;
            foreach (var (key, value, vp) in r.Entries(item, p))
            {
                switch (key)
                {
                    case "name": name = r.Str(value, vp); break;
                    case "hostPath":
                        if (r.Map(value, vp) is not { } hp) break;
                        string? hpPath = null, hpType = null;
                        foreach (var (k, v, kp) in r.Entries(hp, vp))
                        {
                            if (k == "path") hpPath = r.Str(v, kp);
                            else if (k == "type") hpType = r.Str(v, kp);
                            else Unknown(r, v, kp, k);
                        }
                        hostPath = new HostPathVolumeSource(hpPath ?? "", string.IsNullOrEmpty(hpType) ? null : hpType);
                        break;
                    case "emptyDir":
                        string? medium = null, size = null;
                        if (!NodeReader.IsNull(value) && r.Map(value, vp) is { } ed)
                            foreach (var (k, v, kp) in r.Entries(ed, vp))
                            {
                                if (k == "medium") medium = r.Str(v, kp);
                                else if (k == "sizeLimit") size = r.Text(v, kp);
                                else Unknown(r, v, kp, k);
                            }
                        emptyDir = new EmptyDirVolumeSource(string.IsNullOrEmpty(medium) ? null : medium, size);
                        break;
                    case "configMap":
                        configMap = ConfigMapVolume(r, value, vp);
                        break;
                    default:
                        if (UnsupportedVolumeSources.Contains(key))
                            r.Error(value, vp, $"volume source \"{key}\" is not supported by Troupe yet (hostPath, emptyDir and configMap are)");
                        else Unknown(r, value, vp, key);
                        break;
                }
            }
            b.Add(new Volume { Name = name ?? "", HostPath = hostPath, EmptyDir = emptyDir, ConfigMap = configMap });
        }
        return b.ToImmutable();
    }

    static EnvVarSource? ValueFrom(NodeReader r, YamlNode node, string path)
    {
        if (NodeReader.IsNull(node) || r.Map(node, path) is not { } map) return null;
        ConfigMapKeySelector? cm = null;
        ObjectFieldSelector? field = null;
        foreach (var (key, value, p) in r.Entries(map, path))
        {
            switch (key)
            {
                case "configMapKeyRef":
                    if (r.Map(value, p) is not { } m) break;
                    string? name = null, k = null;
                    bool? optional = null;
                    foreach (var (fk, fv, fp) in r.Entries(m, p))
                    {
                        switch (fk)
                        {
                            case "name": name = r.Str(fv, fp); break;
                            case "key": k = r.Str(fv, fp); break;
                            case "optional": optional = r.Bool(fv, fp); break;
                            default: Unknown(r, fv, fp, fk); break;
                        }
                    }
                    cm = new ConfigMapKeySelector(name ?? "", k ?? "", optional);
                    break;
                case "fieldRef":
                    if (r.Map(value, p) is not { } f) break;
                    string? fieldPath = null, apiVersion = null;
                    foreach (var (fk, fv, fp) in r.Entries(f, p))
                    {
                        switch (fk)
                        {
                            case "fieldPath": fieldPath = r.Str(fv, fp); break;
                            case "apiVersion": apiVersion = r.Str(fv, fp); break;
                            default: Unknown(r, fv, fp, fk); break;
                        }
                    }
                    field = new ObjectFieldSelector(fieldPath ?? "", apiVersion);
                    break;
                case "secretKeyRef" or "resourceFieldRef" or "fileKeyRef":
                    r.Error(value, p, $"is not supported by Troupe yet (configMapKeyRef and fieldRef are)");
                    break;
                default: Unknown(r, value, p, key); break;
            }
        }
        return new EnvVarSource { ConfigMapKeyRef = cm, FieldRef = field };
    }

    static ImmutableArray<EnvFromSource> EnvFrom(NodeReader r, YamlNode node, string path)
    {
        var b = ImmutableArray.CreateBuilder<EnvFromSource>();
        foreach (var (item, ip) in r.MapList(node, path))
        {
            string? prefix = null;
            ConfigMapEnvSource? cm = null;
            foreach (var (key, v, p) in r.Entries(item, ip))
            {
                switch (key)
                {
                    case "prefix": prefix = r.Str(v, p); break;
                    case "configMapRef":
                        if (r.Map(v, p) is not { } m) break;
                        string? name = null;
                        bool? optional = null;
                        foreach (var (fk, fv, fp) in r.Entries(m, p))
                        {
                            if (fk == "name") name = r.Str(fv, fp);
                            else if (fk == "optional") optional = r.Bool(fv, fp);
                            else Unknown(r, fv, fp, fk);
                        }
                        cm = new ConfigMapEnvSource(name ?? "", optional);
                        break;
                    case "secretRef":
                        r.Error(v, p, "is not supported by Troupe yet (configMapRef is)");
                        break;
                    default: Unknown(r, v, p, key); break;
                }
            }
            b.Add(new EnvFromSource(prefix, cm));
        }
        return b.ToImmutable();
    }

    static ConfigMapVolumeSource? ConfigMapVolume(NodeReader r, YamlNode node, string path)
    {
        if (r.Map(node, path) is not { } map) return null;
        string? name = null;
        int? mode = null;
        bool? optional = null;
        var items = ImmutableArray.CreateBuilder<KeyToPath>();
        foreach (var (key, value, p) in r.Entries(map, path))
        {
            switch (key)
            {
                case "name": name = r.Str(value, p); break;
                case "defaultMode": mode = r.Mode(value, p); break;
                case "optional": optional = r.Bool(value, p); break;
                case "items":
                    foreach (var (it, itp) in r.MapList(value, p))
                    {
                        string? k = null, kp = null;
                        int? m = null;
                        foreach (var (fk, fv, fp) in r.Entries(it, itp))
                        {
                            switch (fk)
                            {
                                case "key": k = r.Str(fv, fp); break;
                                case "path": kp = r.Str(fv, fp); break;
                                case "mode": m = r.Mode(fv, fp); break;
                                default: Unknown(r, fv, fp, fk); break;
                            }
                        }
                        items.Add(new KeyToPath(k ?? "", kp ?? "", m));
                    }
                    break;
                default: Unknown(r, value, p, key); break;
            }
        }
        return new ConfigMapVolumeSource { Name = name ?? "", Items = items.ToImmutable(), DefaultMode = mode, Optional = optional };
    }

    static Probe? Probe(NodeReader r, YamlNode node, string path)
    {
        if (NodeReader.IsNull(node) || r.Map(node, path) is not { } map) return null;
        var probe = new Probe();
        foreach (var (key, value, p) in r.Entries(map, path))
        {
            switch (key)
            {
                case "httpGet":
                    if (r.Map(value, p) is not { } hg) break;
                    string? hpath = null, scheme = null;
                    IntOrString? hport = null;
                    var headers = ImmutableArray.CreateBuilder<HttpHeader>();
                    foreach (var (k, v, kp) in r.Entries(hg, p))
                    {
                        switch (k)
                        {
                            case "path": hpath = r.Str(v, kp); break;
                            case "port": hport = PortOf(r, v, kp); break;
                            case "scheme": scheme = r.Str(v, kp); break;
                            case "host": if (!NodeReader.IsNull(v)) r.Error(v, kp, "is not supported by Troupe yet (the probe goes to the pod's address)"); break;
                            case "httpHeaders":
                                foreach (var (h, hp) in r.MapList(v, kp))
                                {
                                    string? hn = null, hv = null;
                                    foreach (var (hk, hval, hkp) in r.Entries(h, hp))
                                    {
                                        if (hk == "name") hn = r.Str(hval, hkp);
                                        else if (hk == "value") hv = r.Text(hval, hkp);
                                        else Unknown(r, hval, hkp, hk);
                                    }
                                    headers.Add(new HttpHeader(hn ?? "", hv ?? ""));
                                }
                                break;
                            default: Unknown(r, v, kp, k); break;
                        }
                    }
                    if (hport is null) r.Error(value, p, "port is required");
                    probe = probe with { HttpGet = new HttpGetAction(string.IsNullOrEmpty(hpath) ? "/" : hpath, hport ?? new IntOrString("0")) { Scheme = scheme ?? "HTTP", HttpHeaders = headers.ToImmutable() } };
                    break;
                case "tcpSocket":
                    if (r.Map(value, p) is not { } ts) break;
                    IntOrString? tport = null;
                    foreach (var (k, v, kp) in r.Entries(ts, p))
                    {
                        if (k == "port") tport = PortOf(r, v, kp);
                        else if (k == "host") { if (!NodeReader.IsNull(v)) r.Error(v, kp, "is not supported by Troupe yet (the probe goes to the pod's address)"); }
                        else Unknown(r, v, kp, k);
                    }
                    if (tport is null) r.Error(value, p, "port is required");
                    probe = probe with { TcpSocket = new TcpSocketAction(tport ?? new IntOrString("0")) };
                    break;
                case "exec":
                    if (r.Map(value, p) is not { } ex) break;
                    var command = ImmutableArray<string>.Empty;
                    foreach (var (k, v, kp) in r.Entries(ex, p))
                    {
                        if (k == "command") command = r.StringList(v, kp);
                        else Unknown(r, v, kp, k);
                    }
                    probe = probe with { Exec = new ExecAction(command) };
                    break;
                case "grpc": r.Error(value, p, "grpc probes are not supported by Troupe yet (use httpGet, tcpSocket or exec)"); break;
                case "initialDelaySeconds": probe = probe with { InitialDelaySeconds = r.Int(value, p) ?? 0 }; break;
                case "periodSeconds": probe = probe with { PeriodSeconds = r.Int(value, p) ?? 10 }; break;
                case "timeoutSeconds": probe = probe with { TimeoutSeconds = r.Int(value, p) ?? 1 }; break;
                case "successThreshold": probe = probe with { SuccessThreshold = r.Int(value, p) ?? 1 }; break;
                case "failureThreshold": probe = probe with { FailureThreshold = r.Int(value, p) ?? 3 }; break;
                case "terminationGracePeriodSeconds": break;
                default: Unknown(r, value, p, key); break;
            }
        }
        return probe;
    }

    static IntOrString? PortOf(NodeReader r, YamlNode v, string path)
    {
        if (v is YamlScalarNode { Value: { Length: > 0 } s }) return new IntOrString(s);
        r.Error(v, path, "must be a port number or the name of a container port");
        return null;
    }

    static ImmutableArray<VolumeMount> VolumeMounts(NodeReader r, YamlNode node, string path)
    {
        var b = ImmutableArray.CreateBuilder<VolumeMount>();
        foreach (var (item, p) in r.MapList(node, path))
        {
            string? name = null, mountPath = null, subPath = null;
            bool? readOnly = null;
            foreach (var (key, value, mp) in r.Entries(item, p))
            {
                switch (key)
                {
                    case "name": name = r.Str(value, mp); break;
                    case "mountPath": mountPath = r.Str(value, mp); break;
                    case "readOnly": readOnly = r.Bool(value, mp); break;
                    case "subPath": subPath = r.Str(value, mp); break;
                    case "subPathExpr":
                        r.Error(value, mp, "subPathExpr is not supported by Troupe yet; use subPath");
                        break;
                    case "mountPropagation" or "recursiveReadOnly": break;
                    default: Unknown(r, value, mp, key); break;
                }
            }
            b.Add(new VolumeMount { Name = name ?? "", MountPath = mountPath ?? "", ReadOnly = readOnly ?? false, SubPath = string.IsNullOrEmpty(subPath) ? null : subPath });
        }
        return b.ToImmutable();
    }

    static ImmutableArray<Container> Containers(NodeReader r, YamlNode node, string path)
    {
        var b = ImmutableArray.CreateBuilder<Container>();
        foreach (var (item, p) in r.MapList(node, path)) b.Add(Container(r, item, p));
        return b.ToImmutable();
    }

    static Container Container(NodeReader r, YamlMappingNode map, string path)
    {
        string? name = null, image = null, workingDir = null, pullPolicy = null;
        var command = ImmutableArray<string>.Empty;
        var args = ImmutableArray<string>.Empty;
        var env = ImmutableArray<EnvVar>.Empty;
        var envFrom = ImmutableArray<EnvFromSource>.Empty;
        var ports = ImmutableArray<PortSpec>.Empty;
        ResourceRequirements resources = new();
        bool? tty = null, stdin = null, stdinOnce = null;
        var volumeMounts = ImmutableArray<VolumeMount>.Empty;
        Probe? liveness = null, readiness = null, startup = null;
        SecurityContext? security = null;
        foreach (var (key, value, p) in r.Entries(map, path))
        {
            switch (key)
            {
                case "name": name = r.Str(value, p); break;
                case "image": image = r.Str(value, p); break;
                case "command": command = r.StringList(value, p); break;
                case "args": args = r.StringList(value, p); break;
                case "env": env = Env(r, value, p); break;
                case "workingDir": workingDir = r.Str(value, p); break;
                case "ports": ports = Ports(r, value, p); break;
                case "resources": resources = Resources(r, value, p); break;
                case "imagePullPolicy": pullPolicy = r.Str(value, p); break;
                case "tty": tty = r.Bool(value, p); break;
                case "stdin": stdin = r.Bool(value, p); break;
                case "stdinOnce": stdinOnce = r.Bool(value, p) == true ? true : null; break;
                case "securityContext": security = Security(r, value, p); break;
                case "volumeMounts": volumeMounts = VolumeMounts(r, value, p); break;
                case "livenessProbe": liveness = Probe(r, value, p); break;
                case "readinessProbe": readiness = Probe(r, value, p); break;
                case "startupProbe": startup = Probe(r, value, p); break;
                case "envFrom": envFrom = EnvFrom(r, value, p); break;
                case "lifecycle" or "resizePolicy"
                    or "restartPolicy" or "restartPolicyRules" or "terminationMessagePath"
                    or "terminationMessagePolicy" or "volumeDevices":
                    break;
                default: Unknown(r, value, p, key); break;
            }
        }
        return new Container
        {
            Name = name ?? "",
            Image = image ?? "",
            Command = command,
            Args = args,
            Env = env,
            EnvFrom = envFrom,
            WorkingDir = workingDir,
            Ports = ports,
            Resources = resources,
            ImagePullPolicy = pullPolicy,
            Tty = tty ?? false,
            Stdin = stdin ?? false,
            StdinOnce = stdinOnce,
            SecurityContext = security,
            VolumeMounts = volumeMounts,
            LivenessProbe = liveness,
            ReadinessProbe = readiness,
            StartupProbe = startup,
        };
    }

    static SecurityContext? Security(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return null;
        long? user = null, group = null;
        foreach (var (key, value, p) in r.Entries(map, path))
        {
            switch (key)
            {
                case "runAsUser": user = r.Long(value, p); break;
                case "runAsGroup": group = r.Long(value, p); break;
                case "allowPrivilegeEscalation" or "appArmorProfile" or "capabilities" or "privileged" or "procMount"
                    or "readOnlyRootFilesystem" or "runAsNonRoot" or "seLinuxOptions" or "seccompProfile" or "windowsOptions":
                    break;
                default: Unknown(r, value, p, key); break;
            }
        }
        if (user is < 0 or > uint.MaxValue) r.Error(map, path + ".runAsUser", "must be between 0 and 4294967295");
        if (group is < 0 or > uint.MaxValue) r.Error(map, path + ".runAsGroup", "must be between 0 and 4294967295");
        return user is null && group is null ? null : new SecurityContext { RunAsUser = user, RunAsGroup = group };
    }

    static ImmutableArray<EnvVar> Env(NodeReader r, YamlNode node, string path)
    {
        var b = ImmutableArray.CreateBuilder<EnvVar>();
        foreach (var (item, ip) in r.MapList(node, path))
        {
            string? name = null, value = null;
            EnvVarSource? from = null;
            foreach (var (key, v, p) in r.Entries(item, ip))
            {
                switch (key)
                {
                    case "name": name = r.Str(v, p); break;
                    case "value": value = r.Str(v, p); break;
                    case "valueFrom": from = ValueFrom(r, v, p); break;
                    default: Unknown(r, v, p, key); break;
                }
            }
            b.Add(new EnvVar(name ?? "", value ?? "", from));
        }
        return b.ToImmutable();
    }

    static ImmutableArray<PortSpec> Ports(NodeReader r, YamlNode node, string path)
    {
        var b = ImmutableArray.CreateBuilder<PortSpec>();
        foreach (var (item, ip) in r.MapList(node, path))
        {
            int? containerPort = null, hostPort = null;
            string? protocol = null, name = null, hostIP = null;
            foreach (var (key, v, p) in r.Entries(item, ip))
            {
                switch (key)
                {
                    case "containerPort": containerPort = r.Int(v, p); break;
                    case "protocol": protocol = r.Str(v, p); break;
                    case "name": name = r.Str(v, p); break;
                    case "hostPort": hostPort = r.Int(v, p); break;
                    case "hostIP": hostIP = r.Str(v, p); break;
                    default: Unknown(r, v, p, key); break;
                }
            }
            b.Add(new PortSpec { ContainerPort = containerPort ?? 0, Protocol = protocol ?? "TCP", Name = name, HostPort = hostPort, HostIP = hostIP });
        }
        return b.ToImmutable();
    }

    static ResourceRequirements Resources(NodeReader r, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null) return new ResourceRequirements();
        var limits = ImmutableSortedDictionary<string, string>.Empty;
        var requests = ImmutableSortedDictionary<string, string>.Empty;
        foreach (var (key, value, p) in r.Entries(map, path))
        {
            switch (key)
            {
                case "limits": limits = r.StringMap(value, p, allowNumbers: true); break;
                case "requests": requests = r.StringMap(value, p, allowNumbers: true); break;
                case "claims": break;
                default: Unknown(r, value, p, key); break;
            }
        }
        return new ResourceRequirements { Limits = limits, Requests = requests };
    }

    static void Unknown(NodeReader r, YamlNode value, string path, string key) =>
        r.Warn(value, path, $"unknown field \"{key}\"");
}
