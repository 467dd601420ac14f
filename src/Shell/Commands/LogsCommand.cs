using System.Text;

namespace Troupe.Shell.Commands;

/// <summary>
/// <c>troupe logs POD [-c C] [-f] [--previous|-p] [--tail N] [-n NS]</c>: <c>GET /v1/logs</c>, printed as it streams.
/// <c>troupe logs -l SELECTOR [-f]</c>: every pod the selector matches, each line prefixed as kubectl's
/// <c>--prefix</c> does (<c>[pod/web-abc12/web] ...</c>); with <c>-f</c> pods that appear later are followed too
/// (a rollout's new pods), until Ctrl-C.
/// </summary>
internal static class LogsCommand
{
    internal static readonly Flag[] Flags =
    [
        Common.Help, Common.Namespace, Flag.Value("container", "-c", "--container"), Flag.Bool("follow", "-f", "--follow"),
        Flag.Bool("previous", "-p", "--previous"), Flag.Value("tail", "--tail"), Flag.Value("selector", "-l", "--selector"),
    ];

    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, Flags);
        if (Common.HelpWanted(ctx, a, "logs POD [-c CONTAINER] [-f] [--previous] [--tail N] [-n NS]")) return 0;
        if (a.Get("selector") is { } selector)
        {
            if (a.Positionals.Count > 0) throw ShellException.Usage("only one of a pod name or -l SELECTOR may be given");
            return Selected(ctx, selector, Common.NamespaceOf(a), a.Has("follow"), a.Int("tail", "--tail"), a.Get("container"),
                (pod, container) => $"[pod/{pod.Metadata.Name}/{container}] ", a.Has("previous"));
        }
        if (a.Positionals.Count == 0) throw ShellException.Usage("expected a pod name (troupe logs POD)");
        if (a.Positionals.Count > 2) throw ShellException.Usage("expected POD [CONTAINER]");
        var pod = a.Positionals[0];
        if (pod.IndexOf('/') is var slash and > 0)
        {
            if (Troupe.Api.Objects.Kinds.Resolve(pod[..slash]) != "Pod") throw ShellException.User($"logs of {pod[..slash]} are not supported by Troupe yet (name a pod)");
            pod = pod[(slash + 1)..];
        }
        var container = a.Get("container") ?? (a.Positionals.Count == 2 ? a.Positionals[1] : null);
        var (status, error) = ctx.Client.Stream(Query(a, pod, container), ctx.Out);
        if (status != 200) throw ShellException.User(error is { Length: > 0 } ? error : $"the node answered HTTP {status}");
        return 0;
    }

    static string Query(Args a, string pod, string? container) =>
        Query(Common.NamespaceOf(a), pod, container, a.Has("previous"), a.Int("tail", "--tail"), a.Has("follow"));

    static string Query(string ns, string pod, string? container, bool previous, int? tail, bool follow)
    {
        var q = new StringBuilder("/v1/logs?namespace=").Append(Uri.EscapeDataString(ns))
            .Append("&pod=").Append(Uri.EscapeDataString(pod));
        if (container is not null) q.Append("&container=").Append(Uri.EscapeDataString(container));
        if (previous) q.Append("&previous=true");
        if (tail is >= 0) q.Append("&tail=").Append(tail.Value);
        if (follow) q.Append("&follow=true");
        return q.ToString();
    }

    /// <summary>The pods of a selector: one stream per pod and container, lines prefixed, written whole.</summary>
    internal static int Selected(ShellContext ctx, string selector, string ns, bool follow, int? tail, string? onlyContainer,
        Func<Troupe.Api.Objects.Pod, string, string> prefix, bool previous = false)
    {
        var gate = new object();
        var started = new HashSet<string>(StringComparer.Ordinal);
        var streams = new List<Thread>();
        var failures = new List<string>();
        var found = false;
        Exception? lost = null;
        while (true)
        {
            lock (gate)
                if (lost is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(lost);
            var list = Common.Expect<Troupe.Api.Protocol.ObjectList>(ctx.Client.Send(new Troupe.Api.Protocol.GetObjects("Pod", ns, LabelSelector: selector)));
            foreach (var pod in list.Items.OfType<Troupe.Api.Objects.Pod>())
            {
                found = true;
                var containers = onlyContainer is { } c ? [c] : pod.Spec.Containers.Select(x => x.Name).ToList();
                foreach (var container in containers)
                {
                    var key = $"{pod.Metadata.Name}/{container}";
                    lock (gate)
                        if (!started.Add(key)) continue;
                    var output = new PrefixedWriter(prefix(pod, container), ctx.Out, gate);
                    var q = Query(ns, pod.Metadata.Name, container, previous, tail, follow);
                    void Stream()
                    {
                        int status;
                        string? error;
                        try { (status, error) = ctx.Client.Stream(q, output); }
                        catch (Exception e) when (follow)
                        {
                            // the node went away: the main loop's next look says so with the contract's exit code
                            lock (gate) lost = e;
                            return;
                        }
                        output.Flush();
                        if (status == 200) return;
                        lock (gate)
                        {
                            // following: a container that has not started yet is asked again on the next look
                            if (follow) started.Remove(key);
                            else failures.Add(error is { Length: > 0 } ? error : $"{key}: HTTP {status}");
                        }
                    }
                    if (!follow) Stream();
                    else
                    {
                        var t = new Thread(Stream) { IsBackground = true, Name = "logs " + key };
                        streams.Add(t);
                        t.Start();
                    }
                }
            }
            if (!follow) break;
            ctx.Pause(TimeSpan.FromSeconds(1));
        }
        if (!found) ctx.Err.WriteLine(Common.NoResources("Pod", ns, false));
        foreach (var f in failures) ctx.Err.WriteLine("error: " + f);
        return failures.Count > 0 ? 1 : 0;
    }

    /// <summary>Writes whole lines, each with the prefix, under a lock shared by every stream.</summary>
    sealed class PrefixedWriter(string prefix, TextWriter to, object gate) : TextWriter
    {
        readonly StringBuilder _line = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            _line.Append(value);
            if (value == '\n') Emit();
        }

        public override void Write(string? value)
        {
            if (value is null) return;
            foreach (var ch in value) Write(ch);
        }

        public override void Write(char[] buffer, int index, int count)
        {
            for (var i = index; i < index + count; i++) Write(buffer[i]);
        }

        void Emit()
        {
            lock (gate)
            {
                to.Write(prefix);
                to.Write(_line.ToString());
                to.Flush();
            }
            _line.Clear();
        }

        public override void Flush()
        {
            if (_line.Length > 0)
            {
                _line.Append('\n');
                Emit();
            }
        }
    }
}
