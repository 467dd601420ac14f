using System.Collections.Immutable;
using System.Globalization;
using Troupe.Api.Manifests;
using YamlDotNet.RepresentationModel;

namespace Troupe.Api.Compose;

/// <summary>INTERNAL API. One service's keys, each of its list-or-map and short-or-long forms to the one normal form.</summary>
internal sealed partial class ComposeParser
{
    /// <summary>Service keys the Compose specification has and Troupe does not run yet: warnings.</summary>
    static readonly HashSet<string> ServiceSpecOnly =
    [
        "annotations", "attach", "blkio_config", "cpu_count", "cpu_percent", "cpu_shares", "cpu_period", "cpu_quota",
        "cpu_rt_runtime", "cpu_rt_period", "cpuset", "cap_add", "cap_drop", "cgroup", "cgroup_parent", "configs",
        "credential_spec", "develop", "device_cgroup_rules", "devices", "dns", "dns_opt", "dns_search", "domainname",
        "driver_opts", "extends", "external_links", "extra_hosts", "gpus", "group_add", "ipc", "isolation", "label_file",
        "links", "logging", "mac_address", "mem_reservation", "mem_swappiness", "memswap_limit", "models", "network_mode",
        "oom_kill_disable", "oom_score_adj", "pid", "platform", "post_start", "pre_stop", "privileged", "provider",
        "pull_policy", "read_only", "runtime", "security_opt", "shm_size", "storage_opt", "sysctls", "ulimits",
        "use_api_socket", "userns_mode", "uts", "volumes_from",
    ];

    ComposeService? Service(string name, YamlNode node, string path)
    {
        var map = r.Map(node, path);
        if (map is null)
        {
            if (NodeReader.IsNull(node)) r.Error(node, path, $"service \"{name}\" has neither an image nor a build context specified");
            return null;
        }
        var s = new ComposeService { Name = name };
        foreach (var (key, value, p) in r.Entries(map, path))
        {
            switch (key)
            {
                case "image": s = s with { Image = NonEmpty(value, p) }; break;
                case "build": s = s with { Build = Build(value, p) }; break;
                case "command": s = s with { Command = Words(value, p) }; break;
                case "entrypoint": s = s with { Entrypoint = Words(value, p) }; break;
                case "environment": s = s with { Environment = ListOrMap(value, p, FromVariables) }; break;
                case "env_file": s = s with { EnvFiles = EnvFiles(value, p) }; break;
                case "ports": s = s with { Ports = Ports(value, p) }; break;
                case "expose": s = s with { Expose = Expose(value, p) }; break;
                case "volumes": s = s with { Volumes = s.Volumes.AddRange(Mounts(value, p)) }; break;
                case "tmpfs":
                    s = s with { Volumes = s.Volumes.AddRange(StringOrList(value, p).Select(t => Tmpfs(t, value, p)).OfType<ComposeMount>()) };
                    break;
                case "depends_on": Remember(KeyNode(map, key, value), p); s = s with { DependsOn = DependsOn(value, p) }; break;
                case "healthcheck": s = s with { Healthcheck = Healthcheck(value, p) }; break;
                case "restart": s = s with { Restart = Restart(value, p) }; break;
                case "deploy": s = Deploy(s, value, p); break;
                case "scale": s = s with { Replicas = s.Replicas ?? (int?)LongValue(value, p, 0, ManifestValidator.MaxReplicas) }; break;
                case "cpus": s = s with { Limits = (s.Limits ?? new()) with { Cpus = Cpus(value, p) } }; break;
                case "mem_limit": s = s with { Limits = (s.Limits ?? new()) with { MemoryBytes = Bytes(value, p) } }; break;
                case "pids_limit": s = s with { Limits = (s.Limits ?? new()) with { Pids = LongValue(value, p, -1, long.MaxValue) } }; break;
                case "networks": s = s with { Networks = ServiceNetworks(value, p) }; break;
                case "secrets": s = s with { Secrets = SecretRefs(value, p) }; break;
                case "container_name": s = s with { ContainerName = ContainerName(value, p) }; break;
                case "profiles": s = s with { Profiles = StringOrList(value, p) }; break;
                case "working_dir": s = s with { WorkingDir = AbsoluteInContainer(value, p) }; break;
                case "user": s = s with { User = NonEmpty(value, p) }; break;
                case "hostname": s = s with { Hostname = NonEmpty(value, p) }; break;
                case "labels": s = s with { Labels = StringMap(value, p) }; break;
                case "init": s = s with { Init = BoolValue(value, p) }; break;
                case "stop_grace_period": s = s with { StopGracePeriod = Duration(value, p) }; break;
                case "stop_signal": s = s with { StopSignal = NonEmpty(value, p) }; break;
                case "tty": s = s with { Tty = BoolValue(value, p) }; break;
                case "stdin_open": s = s with { StdinOpen = BoolValue(value, p) }; break;
                default: Other(map, key, value, p, ServiceSpecOnly); break;
            }
        }
        if (s.Image is null && s.Build is null)
            r.Error(map, path, $"service \"{name}\" has neither an image nor a build context specified");
        if (s.Networks.IsEmpty) s = s with { Networks = s.Networks.Add("default", null) };
        return s;
    }

