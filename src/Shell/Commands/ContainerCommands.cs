using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;
using Troupe.Shell.Rendering;

namespace Troupe.Shell.Commands;

/// <summary>
/// <c>troupe run</c>: a standalone pod on the local node (<see cref="RunPod"/>), docker's flags mapped onto the pod
/// spec. Without <c>-d</c> it streams the container's output (<c>GET /v1/logs?follow=true&amp;wait=true</c>, which
/// ends when the container has ended) and returns its exit code; Troupe's own failures are 125 as in docker.
/// </summary>
internal static class RunCommand
{
    public const int TroupeFailed = 125;

    internal static readonly Flag[] Flags =
    [
        Common.Help, Flag.Bool("detach", "-d", "--detach"), Flag.Bool("rm", "--rm"), Flag.Bool("interactive", "-i", "--interactive"),
        Flag.Bool("tty", "-t", "--tty"), Flag.Bool("init", "--init"), Flag.Value("name", "--name"),
        Flag.Many("publish", "-p", "--publish"), Flag.Many("env", "-e", "--env"), Flag.Many("volume", "-v", "--volume"),
        Flag.Value("memory", "-m", "--memory"), Flag.Value("cpus", "--cpus"), Flag.Value("pids", "--pids-limit"),
        Flag.Value("user", "-u", "--user"), Flag.Value("workdir", "-w", "--workdir"), Flag.Value("entrypoint", "--entrypoint"),
        Flag.Value("restart", "--restart"), Flag.Many("label", "-l", "--label"), Flag.Value("stop-timeout", "--stop-timeout"),
    ];

    const string Usage = "run [-d] [-i] [-t] [--rm] [--init] [--name N] [-e K=V]... [--memory 64m] [--cpus 0.5] [--pids-limit N] [--user U] [--workdir D] [--entrypoint E] IMAGE [CMD...]";


    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        // Flags end at the image: everything after it is the container's command, untouched.
        var split = SplitAtImage(argv, Flags);
        var a = Args.Parse(argv.Take(split).ToList(), 0, Flags);
        if (Common.HelpWanted(ctx, a, Usage)) return 0;
        if (split >= argv.Count) throw ShellException.Usage("\"troupe run\" requires at least 1 argument (troupe " + Usage + ")");
        var image = argv[split];
        var command = argv.Skip(split + 1).ToImmutableArray();
        var pod = BuildPod(ctx, a, image, command);
        var name = pod.Metadata.Name;

        var reply = ctx.Client.Send(new RunPod(pod));
        if (reply is CommandRejected r) throw new ShellException(TroupeFailed, r.Reason);
        var uid = Common.Expect<CommandAccepted>(reply).Message;
        if (a.Has("detach"))
        {
            // as docker run -d: back once the container has started (so `run -d ... && exec` works), or with the
            // error that kept it from starting
            if (WaitStarted(ctx, name, uid) is { } failed)
            {
                if (failed.Message is { Length: > 0 } why) ctx.Err.WriteLine("error: " + why.ReplaceLineEndings(" "));
                return failed.ExitCode;
            }
            ctx.Out.WriteLine(uid.Replace("-", ""));
            return 0;
        }

