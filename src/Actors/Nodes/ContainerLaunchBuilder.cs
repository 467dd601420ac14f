using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Troupe.Api.Objects;
using Troupe.Runtime.Drivers;

namespace Troupe.Actors.Nodes;

/// <summary>
/// INTERNAL API. Pure: turns one container of a pod spec and its image into the driver's <see cref="ContainerLaunch"/>,
/// as Kubernetes does: the image's ENV (and PATH) merged with the container's <c>env</c>; <c>command</c> replaces
/// ENTRYPOINT and <c>args</c> replaces CMD; <c>$(VAR)</c> expanded in command, args and env values.
/// </summary>
public static class ContainerLaunchBuilder
{
    public const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public const string LabelPodUid = "troupe.pod.uid";
    public const string LabelPodName = "troupe.pod.name";
    public const string LabelPodNamespace = "troupe.pod.namespace";
    public const string LabelContainerName = "troupe.container.name";
    public const string LabelOwner = "troupe.owner";
    public const string LabelNode = "troupe.node";

    /// <summary>The driver id of a pod container, unique on the node and the same for every attempt: <c>&lt;first 12 of uid&gt;-&lt;name&gt;</c>.</summary>
    public static string ContainerId(string podUid, string containerName)
    {
        var u = podUid.Replace("-", "");
        return $"{(u.Length > 12 ? u[..12] : u)}-{containerName}";
    }