    ComposeBuild? Build(YamlNode value, string path)
    {
        if (NodeReader.IsNull(value)) return null;
        if (value is YamlScalarNode) return Scalar(value, path) is { } ctx ? new ComposeBuild { Context = Context(ctx) } : null;
        var map = r.Map(value, path);
        if (map is null) return null;
        var b = new ComposeBuild { Context = projectDir };
        foreach (var (k, v, p) in r.Entries(map, path))
            switch (k)
            {
                case "context": b = NonEmpty(v, p) is { } c ? b with { Context = Context(c) } : b; break;
                case "dockerfile": b = NonEmpty(v, p) is { } d ? b with { Dockerfile = d } : b; break;
                case "args": b = b with { Args = ListOrMap(v, p, FromVariables) }; break;
                case "target": b = b with { Target = NonEmpty(v, p) }; break;
                default: Other(map, k, v, p, BuildSpecOnly); break;
            }
        return b;
    }

    static readonly HashSet<string> BuildSpecOnly =
    [
        "dockerfile_inline", "ssh", "cache_from", "cache_to", "additional_contexts", "entitlements", "extra_hosts",
        "isolation", "labels", "network", "no_cache", "platforms", "privileged", "pull", "secrets", "shm_size", "tags",
        "ulimits", "provenance", "sbom",
    ];

    /// <summary>A build context: a URL (git, http) as written, else a folder made absolute.</summary>
    string Context(string context) =>
        context.Contains("://", StringComparison.Ordinal) || context.StartsWith("git@", StringComparison.Ordinal) ? context : HostPath(context);

    /// <summary>A string split into shell words, or a list; null when not written.</summary>
    ImmutableArray<string>? Words(YamlNode value, string path)
    {
        if (NodeReader.IsNull(value)) return null;
        if (value is YamlScalarNode)
        {
            var text = Scalar(value, path)!;
            try { return ComposeValues.SplitShellWords(text); }
            catch (FormatException e) { r.Error(value, path, e.Message); return null; }
        }
        var seq = r.Seq(value, path);
        if (seq is null) return null;
        var b = ImmutableArray.CreateBuilder<string>();
        for (var i = 0; i < seq.Children.Count; i++)
        {
            var item = seq.Children[i];
            b.Add(NodeReader.IsNull(item) ? "" : Scalar(item, FieldPath.Index(path, i)) ?? "");
        }
        return b.ToImmutable();
    }