        // raw first: opening stdin for the attach must not see the cooked terminal
        using var raw = a.Has("interactive") && a.Has("tty") && ctx.StdinIsTerminal ? Repl.RawTerminal.Enter() : null;
        if (a.Has("interactive")) Attach(ctx, name);
        var (status, error) = ctx.Client.Stream($"/v1/logs?namespace=default&pod={Uri.EscapeDataString(name)}&follow=true&wait=true", ctx.Out);
        if (status != 200) throw new ShellException(TroupeFailed, error is { Length: > 0 } ? error : $"the node answered HTTP {status}");
        var code = ExitCodeOf(ctx, name);
        if (a.Has("rm")) ctx.Client.Send(new DeleteObject("Pod", "default", name, 0));
        return code;
    }

    /// <summary>
    /// <c>-i</c>: this shell's stdin to the container's, on its own thread (a second connection; the output comes with
    /// the log on the first). It ends with the input; a container that ended first is no error.
    /// </summary>
    static void Attach(ShellContext ctx, string name)
    {
        var client = ctx.Client;
        var input = ctx.Input;
        var err = ctx.Err;
        new Thread(() =>
        {
            try
            {
                if (client.Attach(new AttachToContainer("default", name), input) is CommandRejected { Code: not "Conflict" } r)
                    err.WriteLine("error: cannot attach stdin: " + r.Reason);
            }
            catch (Exception e) when (e is NoNodeException or IOException or ObjectDisposedException) { }
        }) { IsBackground = true, Name = "run-stdin" }.Start();
    }

    /// <summary>
    /// Waits until the pod's container runs or has run (null), or returns how it failed to start; after 60 s (an
    /// image still unpacking, a node that is slow) it stops waiting, as the pod goes on starting by itself.
    /// </summary>
    static ContainerStateTerminated? WaitStarted(ShellContext ctx, string name, string uid)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            // this pod (a catalog entry of an earlier one of the same name is not it)
            if (ctx.Client.Send(new GetObjects("Pod", "default", name)) is ObjectList { Items: [Pod p, ..] }
                && (p.Metadata.Uid is null || p.Metadata.Uid == uid) && p.Status?.ContainerStatuses is [var c, ..])
            {
                if (c.State.Running is not null || c.State.Terminated is { Reason: not "StartError" } || c.LastState.Terminated is { Reason: not "StartError" }) return null;
                if (c.State.Terminated is { Reason: "StartError" } t) return t;
            }
            Thread.Sleep(20);
        }
        return null;
    }

    /// <summary>The exit code of the pod's container once it has ended (the stream ends then); 125 when it never shows.</summary>
    static int ExitCodeOf(ShellContext ctx, string name)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            if (ctx.Client.Send(new GetObjects("Pod", "default", name)) is ObjectList { Items: [Pod p, ..] }
                && p.Status?.ContainerStatuses is [{ State.Terminated: { } t }, ..])
            {
                if (t.Reason == "StartError" && t.Message is { Length: > 0 } why) ctx.Err.WriteLine("error: " + why.ReplaceLineEndings(" "));
                return t.ExitCode;
            }
            if (DateTime.UtcNow > deadline) throw new ShellException(TroupeFailed, $"container \"{name}\" did not report its exit");
            Thread.Sleep(20);
        }
    }

    /// <summary>Index of the image: the first argument that is neither a flag nor a flag's value.</summary>
    internal static int SplitAtImage(IReadOnlyList<string> argv, IReadOnlyList<Flag> flags)
    {
        for (var i = 0; i < argv.Count; i++)
        {
            var s = argv[i];
            if (s == "--") return i + 1;
            if (s.Length < 2 || s[0] != '-') return i;
            var name = s.StartsWith("--", StringComparison.Ordinal) ? s.Split('=', 2)[0] : s[..2];
            var inline = s.StartsWith("--", StringComparison.Ordinal) ? s.Contains('=') : s.Length > 2;
            var flag = flags.FirstOrDefault(f => f.Names.Contains(name));
            if (flag is { TakesValue: true, OptionalValue: false } && !inline) i++;
            else if (flag is { TakesValue: false } && inline && !s.StartsWith("--", StringComparison.Ordinal))
            {
                // a cluster of short booleans (-dit) whose last letter may take the value (-dp 80:80)
                var last = flags.FirstOrDefault(f => f.Names.Contains("-" + s[^1]));
                if (last is { TakesValue: true }) i++;
            }
        }
        return argv.Count;
    }

    /// <summary>
    /// The pod's one container is named after it, as a Kubernetes container name (a DNS label) must be: Docker's
    /// <c>My_App.1</c> becomes <c>my-app-1</c>.
    /// </summary>
    internal static string ContainerNameOf(string name)
    {
        var label = new string([.. name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')]).Trim('-');
        return label.Length == 0 ? "main" : label;
    }

    internal static Pod BuildPod(ShellContext ctx, Args a, string image, ImmutableArray<string> command)
    {
        try { Common.CheckReference(image, "image name"); }
        catch (ShellException e) { throw new ShellException(TroupeFailed, e.Message); }
        if (a.Has("interactive") && a.Has("tty") && !a.Has("detach") && !ctx.StdinIsTerminal)
            throw ShellException.User("the input device is not a TTY");

        var name = a.Get("name") ?? GeneratedName(image);
        if (Troupe.Api.Manifests.NameRules.ContainerName(name) is { } badName)
            throw new ShellException(TroupeFailed, badName.StartsWith("Invalid", StringComparison.Ordinal) ? badName : $"Invalid container name ({name}): {badName}");

        var env = ImmutableArray.CreateBuilder<EnvVar>();
        foreach (var e in a.All("env"))
        {
            var eq = e.IndexOf('=');
            if (eq == 0 || e.Length == 0) throw new ShellException(TroupeFailed, $"invalid environment variable: {e}");
            if (eq > 0) env.Add(new EnvVar(e[..eq], e[(eq + 1)..]));
            else if (ctx.Env(e) is { } fromShell) env.Add(new EnvVar(e, fromShell)); // -e NAME takes the shell's value
        }

        var limits = ImmutableSortedDictionary.CreateBuilder<string, string>();
        if (a.Get("memory") is { } mem) limits["memory"] = MemoryBytes(mem).ToString(CultureInfo.InvariantCulture);
        if (a.Get("cpus") is { } cpus) limits["cpu"] = CpuMillis(cpus) + "m";

        var annotations = ImmutableSortedDictionary.CreateBuilder<string, string>();
        annotations[PodAnnotations.Command] = string.Join(' ', (a.Get("entrypoint") is { Length: > 0 } ep ? [ep, .. command] : command).Select(Quote));
        if (a.Has("init")) annotations[PodAnnotations.Init] = "true";
        var (numericUser, namedUser) = a.Get("user") is { } u ? User(u) : (null, null);
        if (namedUser is not null) annotations[PodAnnotations.User] = namedUser;
        if (a.Get("pids") is { } pids)
        {
            if (!long.TryParse(pids, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
                throw new ShellException(TroupeFailed, $"invalid argument \"{pids}\" for \"--pids-limit\" flag: must be an integer");
            if (n > 0) annotations[PodAnnotations.PidsLimit] = n.ToString(CultureInfo.InvariantCulture); // 0 and -1: unlimited, as docker
        }

        var labels = ImmutableSortedDictionary.CreateBuilder<string, string>();
        labels["run"] = name;
        foreach (var l in a.All("label"))
        {
            var eq = l.IndexOf('=');
            labels[eq > 0 ? l[..eq] : l] = eq > 0 ? l[(eq + 1)..] : "";
        }

        var restart = a.Get("restart") switch
        {
            null or "no" => "Never",
            "always" or "unless-stopped" => "Always",
            "on-failure" => "OnFailure",
            var other => throw new ShellException(TroupeFailed, $"invalid restart policy \"{other}\" (want no, always, unless-stopped or on-failure)"),
        };
        var grace = a.Get("stop-timeout") is { } st
            ? long.TryParse(st, NumberStyles.None, CultureInfo.InvariantCulture, out var g) ? g
                : throw new ShellException(TroupeFailed, $"invalid argument \"{st}\" for \"--stop-timeout\" flag: must be a number of seconds")
            : 10; // docker's default stop timeout

        var volumes = a.All("volume").Select((v, i) => VolumeOf(v, $"vol-{i}")).ToList();
        var container = new Container
        {
            Name = ContainerNameOf(name),
            Image = image,
            // docker: --entrypoint replaces ENTRYPOINT (and drops CMD); CMD... replaces CMD. Kubernetes' command/args say the same.
            // and docker expands nothing: "$" is escaped from Kubernetes' $(VAR) expansion as "$$"
            Command = a.Get("entrypoint") is { Length: > 0 } entry ? [NoExpansion(entry)] : [],
            Args = command.Select(NoExpansion).ToImmutableArray(),
            Env = env.Select(e => e with { Value = NoExpansion(e.Value) }).ToImmutableArray(),
            WorkingDir = a.Get("workdir") is { } wd
                ? wd.StartsWith('/') ? wd : throw new ShellException(TroupeFailed, $"the working directory '{wd}' is invalid, it needs to be an absolute path")
                : null,
            Ports = a.All("publish").Select(Publish).ToImmutableArray(),
            VolumeMounts = volumes.Select(v => v.Mount).ToImmutableArray(),
            Resources = new ResourceRequirements { Limits = limits.ToImmutable() },
            SecurityContext = numericUser,
            // -i: stdin open, fed by this shell and closed when its input ends (docker's StdinOnce); -t: a terminal
            Stdin = a.Has("interactive"),
            StdinOnce = a.Has("interactive") ? true : null,
            Tty = a.Has("tty"),
        };
        return new Pod
        {
            Metadata = new ObjectMeta { Name = name, Namespace = "default", Labels = labels.ToImmutable(), Annotations = annotations.ToImmutable() },
            Spec = new PodSpec
            {
                Containers = [container], RestartPolicy = restart, TerminationGracePeriodSeconds = grace,
                Volumes = volumes.Select(v => v.Volume).ToImmutableArray(),
            },
        };
    }

    /// <summary>
    /// <c>-v SRC:DST[:ro|rw]</c>: an absolute (or <c>./</c> relative) SRC is a bind mount of that host path, a name
    /// is a named volume (made on first use, kept after the container). DST must be absolute, without <c>..</c>.
    /// </summary>
    internal static (Volume Volume, VolumeMount Mount) VolumeOf(string v, string name)
    {
        var parts = v.Split(':');
        if (parts.Length is < 2 or > 3 || parts[0].Length == 0 || parts[1].Length == 0)
            throw new ShellException(TroupeFailed, $"invalid volume specification: '{v}' (want SRC:DST[:ro])");
        var readOnly = parts.Length == 3 && parts[2] switch
        {
            "ro" => true,
            "rw" => false,
            var mode => throw new ShellException(TroupeFailed, $"invalid mode: {mode} in volume specification '{v}' (want ro or rw)"),
        };
        var (src, dst) = (parts[0], parts[1]);
        if (!dst.StartsWith('/') || dst.Split('/').Contains(".."))
            throw new ShellException(TroupeFailed, $"invalid volume specification: '{v}': mount path must be absolute, without ..");
        Volume volume;
        if (src.StartsWith('/') || src.StartsWith('.') || src.StartsWith('~'))
        {
            var path = src.StartsWith('~') ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), src.TrimStart('~', '/')) : src;
            volume = new Volume { Name = name, HostPath = new HostPathVolumeSource(Path.GetFullPath(path)) };
        }
        else if (VolumeNames.IsValid(src)) volume = new Volume { Name = name, TroupeVolume = new NamedVolumeSource(src) };
        else throw new ShellException(TroupeFailed, $"\"{src}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed; a host path must be absolute");
        return (volume, new VolumeMount { Name = name, MountPath = dst, ReadOnly = readOnly });
    }

    /// <summary>
    /// <c>-p [IP:][HOST:]CONTAINER[/tcp|/udp]</c> as a container port with its host port; without a host port
    /// (<c>-p 5000</c>, <c>-p 127.0.0.1::5000</c>) the host port is 0, which the node replaces with a free one, as
    /// docker does.
    /// </summary>
    internal static PortSpec Publish(string v)
    {
        var spec = v;
        var proto = "tcp";
        if (spec.LastIndexOf('/') is var slash and > 0) (spec, proto) = (spec[..slash], spec[(slash + 1)..].ToLowerInvariant());
        if (proto == "sctp") throw new ShellException(TroupeFailed, $"publishing sctp ports is not supported by Troupe yet: {v}");
        if (proto is not ("tcp" or "udp")) throw new ShellException(TroupeFailed, $"invalid proto: {proto}");
        var parts = spec.Split(':');
        if (parts.Length > 3)
            throw new ShellException(TroupeFailed, $"invalid publish spec \"{v}\": want [IP:][HOST_PORT:]CONTAINER_PORT");
        if (parts.Length == 1) parts = ["", parts[0]];
        static int Port(string s, string whole) =>
            int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and <= 65535 ? n
                : throw new ShellException(TroupeFailed, $"invalid port \"{s}\" in \"{whole}\": want 1-65535");
        string? ip = null;
        if (parts.Length == 3)
        {
            if (!System.Net.IPAddress.TryParse(parts[0], out var addr) || addr.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
                throw new ShellException(TroupeFailed, $"invalid IP address \"{parts[0]}\" in \"{v}\"");
            ip = addr.ToString();
        }
        var hostPort = parts[^2].Length == 0 ? 0 : Port(parts[^2], v);
        return new PortSpec { HostIP = ip, HostPort = hostPort, ContainerPort = Port(parts[^1], v), Protocol = proto.ToUpperInvariant() };
    }

    static string NoExpansion(string s) => s.Replace("$", "$$");

    static string GeneratedName(string image)
    {
        var last = image.Split('@')[0];
        last = last[(last.LastIndexOf('/') + 1)..];
        if (last.IndexOf(':') is var colon and > 0) last = last[..colon];
        var clean = new string(last.ToLowerInvariant().Where(c => char.IsAsciiLetterOrDigit(c) || c == '-').ToArray()).Trim('-');
        if (clean.Length == 0) clean = "container";
        if (clean.Length > 50) clean = clean[..50];
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        Span<char> s = stackalloc char[5];
        for (var i = 0; i < 5; i++) s[i] = alphabet[Random.Shared.Next(alphabet.Length)];
        return $"{clean}-{s}";
    }

    /// <summary>docker's memory units: a number with b, k, m, g (powers of 1024); at least 6 MiB, as docker requires.</summary>
    internal static long MemoryBytes(string v)
    {
        var m = Regex.Match(v.Trim(), "^([0-9]+(?:\\.[0-9]+)?)([bkmgt]?)b?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        if (!m.Success) throw new ShellException(TroupeFailed, $"invalid argument \"{v}\" for \"-m, --memory\" flag: want a size such as 64m or 1g");
        var n = decimal.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        var f = char.ToLowerInvariant(m.Groups[2].Value.FirstOrDefault('b')) switch { 'k' => 1L << 10, 'm' => 1L << 20, 'g' => 1L << 30, 't' => 1L << 40, _ => 1L };
        if (n * f > long.MaxValue / 2) throw new ShellException(TroupeFailed, $"invalid argument \"{v}\" for \"-m, --memory\" flag: too large");
        var bytes = (long)(n * f);
        if (bytes < 6 << 20) throw new ShellException(TroupeFailed, "Minimum memory limit allowed is 6MB");
        return bytes;
    }

    internal static long CpuMillis(string v)
    {
        if (!decimal.TryParse(v, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var cpus) || cpus <= 0)
            throw new ShellException(TroupeFailed, $"invalid argument \"{v}\" for \"--cpus\" flag: want a positive number such as 0.5");
        if (cpus < 0.01m || cpus > Environment.ProcessorCount)
            throw new ShellException(TroupeFailed, $"range of CPUs is from 0.01 to {Environment.ProcessorCount}.00, as there are only {Environment.ProcessorCount} CPUs available");
        return (long)(cpus * 1000);
    }

    /// <summary>
    /// <c>--user NAME|UID[:GROUP|GID]</c>: all numeric (or <c>root</c>) becomes the container's securityContext; a name
    /// is kept as written (annotation <see cref="PodAnnotations.User"/>) and resolved in the image's /etc/passwd when
    /// the container starts.
    /// </summary>
    internal static (SecurityContext? Numeric, string? Named) User(string v)
    {
        var parts = v.Split(':', 2);
        if (parts.Any(p => p.Length == 0 || p.Any(c => char.IsWhiteSpace(c) || c == '/')))
            throw new ShellException(TroupeFailed, $"invalid user \"{v}\": want NAME|UID[:GROUP|GID]");
        static long? Id(string s) =>
            s == "root" ? 0 : long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= uint.MaxValue ? n : null;
        var ids = parts.Select(Id).ToArray();
        if (ids.Any(i => i is null)) return (null, v);
        return (new SecurityContext { RunAsUser = ids[0], RunAsGroup = ids.Length > 1 ? ids[1] : null }, null);
    }

    static string Quote(string s) => s.Length > 0 && s.All(c => !char.IsWhiteSpace(c) && c is not ('\'' or '"')) ? s : "'" + s.Replace("'", "'\\''") + "'";
}

/// <summary>
/// <c>troupe ps [-a] [-q]</c>: the pods as docker lists containers (one row per pod, its first container), with
/// docker's columns; without <c>-a</c> only those not ended.
/// </summary>
internal static class PsCommand
{
    internal static readonly Flag[] Flags = [Common.Help, Flag.Bool("all", "-a", "--all"), Flag.Bool("quiet", "-q", "--quiet"), Flag.Bool("no-trunc", "--no-trunc")];

    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, Flags);
        if (Common.HelpWanted(ctx, a, "ps [-a] [-q] [--no-trunc]")) return 0;
        if (a.Positionals.Count > 0) throw ShellException.Usage($"\"troupe ps\" accepts no arguments (got \"{a.Positionals[0]}\")");
        var list = Common.Expect<ObjectList>(ctx.Client.Send(new GetObjects("Pod", null, AllNamespaces: true)));
        var pods = list.Items.OfType<Pod>()
            .Where(p => a.Has("all") || p.Status?.Phase is not ("Succeeded" or "Failed"))
            .OrderByDescending(p => p.Metadata.CreationTimestamp)
            .ToList();
        var full = a.Has("no-trunc");
        if (a.Has("quiet"))
        {
            foreach (var p in pods) ctx.Out.WriteLine(ContainerRefs.Id(p, full));
            return 0;
        }
        var now = ctx.Now;
        var t = TableRenderer.Docker("CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES");
        foreach (var p in pods)
        {
            var c = p.Spec.Containers.FirstOrDefault() ?? new Container();
            var cmd = p.Metadata.Annotations.TryGetValue(PodAnnotations.Command, out var given) && given.Length > 0
                ? given : string.Join(' ', c.Command.AddRange(c.Args));
            cmd = cmd.Replace("\n", "\\n"); // as docker: a command with a newline stays on its row
            var quoted = full || cmd.Length <= 20 ? $"\"{cmd}\"" : $"\"{cmd[..19]}…\"";
            var ports = string.Join(", ", c.Ports.Where(x => x.HostPort is > 0)
                .Select(x => $"{x.HostIP ?? "0.0.0.0"}:{x.HostPort}->{x.ContainerPort}/{x.Protocol.ToLowerInvariant()}"));
            var names = p.Metadata.Namespace == "default" ? p.Metadata.Name : $"{p.Metadata.Namespace}/{p.Metadata.Name}";
            t.Add(ContainerRefs.Id(p, full), ImagesCommand.ShortRepository(c.Image), quoted,
                p.Metadata.CreationTimestamp is { } created ? Durations.Docker(now - created) : "", Status(p, now), ports, names);
        }
        t.WriteTo(ctx.Out);
        return 0;
    }

    /// <summary>docker's STATUS: <c>Up 5 seconds</c>, <c>Exited (0) 3 seconds ago</c>, <c>Restarting (1) 2 seconds ago</c>, <c>Created</c>.</summary>
    internal static string Status(Pod p, DateTimeOffset now)
    {
        static string Up(TimeSpan d) => Durations.Docker(d)[..^" ago".Length];
        var s = p.Status?.ContainerStatuses.FirstOrDefault();
        if (s?.State.Running is { } run) return "Up " + Up(now - run.StartedAt);
        if (s?.State.Terminated is { } term)
            return $"Exited ({term.ExitCode}) {(term.FinishedAt is { } f ? Durations.Docker(now - f) : "")}".TrimEnd();
        if (s?.State.Waiting is { Reason: "CrashLoopBackOff" } && s.LastState.Terminated is { } last)
            return $"Restarting ({last.ExitCode}) {(last.FinishedAt is { } lf ? Durations.Docker(now - lf) : "")}".TrimEnd();
        if (p.Metadata.DeletionTimestamp is not null) return "Removal In Progress";
        return "Created";
    }
}

