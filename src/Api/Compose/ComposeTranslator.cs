using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Troupe.Api.Manifests;
using Troupe.Api.Objects;
using K8sService = Troupe.Api.Objects.Service;

namespace Troupe.Api.Compose;

/// <summary>How <see cref="ComposeTranslator"/> places what a project needs.</summary>
public sealed record ComposeTranslatorOptions
{
    /// <summary>The namespace every object goes into.</summary>
    public string Namespace { get; init; } = "default";

    /// <summary>
    /// Where named volumes live: <c>VOLUMES_ROOT/&lt;volume name&gt;</c> as a hostPath (DirectoryOrCreate). Null: each
    /// named volume is a Troupe volume (<c>troupeVolume</c>, the node's <c>$TROUPE_HOME/volumes/NAME</c>).
    /// </summary>
    public string? VolumesRoot { get; init; }

    /// <summary>Variables for <c>env_file</c> lines without a value (<c>KEY</c> alone): compose takes those from the environment.</summary>
    public IReadOnlyDictionary<string, string?> Variables { get; init; } = ImmutableDictionary<string, string?>.Empty;
}

/// <summary>What one compose service became.</summary>
/// <param name="Service">The compose service's name.</param>
/// <param name="Workload">A Deployment; or a Pod (restartPolicy Never or OnFailure) for a one-shot service another waits to complete.</param>
/// <param name="Services">The Services that name it: a ClusterIP (or headless) one named after the service, and where ports are published a LoadBalancer.</param>
/// <param name="Build">What to build before applying, for a service with <c>build:</c>; the image is <see cref="ComposeImageBuild.Image"/>.</param>
/// <param name="Step">When to start it: its dependencies and their conditions.</param>
public sealed record ComposeServicePlan(string Service, KubeObject Workload, ImmutableArray<K8sService> Services, ComposeImageBuild? Build, ComposeStartStep Step);

/// <summary>A <c>troupe build</c> to run: tag, context, Dockerfile (relative to the context), build args, target.</summary>
public sealed record ComposeImageBuild(string Image, string Context, string Dockerfile, ImmutableSortedDictionary<string, string> Args, string? Target);

/// <summary>A project as the Kubernetes objects Troupe runs, in start order.</summary>
public sealed record ComposeTranslation(string Project, ImmutableArray<ComposeServicePlan> Plans, ImmutableArray<ManifestProblem> Warnings)
{
    /// <summary>Every object, in start order (each service's Services before its workload).</summary>
    public ImmutableArray<KubeObject> Objects => [.. Plans.SelectMany(p => p.Services.Cast<KubeObject>().Append(p.Workload))];
}

/// <summary>
/// Turns a <see cref="ComposeFile"/> into the objects Troupe runs. Each service becomes a Deployment named
/// <c>&lt;project&gt;-&lt;service&gt;</c> (replicas from <c>deploy.replicas</c>, default 1) with one container, and a
/// Service named after the compose service, so services reach each other by name on their container ports
/// (ClusterIP, or headless when the service has no ports); published ports get a LoadBalancer (the same Service when
/// every published port equals its target, else <c>&lt;service&gt;-published</c>). What Kubernetes objects cannot say
/// goes into annotations: <c>troupe.io/compose-restart</c> (a Deployment's pods always restart),
/// <c>troupe.io/container-name</c>, <c>troupe.io/init</c>, <c>troupe.io/pids-limit</c>, <c>troupe.io/user</c>,
/// <c>troupe.io/stop-signal</c>. Everything produced passes <see cref="ManifestValidator"/>; problems are reported
/// against the compose file as a <see cref="ManifestException"/>.
/// </summary>
public static class ComposeTranslator
{
    public const string ProjectLabel = "troupe.io/compose-project";
    public const string ServiceLabel = "troupe.io/compose-service";
    public const string DockerProjectLabel = "com.docker.compose.project";
    public const string DockerServiceLabel = "com.docker.compose.service";
    public const string RestartAnnotation = "troupe.io/compose-restart";
    public const string ContainerNameAnnotation = "troupe.io/container-name";
    public const string StopSignalAnnotation = "troupe.io/stop-signal";