    ImmutableArray<ComposeEnvFile> EnvFiles(YamlNode value, string path)
    {
        if (NodeReader.IsNull(value)) return [];
        if (value is YamlScalarNode) return Scalar(value, path) is { Length: > 0 } one ? [new ComposeEnvFile(HostPath(one))] : [];
        var seq = r.Seq(value, path);
        if (seq is null) return [];
        var b = ImmutableArray.CreateBuilder<ComposeEnvFile>();
        for (var i = 0; i < seq.Children.Count; i++)
        {
            var item = seq.Children[i];
            var p = FieldPath.Index(path, i);
            if (item is YamlMappingNode m)
            {
                string? filePath = null;
                var required = true;
                foreach (var (k, v, kp) in r.Entries(m, p))
                    switch (k)
                    {
                        case "path": filePath = NonEmpty(v, kp); break;
                        case "required": required = BoolValue(v, kp) ?? true; break;
                        case "format": Other(m, k, v, kp, new HashSet<string> { "format" }); break;
                        default: Other(m, k, v, kp, EmptySet); break;
                    }
                if (filePath is null) r.Error(m, $"{p}.path", "is required");
                else b.Add(new ComposeEnvFile(HostPath(filePath), required));
            }
            else if (NonEmpty(item, p) is { } f) b.Add(new ComposeEnvFile(HostPath(f)));
        }
        return b.ToImmutable();
    }

    // ---- ports ---------------------------------------------------------------------------------------

    ImmutableArray<ComposePort> Ports(YamlNode value, string path)
    {
        var seq = r.Seq(value, path);
        if (seq is null) return [];
        var b = ImmutableArray.CreateBuilder<ComposePort>();
        for (var i = 0; i < seq.Children.Count; i++)
        {
            var item = seq.Children[i];
            var p = FieldPath.Index(path, i);
            if (item is YamlMappingNode m) { if (LongPort(m, p) is { } port) b.Add(port); }
            else if (Scalar(item, p) is { } text) b.AddRange(ShortPorts(text, item, p));
        }
        return b.ToImmutable();
    }

    ComposePort? LongPort(YamlMappingNode m, string path)
    {
        int? target = null;
        string? published = null, hostIp = null, name = null, appProtocol = null;
        string protocol = "tcp", mode = "ingress";
        foreach (var (k, v, p) in r.Entries(m, path))
            switch (k)
            {
                case "target": target = PortNumber(v, p); break;
                case "published":
                    published = Scalar(v, p);
                    if (published is { } pub && !IsPortOrRange(pub)) r.Error(v, p, $"invalid published port \"{pub}\": must be a port number between 1 and 65535 (or a range)");
                    break;
                case "host_ip": hostIp = HostIp(v, p); break;
                case "protocol": protocol = Protocol(Scalar(v, p), v, p); break;
                case "mode":
                    mode = Scalar(v, p) ?? "ingress";
                    if (mode is not ("ingress" or "host")) r.Error(v, p, $"unsupported value \"{mode}\": use ingress or host");
                    break;
                case "name": name = Scalar(v, p); break;
                case "app_protocol": appProtocol = Scalar(v, p); break;
                default: Other(m, k, v, p, EmptySet); break;
            }
        if (target is null)
        {
            r.Error(m, $"{path}.target", "is required");
            return null;
        }
        return new ComposePort { Target = target.Value, Published = published, HostIp = hostIp, Protocol = protocol, Mode = mode, Name = name, AppProtocol = appProtocol };
    }

    int? PortNumber(YamlNode v, string path) => (int?)LongValue(v, path, 1, 65535);

    static bool IsPortOrRange(string s)
    {
        var dash = s.IndexOf('-');
        return dash < 0 ? ParsePort(s) is not null : ParsePort(s[..dash]) is { } a && ParsePort(s[(dash + 1)..]) is { } b && a <= b;
    }

    static int? ParsePort(string s) =>
        s.Length is > 0 and <= 5 && s.All(char.IsAsciiDigit) && int.Parse(s, CultureInfo.InvariantCulture) is var n and >= 1 and <= 65535 ? n : null;

    string Protocol(string? written, YamlNode at, string path)
    {
        var proto = (written ?? "tcp").ToLowerInvariant();
        if (proto is not ("tcp" or "udp" or "sctp")) r.Error(at, path, $"unsupported protocol \"{written}\": use tcp or udp");
        return proto;
    }

    string? HostIp(YamlNode v, string path)
    {
        var ip = Scalar(v, path);
        if (ip is { Length: > 0 } && !System.Net.IPAddress.TryParse(ip.Trim('[', ']'), out _)) r.Error(v, path, $"invalid host IP \"{ip}\"");
        return ip is { Length: > 0 } ? ip.Trim('[', ']') : null;
    }