/// <summary>How docker verbs name a container: its name (the pod's) or a prefix of its ID (the pod UID's hex digits).</summary>
internal static class ContainerRefs
{
    public static string Id(Pod p, bool full = false)
    {
        var hex = (p.Metadata.Uid ?? "").Replace("-", "");
        return full || hex.Length <= 12 ? hex : hex[..12];
    }

    /// <summary>The pod a name or ID prefix means, or docker's "No such container" (exit 1).</summary>
    public static Pod Resolve(ShellContext ctx, string reference)
    {
        var list = Common.Expect<ObjectList>(ctx.Client.Send(new GetObjects("Pod", null, AllNamespaces: true)));
        var pods = list.Items.OfType<Pod>().ToList();
        var slash = reference.IndexOf('/');
        var byName = slash > 0
            ? pods.FirstOrDefault(p => p.Metadata.Namespace == reference[..slash] && p.Metadata.Name == reference[(slash + 1)..])
            : pods.Where(p => p.Metadata.Name == reference).OrderBy(p => p.Metadata.Namespace == "default" ? 0 : 1).FirstOrDefault();
        if (byName is not null) return byName;
        if (reference.Length >= 3 && reference.All(Uri.IsHexDigit))
        {
            var byId = pods.Where(p => Id(p, full: true).StartsWith(reference.ToLowerInvariant(), StringComparison.Ordinal)).ToList();
            if (byId.Count == 1) return byId[0];
            if (byId.Count > 1) throw ShellException.User($"multiple containers found with provided prefix: {reference}");
        }
        throw ShellException.User($"No such container: {reference}");
    }