    /// <summary>Compose's stop timeout when <c>stop_grace_period</c> is not written.</summary>
    public static readonly TimeSpan DefaultStopGracePeriod = TimeSpan.FromSeconds(10);

    /// <exception cref="ManifestException">An env_file cannot be read, a name cannot be made valid, two services publish one port, or an object fails validation.</exception>
    public static ComposeTranslation Translate(ComposeFile file, ComposeTranslatorOptions? options = null)
    {
        options ??= new ComposeTranslatorOptions();
        var problems = new List<ManifestProblem>();
        var warnings = new List<ManifestProblem>();
        var completionTargets = file.Services.Values
            .SelectMany(s => s.DependsOn.Where(d => d.Value.Condition == ComposeDependency.CompletedSuccessfully).Select(d => d.Key))
            .ToHashSet(StringComparer.Ordinal);
        var dnsNames = new Dictionary<string, string>(StringComparer.Ordinal);
        var published = new Dictionary<int, string>();
        var plans = ImmutableArray.CreateBuilder<ComposeServicePlan>();
        foreach (var step in ComposeGraph.StartOrder(file))
        {
            var svc = file.Services[step.Service];
            var t = new ServiceTranslation(file, svc, options, problems, warnings);
            var dns = t.DnsName;
            if (dnsNames.TryGetValue(dns, out var other))
                t.Fail("", $"services \"{other}\" and \"{svc.Name}\" both become the name \"{dns}\" (names are lower case with '-' for '_' and '.'); rename one");
            dnsNames[dns] = svc.Name;
            foreach (var p in svc.Ports)
                if (p.Protocol == "tcp" && p.PublishedPort is { } hostPort)
                {
                    if (published.TryGetValue(hostPort, out var by) && by != svc.Name)
                        t.Fail("ports", $"host port {hostPort} is published by \"{by}\" too");
                    published[hostPort] = svc.Name;
                }
            plans.Add(t.Plan(step, completionTargets.Contains(svc.Name)));
        }
        var result = new ComposeTranslation(file.Name, plans.ToImmutable(), [.. warnings]);
        if (problems.Count == 0)
            foreach (var plan in result.Plans)
                foreach (var obj in plan.Services.Cast<KubeObject>().Append(plan.Workload))
                    foreach (var bad in ManifestValidator.Check(obj))
                        problems.Add(new ManifestProblem(file.FilePath, 0, 0, FieldPath.Key("services", plan.Service),
                            $"becomes an invalid {obj.Kind} {obj.Metadata.Name}: {bad.Field}: {bad.Message}"));
        if (problems.Count > 0) throw new ManifestException([.. problems]);
        return result;
    }

    /// <summary>A DNS label made of <paramref name="name"/>: lower case, '-' for anything else, alphanumeric at both ends, at most 63 characters.</summary>
    public static string DnsLabel(string name)
    {
        var sb = new StringBuilder(name.Length);
        foreach (var c in name.ToLowerInvariant()) sb.Append(char.IsAsciiLetterOrDigit(c) ? c : '-');
        var s = sb.ToString().Trim('-');
        if (s.Length > 63) s = s[..63].TrimEnd('-');
        return s;
    }

    /// <summary>A label value made of <paramref name="value"/>: alphanumeric at both ends, at most 63 characters.</summary>
    public static string LabelValue(string value)
    {
        var s = new string(value.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-').ToArray());
        if (s.Length > 63) s = s[..63];
        return s.Trim('-', '_', '.');
    }

    /// <summary>The selector of a compose service's pods.</summary>
    public static ImmutableSortedDictionary<string, string> Selector(string project, string service) =>
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [
            new KeyValuePair<string, string>(ProjectLabel, LabelValue(project)),
            new KeyValuePair<string, string>(ServiceLabel, LabelValue(service)),
        ]);

    /// <summary>One service's translation, collecting its problems.</summary>
    sealed class ServiceTranslation(ComposeFile file, ComposeService svc, ComposeTranslatorOptions options, List<ManifestProblem> problems, List<ManifestProblem> warnings)
    {
        readonly string path = FieldPath.Key("services", svc.Name);