    /// <summary><c>[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]</c>; equal-length ranges expand into one port each.</summary>
    IEnumerable<ComposePort> ShortPorts(string text, YamlNode at, string path)
    {
        var spec = text.Trim();
        var protocol = "tcp";
        var slash = spec.LastIndexOf('/');
        if (slash >= 0) { protocol = Protocol(spec[(slash + 1)..], at, path); spec = spec[..slash]; }
        string? hostIp = null;
        if (spec.StartsWith('['))
        {
            var close = spec.IndexOf(']');
            if (close < 0 || close + 1 >= spec.Length || spec[close + 1] != ':') { r.Error(at, path, $"invalid port \"{text}\""); yield break; }
            hostIp = spec[1..close];
            spec = spec[(close + 2)..];
        }
        var parts = spec.Split(':');
        if (hostIp is null && parts.Length == 3) { hostIp = parts[0]; parts = parts[1..]; }
        if (parts.Length > 2 || hostIp is not null && !System.Net.IPAddress.TryParse(hostIp, out _))
        {
            r.Error(at, path, $"invalid port \"{text}\": use [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], such as 8080:80");
            yield break;
        }
        var containerPart = parts[^1];
        var hostPart = parts.Length == 2 ? parts[0] : null;
        if (hostPart is { Length: 0 }) hostPart = null; // "127.0.0.1::80": any host port
        if (Range(containerPart) is not var (cFrom, cTo))
        {
            r.Error(at, path, $"invalid port \"{text}\": the container port \"{containerPart}\" must be a number between 1 and 65535");
            yield break;
        }
        (int From, int To)? host = null;
        if (hostPart is not null)
        {
            host = Range(hostPart);
            if (host is null) { r.Error(at, path, $"invalid port \"{text}\": the host port \"{hostPart}\" must be a number between 1 and 65535"); yield break; }
        }
        var count = cTo - cFrom + 1;
        if (host is { } h && h.To - h.From + 1 != count)
        {
            if (count == 1)
            {
                r.Error(at, path, $"invalid port \"{text}\": a host port range for one container port is not supported by Troupe; publish one host port");
                yield break;
            }
            r.Error(at, path, $"invalid port \"{text}\": the host and container port ranges must have the same length");
            yield break;
        }
        for (var i = 0; i < count; i++)
            yield return new ComposePort
            {
                Target = cFrom + i,
                Published = host is { } hp ? (hp.From + i).ToString(CultureInfo.InvariantCulture) : null,
                HostIp = hostIp,
                Protocol = protocol,
            };
    }

    static (int From, int To)? Range(string s)
    {
        var dash = s.IndexOf('-');
        if (dash < 0) return ParsePort(s) is { } n ? (n, n) : null;
        return ParsePort(s[..dash]) is { } a && ParsePort(s[(dash + 1)..]) is { } b && a <= b ? (a, b) : null;
    }

    ImmutableArray<string> Expose(YamlNode value, string path)
    {
        var b = ImmutableArray.CreateBuilder<string>();
        var seq = r.Seq(value, path);
        if (seq is null) return [];
        for (var i = 0; i < seq.Children.Count; i++)
        {
            var p = FieldPath.Index(path, i);
            if (Scalar(seq.Children[i], p) is not { } e) continue;
            var slash = e.IndexOf('/');
            var port = slash < 0 ? e : e[..slash];
            if (slash >= 0) Protocol(e[(slash + 1)..], seq.Children[i], p);
            if (Range(port) is null) r.Error(seq.Children[i], p, $"invalid port \"{e}\": must be a number between 1 and 65535 (or a range)");
            else b.Add(e);
        }
        return b.ToImmutable();
    }

    // ---- volumes -------------------------------------------------------------------------------------

    IEnumerable<ComposeMount> Mounts(YamlNode value, string path)
    {
        var seq = r.Seq(value, path);
        if (seq is null) yield break;
        for (var i = 0; i < seq.Children.Count; i++)
        {
            var item = seq.Children[i];
            var p = FieldPath.Index(path, i);
            Remember(item, p);
            var m = item is YamlMappingNode map ? LongMount(map, p) : Scalar(item, p) is { } text ? ShortMount(text, item, p) : null;
            if (m is not null) yield return m;
        }
    }