    /// <summary>Build attempt <paramref name="attempt"/> (0 for the first) of <paramref name="container"/>.</summary>
    public static ContainerLaunch Build(Pod pod, Container container, PodImage image, NodeSettings node, string ownerKey, int attempt,
        PodInputs? inputs = null)
    {
        inputs ??= PodInputs.None;
        var uid = pod.Metadata.Uid ?? throw new ArgumentException("pod has no uid");
        var env = MergeEnv(image.Env, inputs.Env(pod, container), pod.Metadata.Name);
        var vars = env.Select(e => e.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "");
        var args = MergeArgs(image.Entrypoint, image.Cmd, container.Command, container.Args)
            .Select(a => Expand(a, vars)).ToImmutableArray();
        if (args.IsEmpty)
            throw new ContainerStartException($"no command specified for container \"{container.Name}\" (the image has no ENTRYPOINT or CMD)", 127);
        var annotations = pod.Metadata.Annotations;
        var (uidNum, gidNum) = ResolveUser(annotations.TryGetValue(PodAnnotations.User, out var named) ? named : image.User, image.Layers);
        if (container.SecurityContext is { } sc)
        {
            // runAsUser alone: its primary group from the image's passwd, else 0 (as Docker and the kubelet do)
            if (sc.RunAsUser is { } u) (uidNum, gidNum) = ResolveUser(u.ToString(CultureInfo.InvariantCulture), image.Layers);
            if (sc.RunAsGroup is { } g) gidNum = (uint)g;
        }
        var limits = container.Resources.Limits;
        long? pids = annotations.TryGetValue(PodAnnotations.PidsLimit, out var pl)
            ? long.TryParse(pl, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n
                : throw new ContainerStartException($"annotation {PodAnnotations.PidsLimit}: \"{pl}\" is not a positive number", 125)
            : null;
        return new ContainerLaunch
        {
            Id = ContainerId(uid, container.Name),
            Args = args,
            Env = env,
            WorkingDir = !string.IsNullOrEmpty(container.WorkingDir) ? container.WorkingDir
                : !string.IsNullOrEmpty(image.WorkingDir) ? image.WorkingDir : "/",
            Hostname = pod.Spec.Hostname ?? pod.Metadata.Name,
            Uid = uidNum,
            Gid = gidNum,
            Layers = image.Layers,
            LogPath = node.LogFile(uid, container.Name, attempt),
            MemoryLimitBytes = limits.TryGetValue("memory", out var m) ? ResourceQuantity.ParseBytes(m) : null,
            CpuMillis = limits.TryGetValue("cpu", out var c) ? ResourceQuantity.ParseMillis(c) : null,
            PidsLimit = pids,
            Mounts = Mounts(pod, container, node, inputs),
            Init = annotations.TryGetValue(PodAnnotations.Init, out var init) && init == "true",
            Stdin = container.Stdin,
            StdinOnce = container.Stdin && container.StdinOnce == true,
            Tty = container.Tty,
            CgroupPath = $"troupe/{node.NodeName}/{uid}/{container.Name}",
            Labels = ImmutableSortedDictionary.CreateRange(new Dictionary<string, string>
            {
                [LabelPodUid] = uid,
                [LabelPodName] = pod.Metadata.Name,
                [LabelPodNamespace] = pod.Metadata.Namespace,
                [LabelContainerName] = container.Name,
                [LabelOwner] = ownerKey,
                [LabelNode] = node.NodeName,
            }),
        };
    }

    /// <summary>
    /// The container's volume mounts as host paths: hostPath as it is (checked or made as its <c>type</c> says), an
    /// emptyDir under the pod's folder (gone with the pod), a named volume under <c>Home/volumes</c> (made here, kept);
    /// <c>subPath</c> below the volume's root, made when missing, never through a symlink.
    /// </summary>
    public static ImmutableArray<BindMount> Mounts(Pod pod, Container container, NodeSettings node, PodInputs? inputs = null)
    {
        if (container.VolumeMounts.IsDefaultOrEmpty) return [];
        var b = ImmutableArray.CreateBuilder<BindMount>();
        foreach (var m in container.VolumeMounts)
        {
            var v = pod.Spec.Volumes.FirstOrDefault(x => x.Name == m.Name)
                ?? throw new ContainerStartException($"volume mount \"{m.Name}\" names no volume of the pod", 125);
            if (!m.MountPath.StartsWith('/') || m.MountPath.Split('/').Contains(".."))
                throw new ContainerStartException($"invalid mount path \"{m.MountPath}\": it must be absolute, without ..", 125);
            string source;
            if (v.HostPath is { } hp) source = HostPath(hp);
            else if (v.EmptyDir is not null)
            {
                source = Path.Combine(node.PodDir(pod.Metadata.Uid ?? throw new ArgumentException("pod has no uid")), "volumes", v.Name);
                Directory.CreateDirectory(source);
            }
            else if (v.TroupeVolume is { } nv)
            {
                source = node.VolumeDir(nv.VolumeName);
                Directory.CreateDirectory(source);
            }
            else if (v.ConfigMap is { } cm)
            {
                // written afresh for this container's start, mounted read-only as Kubernetes does
                source = Path.Combine(node.PodDir(pod.Metadata.Uid ?? throw new ArgumentException("pod has no uid")), "configmaps", container.Name, v.Name);
                (inputs ?? PodInputs.None).WriteVolume(cm, source);
                if (m.SubPath is { Length: > 0 } cmSub) source = SubPath(source, cmSub, v.Name);
                b.Add(new BindMount(source, m.MountPath, true));
                continue;
            }
            else throw new ContainerStartException($"volume \"{v.Name}\" has no source Troupe can mount (hostPath, emptyDir or a named volume)", 125);
            if (m.SubPath is { Length: > 0 } sub) source = SubPath(source, sub, v.Name);
            b.Add(new BindMount(source, m.MountPath, m.ReadOnly));
        }
        return b.ToImmutable();
    }

    static string HostPath(HostPathVolumeSource hp)
    {
        var path = hp.Path;
        bool IsDir() => Directory.Exists(path);
        bool IsFile() => File.Exists(path);
        switch (hp.Type)
        {
            case "DirectoryOrCreate":
                if (IsFile()) throw new ContainerStartException($"hostPath type check failed: {path} is not a directory", 125);
                Directory.CreateDirectory(path);
                break;
            case "FileOrCreate":
                if (IsDir()) throw new ContainerStartException($"hostPath type check failed: {path} is not a file", 125);
                if (!IsFile())
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    File.WriteAllBytes(path, []);
                }
                break;
            case "Directory" when !IsDir():
                throw new ContainerStartException($"hostPath type check failed: {path} is not a directory", 125);
            case "File" or "Socket" or "CharDevice" or "BlockDevice" when !IsFile():
                throw new ContainerStartException($"hostPath type check failed: {path} is not a {hp.Type}", 125);
            default:
                if (!IsDir() && !IsFile())
                    throw new ContainerStartException($"invalid mount config: bind source path does not exist: {path}", 125);
                break;
        }
        return path;
    }

    static string SubPath(string root, string sub, string volume)
    {
        if (sub.StartsWith('/') || sub.Split('/').Contains(".."))
            throw new ContainerStartException($"volume \"{volume}\": subPath \"{sub}\" must be relative, without ..", 125);
        var current = root;
        foreach (var part in sub.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            if (new FileInfo(current).LinkTarget is not null)
                throw new ContainerStartException($"volume \"{volume}\": subPath \"{sub}\" goes through a symbolic link", 125);
        }
        if (!File.Exists(current)) Directory.CreateDirectory(current);
        return current;
    }

    /// <summary>The image's environment, then the container's (same name wins, order kept), PATH always present, HOSTNAME set.</summary>
    public static ImmutableArray<string> MergeEnv(ImmutableArray<string> imageEnv, ImmutableArray<EnvVar> containerEnv, string hostname)
    {
        var order = new List<string>();
        var values = new Dictionary<string, string>();
        void Set(string k, string v)
        {
            if (!values.ContainsKey(k)) order.Add(k);
            values[k] = v;
        }
        foreach (var e in imageEnv.IsDefault ? [] : imageEnv)
        {
            var p = e.Split('=', 2);
            Set(p[0], p.Length > 1 ? p[1] : "");
        }
        if (!values.ContainsKey("PATH")) Set("PATH", DefaultPath["PATH=".Length..]);
        Set("HOSTNAME", hostname);
        // Container env values may refer to earlier variables with $(VAR), as Kubernetes allows.
        foreach (var e in containerEnv.IsDefault ? [] : containerEnv)
            Set(e.Name, Expand(e.Value, values));
        return order.Select(k => $"{k}={values[k]}").ToImmutableArray();
    }