        public string DnsName { get; } = DnsLabel(svc.Name);

        public void Fail(string field, string message) =>
            problems.Add(new ManifestProblem(file.FilePath, 0, 0, field.Length == 0 ? path : $"{path}.{field}", message));

        void Warn(string field, string message) =>
            warnings.Add(new ManifestProblem(file.FilePath, 0, 0, field.Length == 0 ? path : $"{path}.{field}", message));

        public ComposeServicePlan Plan(ComposeStartStep step, bool runsToCompletion)
        {
            if (DnsName.Length == 0) Fail("", $"the service name \"{svc.Name}\" gives no valid object name");
            var selector = Selector(file.Name, svc.Name);
            var labels = selector
                .Add(DockerProjectLabel, LabelValue(file.Name))
                .Add(DockerServiceLabel, LabelValue(svc.Name))
                .Add("app.kubernetes.io/name", LabelValue(svc.Name))
                .Add("app.kubernetes.io/part-of", LabelValue(file.Name))
                .Add("app.kubernetes.io/managed-by", "troupe-compose");
            var annotations = Annotations();
            var restart = svc.Restart ?? "no";
            var oneShot = runsToCompletion && (svc.Replicas ?? 1) == 1 && (restart == "no" || restart.StartsWith("on-failure", StringComparison.Ordinal));
            var podSpec = PodSpec(oneShot ? (restart == "no" ? "Never" : "OnFailure") : "Always");
            var meta = new ObjectMeta { Name = DnsLabel($"{file.Name}-{svc.Name}"), Namespace = options.Namespace, Labels = labels, Annotations = annotations };
            KubeObject workload;
            if (oneShot)
            {
                var podName = svc.ContainerName is { } cn && NameRules.DnsLabel(cn) is null ? cn : DnsLabel($"{file.Name}-{svc.Name}-1");
                workload = new Pod { Metadata = meta with { Name = podName }, Spec = podSpec };
            }
            else
            {
                if (svc.Restart is not (null or "always" or "unless-stopped"))
                    Warn("restart", $"\"{restart}\" is kept as an annotation: a Deployment's pods are always restarted");
                workload = new Deployment
                {
                    // pods named <project>-<service>-<n> (or container_name), as compose names containers
                    Metadata = meta with { Annotations = meta.Annotations.SetItem(PodAnnotations.PodNames, "ordinal") },
                    Spec = new DeploymentSpec
                    {
                        Replicas = svc.Replicas ?? 1,
                        // as docker compose recreates a container: the old one stops before the new one starts (two
                        // containers on one volume, a database's data directory, must never run side by side)
                        Strategy = new DeploymentStrategy { Type = "Recreate" },
                        Selector = new LabelSelector { MatchLabels = selector },
                        Template = new PodTemplateSpec { Metadata = new ObjectMeta { Labels = labels, Annotations = annotations }, Spec = podSpec },
                    },
                };
            }
            ComposeImageBuild? build = null;
            if (svc.Build is { } b)
                build = new ComposeImageBuild(Image, b.Context, b.Dockerfile,
                    b.Args.Where(a => a.Value is not null).ToImmutableSortedDictionary(a => a.Key, a => a.Value!, StringComparer.Ordinal), b.Target);
            return new ComposeServicePlan(svc.Name, workload, Services(selector, labels), build, step);
        }

        /// <summary><c>image</c>, or for a build-only service <c>&lt;project&gt;-&lt;service&gt;:latest</c>, as compose names it.</summary>
        string Image => svc.Image ?? svc.ImageFor(file.Name) + ":latest";