    /// <summary><c>SOURCE:TARGET[:MODE]</c> or <c>TARGET</c> (an anonymous volume). A source with a '/' or starting with '.' or '~' is a bind.</summary>
    ComposeMount? ShortMount(string text, YamlNode at, string path)
    {
        var parts = text.Split(':');
        if (parts.Length == 1) return CheckTarget(new ComposeMount { Type = "volume", Target = parts[0] }, at, path);
        if (parts.Length > 3 || parts[0].Length == 0 || parts[1].Length == 0)
        {
            r.Error(at, path, $"invalid volume \"{text}\": use SOURCE:TARGET[:ro], such as data:/var/lib/data or ./site:/usr/share/nginx/html:ro");
            return null;
        }
        var readOnly = false;
        if (parts.Length == 3)
            foreach (var option in parts[2].Split(','))
                switch (option)
                {
                    case "ro": readOnly = true; break;
                    case "rw" or "z" or "Z" or "nocopy" or "cached" or "delegated" or "consistent" or "rprivate" or "private" or "rshared" or "shared" or "rslave" or "slave": break;
                    default: r.Error(at, path, $"invalid volume \"{text}\": unknown mode \"{option}\" (use ro or rw)"); return null;
                }
        var source = parts[0];
        var isBind = source.Contains('/') || source.StartsWith('.') || source.StartsWith('~');
        if (!isBind && !Objects.VolumeNames.IsValid(source))
        {
            r.Error(at, path, $"invalid volume name \"{source}\": use letters, digits, '_', '.' or '-' (a host path starts with ./, ../, ~/ or /)");
            return null;
        }
        return CheckTarget(isBind
            ? new ComposeMount { Type = "bind", Source = HostPath(source), Target = parts[1], ReadOnly = readOnly, CreateHostPath = true }
            : new ComposeMount { Type = "volume", Source = source, Target = parts[1], ReadOnly = readOnly }, at, path);
    }

    ComposeMount? CheckTarget(ComposeMount m, YamlNode at, string path)
    {
        if (!m.Target.StartsWith('/'))
        {
            r.Error(at, path, $"invalid mount target \"{m.Target}\": must be an absolute path in the container");
            return null;
        }
        return m;
    }

    ComposeMount? LongMount(YamlMappingNode map, string path)
    {
        string? type = null, source = null, target = null, subpath = null;
        bool readOnly = false, createHostPath = false;
        long? size = null;
        foreach (var (k, v, p) in r.Entries(map, path))
            switch (k)
            {
                case "type": type = Scalar(v, p); break;
                case "source": source = Scalar(v, p); break;
                case "target": target = NonEmpty(v, p); break;
                case "read_only": readOnly = BoolValue(v, p) ?? false; break;
                case "bind":
                    if (r.Map(v, p) is { } bind)
                        foreach (var (bk, bv, bp) in r.Entries(bind, p))
                            if (bk == "create_host_path") createHostPath = BoolValue(bv, bp) ?? false;
                            else Other(bind, bk, bv, bp, new HashSet<string> { "propagation", "selinux", "recursive" });
                    break;
                case "volume":
                    if (r.Map(v, p) is { } vol)
                        foreach (var (vk, vv, vp) in r.Entries(vol, p))
                            if (vk == "subpath") subpath = Scalar(vv, vp);
                            else Other(vol, vk, vv, vp, new HashSet<string> { "nocopy" });
                    break;
                case "tmpfs":
                    if (r.Map(v, p) is { } tmp)
                        foreach (var (tk, tv, tp) in r.Entries(tmp, p))
                            if (tk == "size") size = Bytes(tv, tp);
                            else Other(tmp, tk, tv, tp, new HashSet<string> { "mode" });
                    break;
                case "consistency": break;
                default: Other(map, k, v, p, new HashSet<string> { "image" }); break;
            }
        if (target is null) { r.Error(map, $"{path}.target", "is required"); return null; }
        switch (type)
        {
            case null: r.Error(map, $"{path}.type", "is required (bind, volume or tmpfs)"); return null;
            case "bind":
                if (string.IsNullOrEmpty(source)) { r.Error(map, $"{path}.source", "is required for a bind mount"); return null; }
                return CheckTarget(new ComposeMount { Type = "bind", Source = HostPath(source), Target = target, ReadOnly = readOnly, CreateHostPath = createHostPath }, map, path);
            case "volume":
                if (source is { Length: > 0 } && !Objects.VolumeNames.IsValid(source))
                {
                    r.Error(map, $"{path}.source", $"invalid volume name \"{source}\"");
                    return null;
                }
                return CheckTarget(new ComposeMount { Type = "volume", Source = source is { Length: > 0 } ? source : null, Target = target, ReadOnly = readOnly, Subpath = subpath }, map, path);
            case "tmpfs":
                return CheckTarget(new ComposeMount { Type = "tmpfs", Target = target, TmpfsSize = size }, map, path);
            case "npipe" or "cluster" or "image":
                r.Warn(map, $"{path}.type", $"{type} mounts are not supported by Troupe yet; ignored");
                return null;
            default:
                r.Error(map, $"{path}.type", $"unsupported value \"{type}\": use bind, volume or tmpfs");
                return null;
        }
    }