    public static bool Running(Pod p) =>
        p.Status?.Phase is not ("Succeeded" or "Failed") && p.Status?.ContainerStatuses.Any(s => s.State.Terminated is null) != false;
}

/// <summary><c>troupe stop [-t SECS] NAME...</c>: the stop signal, SIGKILL after the grace period; the pod stays (<c>ps -a</c>).</summary>
internal static class StopCommand
{
    internal static readonly Flag[] Flags = [Common.Help, Flag.Value("time", "-t", "--time"), Flag.Value("signal", "-s", "--signal")];

    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, Flags);
        if (Common.HelpWanted(ctx, a, "stop [-t SECS] [-s SIGNAL] NAME...")) return 0;
        if (a.Positionals.Count == 0) throw ShellException.Usage("\"troupe stop\" requires at least 1 argument (troupe stop [-t SECS] NAME...)");
        var time = a.Int("time", "--time");
        if (time < 0) throw ShellException.User($"invalid argument \"{time}\" for \"-t, --time\" flag: must be 0 or more seconds");
        var signal = a.Get("signal") is { } s ? Signals.Parse(s) : (int?)null;
        foreach (var reference in a.Positionals)
        {
            var pod = ContainerRefs.Resolve(ctx, reference);
            Common.Expect<CommandAccepted>(ctx.Client.Send(new StopPodContainers(pod.Metadata.Namespace, pod.Metadata.Name, signal, time),
                TimeSpan.FromSeconds((time ?? pod.Spec.TerminationGracePeriodSeconds) + 45)));
            if (signal is not null) WaitEnded(ctx, pod, TimeSpan.FromSeconds((time ?? pod.Spec.TerminationGracePeriodSeconds) + 5));
            ctx.Out.WriteLine(reference);
        }
        return 0;
    }

    /// <summary>With <c>-s</c>, the signal goes once; stop still waits (and SIGKILLs after the grace) as docker does.</summary>
    static void WaitEnded(ShellContext ctx, Pod pod, TimeSpan grace)
    {
        var deadline = DateTime.UtcNow + grace;
        while (DateTime.UtcNow < deadline)
        {
            if (ctx.Client.Send(new GetObjects("Pod", pod.Metadata.Namespace, pod.Metadata.Name)) is not ObjectList { Items: [Pod p, ..] } || !ContainerRefs.Running(p)) return;
            Thread.Sleep(50);
        }
        ctx.Client.Send(new StopPodContainers(pod.Metadata.Namespace, pod.Metadata.Name, Signals.Kill));
    }
}