    /// <summary>
    /// Kubernetes' rule: command set → command + args (the image's CMD is dropped); else ENTRYPOINT + (args if set,
    /// else CMD).
    /// </summary>
    public static ImmutableArray<string> MergeArgs(ImmutableArray<string> entrypoint, ImmutableArray<string> cmd,
        ImmutableArray<string> command, ImmutableArray<string> args)
    {
        static ImmutableArray<string> N(ImmutableArray<string> a) => a.IsDefault ? [] : a;
        if (!N(command).IsEmpty) return N(command).AddRange(N(args));
        return N(entrypoint).AddRange(!N(args).IsEmpty ? N(args) : N(cmd));
    }

    /// <summary>
    /// <c>$(VAR)</c> → its value when defined (else left as written); <c>$$</c> → <c>$</c> (so <c>$$(VAR)</c> stays literal).
    /// </summary>
    public static string Expand(string s, IReadOnlyDictionary<string, string> vars)
    {
        if (!s.Contains('$')) return s;
        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] != '$' || i + 1 >= s.Length) { sb.Append(s[i]); continue; }
            if (s[i + 1] == '$') { sb.Append('$'); i++; continue; }
            if (s[i + 1] == '(')
            {
                var end = s.IndexOf(')', i + 2);
                if (end > 0)
                {
                    var name = s[(i + 2)..end];
                    if (vars.TryGetValue(name, out var v)) { sb.Append(v); i = end; continue; }
                    sb.Append(s, i, end - i + 1);
                    i = end;
                    continue;
                }
            }
            sb.Append(s[i]);
        }
        return sb.ToString();
    }

    /// <summary>
    /// The image's USER (or <c>run --user</c>'s name): numeric as it is, names from the image's /etc/passwd and
    /// /etc/group, as Docker resolves them; a name the image does not have fails the start (125).
    /// </summary>
    public static (uint Uid, uint Gid) ResolveUser(string? user, ImmutableArray<string> layers)
    {
        try { return Runtime.Images.ImageUser.Resolve(user, path => Runtime.Images.ImageUser.ReadFromLayers(layers, path)); }
        catch (FormatException e) { throw new ContainerStartException(e.Message, 125); }
    }

    /// <summary>Signal number of an image's STOPSIGNAL (<c>SIGQUIT</c>, <c>QUIT</c>, <c>3</c>); SIGTERM when unset or unknown.</summary>
    public static int StopSignal(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return 15;
        if (int.TryParse(name, out var n) && n > 0) return n;
        var s = name.Trim().ToUpperInvariant();
        if (s.StartsWith("SIG")) s = s[3..];
        return s switch
        {
            "HUP" => 1, "INT" => 2, "QUIT" => 3, "KILL" => 9, "USR1" => 10, "USR2" => 12, "TERM" => 15,
            "WINCH" => 28, "PWR" => 30, _ => 15,
        };
    }
}

/// <summary>
/// INTERNAL API. Kubernetes quantities as <c>resources.limits</c> holds them (parsed by <see cref="Quantity"/>:
/// memory <c>64Mi</c>, <c>1G</c>, plain bytes; cpu <c>250m</c>, <c>0.5</c>, <c>2</c>) and printed back as kubectl does.
/// </summary>
public static class ResourceQuantity
{
    /// <summary>The quantity in base units (bytes, cores); <see cref="FormatException"/> when invalid.</summary>
    public static decimal Parse(string q) => Quantity.Parse(q.Trim()).Value;

    public static long ParseBytes(string q) => Quantity.Parse(q.Trim()).ToBytes();

    public static long ParseMillis(string q) => Quantity.Parse(q.Trim()).ToMilli();

    /// <summary>Bytes as Kubernetes prints a memory quantity: <c>128Mi</c>, <c>1Gi</c>, else plain bytes.</summary>
    public static string FormatBytes(long bytes)
    {
        foreach (var (suffix, f) in new[] { ("Ei", 1L << 60), ("Pi", 1L << 50), ("Ti", 1L << 40), ("Gi", 1L << 30), ("Mi", 1L << 20), ("Ki", 1L << 10) })
            if (bytes != 0 && bytes % f == 0) return $"{bytes / f}{suffix}";
        return bytes.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Millicores as Kubernetes prints cpu: <c>500m</c>, <c>2</c>.</summary>
    public static string FormatMillis(long millis) =>
        millis % 1000 == 0 ? (millis / 1000).ToString(CultureInfo.InvariantCulture) : $"{millis}m";
}