    ComposeMount? Tmpfs(string text, YamlNode at, string path)
    {
        var colon = text.IndexOf(':');
        var target = colon < 0 ? text : text[..colon];
        long? size = null;
        if (colon >= 0)
            foreach (var opt in text[(colon + 1)..].Split(','))
                if (opt.StartsWith("size=", StringComparison.Ordinal)) size = ComposeValues.ParseBytes(opt[5..]);
        return CheckTarget(new ComposeMount { Type = "tmpfs", Target = target, TmpfsSize = size }, at, path);
    }

    // ---- dependencies, health, restart, deploy -----------------------------------------------------

    ImmutableSortedDictionary<string, ComposeDependency> DependsOn(YamlNode value, string path)
    {
        var b = ImmutableSortedDictionary.CreateBuilder<string, ComposeDependency>(StringComparer.Ordinal);
        if (NodeReader.IsNull(value)) return b.ToImmutable();
        if (value is YamlSequenceNode seq)
        {
            for (var i = 0; i < seq.Children.Count; i++)
                if (NonEmpty(seq.Children[i], FieldPath.Index(path, i)) is { } dep)
                {
                    Remember(seq.Children[i], FieldPath.Key(path, dep));
                    b[dep] = new ComposeDependency();
                }
            return b.ToImmutable();
        }
        var map = r.Map(value, path);
        if (map is null) return b.ToImmutable();
        foreach (var (dep, v, p) in r.Entries(map, path))
        {
            Remember(KeyNode(map, dep, v), p);
            var d = new ComposeDependency();
            if (r.Map(v, p) is { } m)
                foreach (var (k, kv, kp) in r.Entries(m, p))
                    switch (k)
                    {
                        case "condition":
                            var c = Scalar(kv, kp);
                            if (c is ComposeDependency.Started or ComposeDependency.Healthy or ComposeDependency.CompletedSuccessfully) d = d with { Condition = c };
                            else r.Error(kv, kp, $"unsupported value \"{c}\": use service_started, service_healthy or service_completed_successfully");
                            break;
                        case "required": d = d with { Required = BoolValue(kv, kp) ?? true }; break;
                        case "restart": d = d with { Restart = BoolValue(kv, kp) ?? false }; break;
                        default: Other(m, k, kv, kp, EmptySet); break;
                    }
            b[dep] = d;
        }
        return b.ToImmutable();
    }

    ComposeHealthcheck? Healthcheck(YamlNode value, string path)
    {
        var map = r.Map(value, path);
        if (map is null) return null;
        var h = new ComposeHealthcheck();
        foreach (var (k, v, p) in r.Entries(map, path))
            switch (k)
            {
                case "test": h = h with { Test = Test(v, p) }; break;
                case "interval": h = h with { Interval = Duration(v, p) }; break;
                case "timeout": h = h with { Timeout = Duration(v, p) }; break;
                case "start_period": h = h with { StartPeriod = Duration(v, p) }; break;
                case "start_interval": h = h with { StartInterval = Duration(v, p) }; break;
                case "retries": h = h with { Retries = (int?)LongValue(v, p, 0, int.MaxValue) }; break;
                case "disable": h = h with { Disable = BoolValue(v, p) ?? false }; break;
                default: Other(map, k, v, p, EmptySet); break;
            }
        return h;
    }