/// <summary><c>troupe kill [-s SIGNAL] NAME...</c>: one signal (default SIGKILL); the container is not restarted.</summary>
internal static class KillCommand
{
    internal static readonly Flag[] Flags = [Common.Help, Flag.Value("signal", "-s", "--signal")];

    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, Flags);
        if (Common.HelpWanted(ctx, a, "kill [-s SIGNAL] NAME...")) return 0;
        if (a.Positionals.Count == 0) throw ShellException.Usage("\"troupe kill\" requires at least 1 argument (troupe kill [-s SIGNAL] NAME...)");
        var signal = Signals.Parse(a.Get("signal") ?? "KILL");
        foreach (var reference in a.Positionals)
        {
            var pod = ContainerRefs.Resolve(ctx, reference);
            if (!ContainerRefs.Running(pod)) throw ShellException.User($"cannot kill container: {reference}: container is not running");
            Common.Expect<CommandAccepted>(ctx.Client.Send(new StopPodContainers(pod.Metadata.Namespace, pod.Metadata.Name, signal)));
            ctx.Out.WriteLine(reference);
        }
        return 0;
    }
}

/// <summary><c>troupe rm [-f] NAME...</c>: removes ended containers (pods); <c>-f</c> kills a running one first.</summary>
internal static class RmCommand
{
    internal static readonly Flag[] Flags = [Common.Help, Flag.Bool("force", "-f", "--force"), Flag.Bool("volumes", "-v", "--volumes")];

    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, Flags);
        if (Common.HelpWanted(ctx, a, "rm [-f] NAME...")) return 0;
        if (a.Positionals.Count == 0) throw ShellException.Usage("\"troupe rm\" requires at least 1 argument (troupe rm [-f] NAME...)");
        var failed = false;
        foreach (var reference in a.Positionals)
        {
            try
            {
                var pod = ContainerRefs.Resolve(ctx, reference);
                if (ContainerRefs.Running(pod) && !a.Has("force"))
                    throw ShellException.User($"cannot remove container \"{reference}\": container is running: stop the container before removing or force remove (troupe rm -f)");
                Common.Expect<CommandAccepted>(ctx.Client.Send(new DeleteObject("Pod", pod.Metadata.Namespace, pod.Metadata.Name, 0)));
                ctx.Out.WriteLine(reference);
            }
            catch (ShellException e) when (e.ExitCode == ExitCodes.UserError && a.Positionals.Count > 1)
            {
                // as docker: the others are still removed; one line for each failure, exit 1 at the end
                ctx.Err.WriteLine("error: " + e.Message);
                failed = true;
            }
        }
        return failed ? ExitCodes.UserError : 0;
    }
}