        ImmutableSortedDictionary<string, string> Annotations()
        {
            var a = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
            foreach (var (k, v) in svc.Labels)
            {
                if (NameRules.LabelKey(k) is null) a[k] = v;
                else Warn(FieldPath.Key("labels", k), "is not a valid annotation key; left out");
            }
            if (svc.Restart is { } restart) a[RestartAnnotation] = restart;
            if (svc.ContainerName is { } cn) a[ContainerNameAnnotation] = cn;
            if (svc.Init == true) a[PodAnnotations.Init] = "true";
            if (svc.Limits?.Pids is { } pids and > 0) a[PodAnnotations.PidsLimit] = pids.ToString(CultureInfo.InvariantCulture);
            if (svc.StopSignal is { } sig) a[StopSignalAnnotation] = sig;
            if (svc.User is { } user && UserIds(user) is null) a[PodAnnotations.User] = user;
            return a.ToImmutable();
        }

        /// <summary>A numeric <c>UID[:GID]</c>, or null when it names a user (resolved in the image).</summary>
        static SecurityContext? UserIds(string user)
        {
            var parts = user.Split(':');
            if (parts.Length > 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var uid)) return null;
            long? gid = null;
            if (parts.Length == 2)
            {
                if (!long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var g)) return null;
                gid = g;
            }
            return new SecurityContext { RunAsUser = uid, RunAsGroup = gid };
        }

        PodSpec PodSpec(string restartPolicy)
        {
            var volumes = ImmutableArray.CreateBuilder<Volume>();
            var mounts = ImmutableArray.CreateBuilder<VolumeMount>();
            Mounts(volumes, mounts);
            string? hostname = null;
            if (svc.Hostname is { } h)
            {
                if (NameRules.DnsLabel(h) is null) hostname = h;
                else Warn("hostname", $"\"{h}\" is not a DNS label; the pod's name is its hostname");
            }
            foreach (var (net, cfg) in svc.Networks)
                if (cfg is { Aliases.IsDefaultOrEmpty: false } || cfg?.Ipv4Address is not null)
                    Warn(FieldPath.Key("networks", net), "aliases and fixed addresses are not supported by Troupe yet; the service is reached by its name");
            var container = new Container
            {
                Name = DnsName.Length > 0 ? DnsName : "app",
                Image = Image,
                ImagePullPolicy = svc.Build is not null ? "IfNotPresent" : null,
                Command = svc.Entrypoint ?? [],
                Args = svc.Command ?? [],
                Env = Env(),
                WorkingDir = svc.WorkingDir,
                Ports = ContainerPorts(),
                Resources = new ResourceRequirements { Limits = Quantities(svc.Limits), Requests = Quantities(svc.Reservations) },
                Tty = svc.Tty ?? false,
                Stdin = svc.StdinOpen ?? false,
                ReadinessProbe = Probe(),
                SecurityContext = svc.User is { } u ? UserIds(u) : null,
                VolumeMounts = mounts.ToImmutable(),
            };
            return new PodSpec
            {
                Containers = [container],
                RestartPolicy = restartPolicy,
                TerminationGracePeriodSeconds = (long)Math.Ceiling((svc.StopGracePeriod ?? DefaultStopGracePeriod).TotalSeconds),
                Hostname = hostname,
                Volumes = volumes.ToImmutable(),
            };
        }

        ImmutableArray<EnvVar> Env()
        {
            var env = new Dictionary<string, string>(StringComparer.Ordinal);
            var order = new List<string>();
            void Set(string k, string v)
            {
                if (!env.ContainsKey(k)) order.Add(k);
                env[k] = v;
            }
            for (var i = 0; i < svc.EnvFiles.Length; i++)
            {
                var f = svc.EnvFiles[i];
                if (!File.Exists(f.Path))
                {
                    if (f.Required) Fail($"env_file[{i}]", $"env file {f.Path} not found");
                    continue;
                }
                try
                {
                    foreach (var (k, v) in DotEnv.Parse(File.ReadAllText(f.Path), n => options.Variables.TryGetValue(n, out var x) ? x : null))
                        Set(k, v);
                }
                catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
                {
                    Fail($"env_file[{i}]", $"{f.Path}: {e.Message}");
                }
            }
            foreach (var (k, v) in svc.Environment)
                if (v is not null) Set(k, v);
            var result = ImmutableArray.CreateBuilder<EnvVar>(order.Count);
            foreach (var k in order)
            {
                if (NameRules.EnvName(k) is { } bad) Fail(FieldPath.Key("environment", k), bad);
                result.Add(new EnvVar(k, env[k]));
            }
            return result.ToImmutable();
        }

        /// <summary>Every port the container listens on (from <c>ports</c> and <c>expose</c>), once each.</summary>
        ImmutableArray<PortSpec> ContainerPorts()
        {
            var seen = new HashSet<(int, string)>();
            var b = ImmutableArray.CreateBuilder<PortSpec>();
            foreach (var (port, proto) in TargetPorts())
                if (seen.Add((port, proto))) b.Add(new PortSpec { ContainerPort = port, Protocol = proto.ToUpperInvariant() });
            return b.ToImmutable();
        }

        IEnumerable<(int Port, string Protocol)> TargetPorts()
        {
            foreach (var p in svc.Ports) yield return (p.Target, p.Protocol);
            foreach (var e in svc.Expose)
            {
                var slash = e.IndexOf('/');
                var proto = slash < 0 ? "tcp" : e[(slash + 1)..].ToLowerInvariant();
                var range = slash < 0 ? e : e[..slash];
                var dash = range.IndexOf('-');
                var from = int.Parse(dash < 0 ? range : range[..dash], CultureInfo.InvariantCulture);
                var to = dash < 0 ? from : int.Parse(range[(dash + 1)..], CultureInfo.InvariantCulture);
                for (var port = from; port <= to; port++) yield return (port, proto);
            }
        }

        static ImmutableSortedDictionary<string, string> Quantities(ComposeResources? r)
        {
            var b = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
            if (r?.Cpus is { } cpus && decimal.TryParse(cpus, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var c) && c > 0)
                b["cpu"] = c.ToString(CultureInfo.InvariantCulture);
            if (r?.MemoryBytes is { } mem and > 0) b["memory"] = mem.ToString(CultureInfo.InvariantCulture);
            return b.ToImmutable();
        }

        /// <summary>The healthcheck as a readiness probe: it gates the Service's endpoints and <c>service_healthy</c>.</summary>
        Probe? Probe()
        {
            if (svc.Healthcheck is not { } h || h.IsDisabled || h.Test.IsDefaultOrEmpty) return null;
            ImmutableArray<string> command = h.Test[0] == "CMD-SHELL" ? ["/bin/sh", "-c", h.Test[1]] : h.Test[1..];
            static int Seconds(TimeSpan? d, TimeSpan fallback, int min) => Math.Max(min, (int)Math.Min(int.MaxValue, Math.Ceiling((d ?? fallback).TotalSeconds)));
            return new Probe
            {
                Exec = new ExecAction(command),
                PeriodSeconds = Seconds(h.Interval, TimeSpan.FromSeconds(30), 1),
                TimeoutSeconds = Seconds(h.Timeout, TimeSpan.FromSeconds(30), 1),
                FailureThreshold = h.Retries is { } r and > 0 ? r : 3,
                InitialDelaySeconds = Seconds(h.StartPeriod, TimeSpan.Zero, 0),
            };
        }

        void Mounts(ImmutableArray<Volume>.Builder volumes, ImmutableArray<VolumeMount>.Builder mounts)
        {
            for (var i = 0; i < svc.Volumes.Length; i++)
            {
                var m = svc.Volumes[i];
                var name = $"vol-{i}";
                Volume? v = m.Type switch
                {
                    "bind" => new Volume { Name = name, HostPath = new HostPathVolumeSource(m.Source!, Path.Exists(m.Source) ? null : m.CreateHostPath ? "DirectoryOrCreate" : "Directory") },
                    "volume" when m.Source is { } key => Named(name, key),
                    "volume" => new Volume { Name = name, EmptyDir = new EmptyDirVolumeSource() },
                    "tmpfs" => new Volume { Name = name, EmptyDir = new EmptyDirVolumeSource("Memory", m.TmpfsSize?.ToString(CultureInfo.InvariantCulture)) },
                    _ => null,
                };
                if (v is null) continue;
                volumes.Add(v);
                mounts.Add(new VolumeMount { Name = name, MountPath = m.Target, ReadOnly = m.ReadOnly, SubPath = m.Subpath });
            }
            for (var i = 0; i < svc.Secrets.Length; i++)
            {
                var s = svc.Secrets[i];
                if (!file.Secrets.TryGetValue(s.Source, out var secret)) continue;
                if (secret.File is not { } source)
                {
                    Fail($"secrets[{i}]", secret.External
                        ? $"secret \"{s.Source}\" is external, which Troupe does not support yet"
                        : $"secret \"{s.Source}\" comes from environment:, which Troupe does not support yet (use file:)");
                    continue;
                }
                if (!File.Exists(source))
                {
                    Fail($"secrets[{i}]", $"secret \"{s.Source}\": file {source} not found");
                    continue;
                }
                var name = $"secret-{i}";
                volumes.Add(new Volume { Name = name, HostPath = new HostPathVolumeSource(source, "File") });
                mounts.Add(new VolumeMount { Name = name, MountPath = s.MountPath, ReadOnly = true });
            }
        }

        Volume Named(string name, string key)
        {
            var full = file.Volumes.TryGetValue(key, out var v) ? v.Name : $"{file.Name}_{key}";
            return options.VolumesRoot is { } root
                ? new Volume { Name = name, HostPath = new HostPathVolumeSource(Path.Combine(Path.GetFullPath(root), full), "DirectoryOrCreate") }
                : new Volume { Name = name, TroupeVolume = new NamedVolumeSource(full) };
        }

        ImmutableArray<K8sService> Services(ImmutableSortedDictionary<string, string> selector, ImmutableSortedDictionary<string, string> labels)
        {
            var meta = new ObjectMeta { Name = DnsName, Namespace = options.Namespace, Labels = labels };
            var tcp = TargetPorts().Where(p => p.Protocol == "tcp").Select(p => p.Port).Distinct().Order().ToList();
            foreach (var p in svc.Ports)
            {
                if (p.Published is not null && p.Protocol != "tcp")
                    Warn("ports", $"{p.Published}:{p.Target}/{p.Protocol} is not published: Troupe's Services are TCP only");
                else if (p.Published is not null && p.PublishedPort is null)
                    Warn("ports", $"the host port range {p.Published} is not published: publish one port per entry");
                else if (p.HostIp is { } ip && ip is not ("0.0.0.0" or "::"))
                    Warn("ports", $"{ip}:{p.Published}:{p.Target}: the port is published on every address of the node, not only {ip}");
            }
            var publish = svc.Ports.Where(p => p.Protocol == "tcp" && p.PublishedPort is not null)
                .DistinctBy(p => p.PublishedPort).ToList();
            static ServicePort Port(int port, int target, bool named) =>
                new() { Name = named ? $"tcp-{port}" : null, Port = port, TargetPort = new IntOrString(target.ToString(CultureInfo.InvariantCulture)) };
            if (tcp.Count == 0)
                return [new K8sService { Metadata = meta, Spec = new ServiceSpec { Selector = selector, ClusterIP = "None" } }];
            if (publish.Count > 0 && publish.All(p => p.PublishedPort == p.Target) && publish.Count == tcp.Count)
                return [new K8sService { Metadata = meta, Spec = new ServiceSpec { Type = "LoadBalancer", Selector = selector, Ports = [.. tcp.Select(p => Port(p, p, tcp.Count > 1))] } }];
            var cluster = new K8sService { Metadata = meta, Spec = new ServiceSpec { Selector = selector, Ports = [.. tcp.Select(p => Port(p, p, tcp.Count > 1))] } };
            if (publish.Count == 0) return [cluster];
            var lb = new K8sService
            {
                Metadata = meta with { Name = DnsLabel($"{DnsName}-published") },
                Spec = new ServiceSpec { Type = "LoadBalancer", Selector = selector, Ports = [.. publish.Select(p => Port(p.PublishedPort!.Value, p.Target, publish.Count > 1))] },
            };
            return [cluster, lb];
        }
    }
}