    ImmutableArray<string> Test(YamlNode v, string path)
    {
        if (NodeReader.IsNull(v)) return [];
        if (v is YamlScalarNode) return Scalar(v, path) is { Length: > 0 } cmd ? ["CMD-SHELL", cmd] : [];
        var words = Words(v, path) ?? [];
        if (words.IsEmpty) return [];
        switch (words[0])
        {
            case "NONE": return ["NONE"];
            case "CMD" when words.Length > 1: return words;
            case "CMD-SHELL" when words.Length == 2: return words;
            case "CMD-SHELL" when words.Length > 2: return ["CMD-SHELL", string.Join(' ', words.Skip(1))];
            default:
                r.Error(v, path, $"a healthcheck test list starts with CMD, CMD-SHELL or NONE and has a command, got [{string.Join(", ", words)}]");
                return [];
        }
    }

    string? Restart(YamlNode v, string path)
    {
        var s = Scalar(v, path);
        if (s is "false") return "no";
        if (s is null or "no" or "always" or "unless-stopped" or "on-failure") return s;
        if (s.StartsWith("on-failure:", StringComparison.Ordinal) && int.TryParse(s[11..], NumberStyles.None, CultureInfo.InvariantCulture, out _)) return s;
        r.Error(v, path, $"unsupported value \"{s}\": use no, always, on-failure[:N] or unless-stopped");
        return null;
    }

    static readonly HashSet<string> DeploySpecOnly = ["mode", "labels", "update_config", "rollback_config", "restart_policy", "placement", "endpoint_mode"];

    ComposeService Deploy(ComposeService s, YamlNode value, string path)
    {
        var map = r.Map(value, path);
        if (map is null) return s;
        foreach (var (k, v, p) in r.Entries(map, path))
            switch (k)
            {
                case "replicas": s = s with { Replicas = (int?)LongValue(v, p, 0, ManifestValidator.MaxReplicas) }; break;
                case "resources":
                    if (r.Map(v, p) is not { } res) break;
                    foreach (var (rk, rv, rp) in r.Entries(res, p))
                        switch (rk)
                        {
                            case "limits": s = s with { Limits = Resources(rv, rp, s.Limits) }; break;
                            case "reservations": s = s with { Reservations = Resources(rv, rp, s.Reservations) }; break;
                            default: Other(res, rk, rv, rp, EmptySet); break;
                        }
                    break;
                default: Other(map, k, v, p, DeploySpecOnly); break;
            }
        return s;
    }

    ComposeResources? Resources(YamlNode v, string path, ComposeResources? current)
    {
        var map = r.Map(v, path);
        if (map is null) return current;
        var res = current ?? new ComposeResources();
        foreach (var (k, val, p) in r.Entries(map, path))
            switch (k)
            {
                case "cpus": res = res with { Cpus = Cpus(val, p) }; break;
                case "memory": res = res with { MemoryBytes = Bytes(val, p) }; break;
                case "pids": res = res with { Pids = LongValue(val, p, -1, long.MaxValue) }; break;
                default: Other(map, k, val, p, new HashSet<string> { "devices", "generic_resources" }); break;
            }
        return res;
    }