/// <summary>Signal names and numbers as docker accepts them (<c>KILL</c>, <c>SIGTERM</c>, <c>9</c>).</summary>
internal static class Signals
{
    public const int Kill = 9;

    static readonly Dictionary<string, int> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["HUP"] = 1, ["INT"] = 2, ["QUIT"] = 3, ["ILL"] = 4, ["TRAP"] = 5, ["ABRT"] = 6, ["BUS"] = 7, ["FPE"] = 8, ["KILL"] = 9,
        ["USR1"] = 10, ["SEGV"] = 11, ["USR2"] = 12, ["PIPE"] = 13, ["ALRM"] = 14, ["TERM"] = 15, ["CHLD"] = 17, ["CONT"] = 18,
        ["STOP"] = 19, ["TSTP"] = 20, ["TTIN"] = 21, ["TTOU"] = 22, ["URG"] = 23, ["XCPU"] = 24, ["XFSZ"] = 25, ["VTALRM"] = 26,
        ["PROF"] = 27, ["WINCH"] = 28, ["IO"] = 29, ["PWR"] = 30, ["SYS"] = 31,
    };

    public static int Parse(string s)
    {
        if (int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and < 65) return n;
        var name = s.StartsWith("SIG", StringComparison.OrdinalIgnoreCase) ? s[3..] : s;
        return Names.TryGetValue(name, out var v) ? v : throw ShellException.User($"invalid signal: {s}");
    }
}