    string? Cpus(YamlNode v, string path)
    {
        var s = Scalar(v, path);
        if (s is null) return null;
        if (!decimal.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) || n < 0 || n > 1_000_000)
        {
            r.Error(v, path, $"invalid cpus \"{s}\": must be a number of CPUs such as 0.5 or 2");
            return null;
        }
        return s;
    }

    // ---- networks, secrets, names ----------------------------------------------------------------------

    static readonly HashSet<string> ServiceNetworkSpecOnly =
        ["ipv6_address", "link_local_ips", "mac_address", "driver_opts", "priority", "gw_priority", "interface_name"];

    ImmutableSortedDictionary<string, ComposeServiceNetwork?> ServiceNetworks(YamlNode value, string path)
    {
        var b = ImmutableSortedDictionary.CreateBuilder<string, ComposeServiceNetwork?>(StringComparer.Ordinal);
        if (NodeReader.IsNull(value)) return b.ToImmutable();
        if (value is YamlSequenceNode seq)
        {
            for (var i = 0; i < seq.Children.Count; i++)
                if (NonEmpty(seq.Children[i], FieldPath.Index(path, i)) is { } n)
                {
                    Remember(seq.Children[i], FieldPath.Key(path, n));
                    b[n] = null;
                }
            return b.ToImmutable();
        }
        var map = r.Map(value, path);
        if (map is null) return b.ToImmutable();
        foreach (var (n, v, p) in r.Entries(map, path))
        {
            Remember(KeyNode(map, n, v), p);
            var m = r.Map(v, p);
            if (m is null) { b[n] = null; continue; }
            var net = new ComposeServiceNetwork();
            foreach (var (k, kv, kp) in r.Entries(m, p))
                switch (k)
                {
                    case "aliases": net = net with { Aliases = StringOrList(kv, kp) }; break;
                    case "ipv4_address": net = net with { Ipv4Address = Scalar(kv, kp) }; break;
                    default: Other(m, k, kv, kp, ServiceNetworkSpecOnly); break;
                }
            b[n] = net;
        }
        return b.ToImmutable();
    }

    ImmutableArray<ComposeSecretRef> SecretRefs(YamlNode value, string path)
    {
        var seq = r.Seq(value, path);
        if (seq is null) return [];
        var b = ImmutableArray.CreateBuilder<ComposeSecretRef>();
        for (var i = 0; i < seq.Children.Count; i++)
        {
            var item = seq.Children[i];
            var p = FieldPath.Index(path, i);
            Remember(item, p);
            if (item is not YamlMappingNode m)
            {
                if (NonEmpty(item, p) is { } name) b.Add(new ComposeSecretRef { Source = name });
                continue;
            }
            string? source = null, target = null, uid = null, gid = null;
            int? mode = null;
            foreach (var (k, v, kp) in r.Entries(m, p))
                switch (k)
                {
                    case "source": source = NonEmpty(v, kp); break;
                    case "target": target = NonEmpty(v, kp); break;
                    case "uid": uid = Scalar(v, kp); break;
                    case "gid": gid = Scalar(v, kp); break;
                    case "mode": mode = Mode(v, kp); break;
                    default: Other(m, k, v, kp, EmptySet); break;
                }
            if (source is null) r.Error(m, $"{p}.source", "is required");
            else if (target is { } t && (t.Split('/').Contains("..") || !t.StartsWith('/') && t.Contains('/')))
                r.Error(m, $"{p}.target", $"invalid secret target \"{t}\": a file name under /run/secrets or an absolute path");
            else b.Add(new ComposeSecretRef { Source = source, Target = target, Uid = uid, Gid = gid, Mode = mode });
        }
        return b.ToImmutable();
    }

    /// <summary>A file mode: a number as YAML reads it (<c>0440</c> is octal in YAML 1.1, as compose takes it).</summary>
    int? Mode(YamlNode v, string path)
    {
        var s = Scalar(v, path);
        if (s is null) return null;
        var octal = s.StartsWith("0o", StringComparison.Ordinal) ? s[2..] : s.StartsWith('0') && s.Length > 1 ? s[1..] : null;
        try
        {
            if (octal is not null) return Convert.ToInt32(octal, 8);
            return int.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            r.Error(v, path, $"invalid mode \"{s}\": use an octal number such as 0440");
            return null;
        }
    }

    string? ContainerName(YamlNode v, string path)
    {
        var s = NonEmpty(v, path);
        if (s is not null && !(char.IsAsciiLetterOrDigit(s[0]) && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-')))
            r.Error(v, path, $"invalid container name \"{s}\": use letters, digits, '_', '.' or '-', starting with a letter or digit");
        return s;
    }

    string? AbsoluteInContainer(YamlNode v, string path)
    {
        var s = NonEmpty(v, path);
        if (s is not null && !s.StartsWith('/')) r.Error(v, path, $"must be an absolute path in the container, got \"{s}\"");
        return s;
    }
}
