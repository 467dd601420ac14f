using System.Collections.Immutable;
using Troupe.Api.Compose;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;
using Troupe.Shell.Rendering;

namespace Troupe.Shell.Commands;

/// <summary>
/// <c>compose up|down|ps|logs</c> on the objects <see cref="ComposeTranslator"/> makes: each service a Deployment (or
/// a Pod for a one-shot service another waits on) and its Services, all labelled with the project, so
/// <c>down</c>, <c>ps</c> and <c>logs</c> find them by label. <c>up</c> builds what has a <c>build</c> (when its image is
/// missing, or with <c>--build</c>), then applies the services in dependency order, waiting for each dependency's
/// condition (started, healthy, completed successfully) first.
/// </summary>
internal static class ComposeVerbs
{
    static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(180);

    static string ProjectSelector(string project) => $"{ComposeTranslator.ProjectLabel}={ComposeTranslator.LabelValue(project)}";

    static string ServiceSelector(string project, string service) =>
        $"{ProjectSelector(project)},{ComposeTranslator.ServiceLabel}={ComposeTranslator.LabelValue(service)}";

    static readonly Flag[] UpFlags =
    [
        Common.Help, Flag.Bool("detach", "-d", "--detach"), Flag.Bool("build", "--build"), Flag.Bool("no-build", "--no-build"),
        Flag.Bool("wait", "--wait"), Flag.Bool("quiet-pull", "--quiet-pull"), Flag.Bool("remove-orphans", "--remove-orphans"),
        Flag.Bool("force-recreate", "--force-recreate"), Flag.Bool("no-recreate", "--no-recreate"),
    ];

    public static int Up(ShellContext ctx, ComposeArgs compose, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, UpFlags);
        if (Common.HelpWanted(ctx, a, "compose up [-d] [--build] [SERVICE...]")) return 0;
        var loaded = ComposeCommand.Load(ctx, compose);
        var project = loaded.File.Name;
        var plans = loaded.Translation.Plans;
        if (a.Positionals.Count > 0)
        {
            foreach (var s in a.Positionals)
                if (plans.All(p => p.Service != s)) throw ShellException.User($"no such service: {s}");
            // the services asked for and what they depend on
            var wanted = new HashSet<string>(StringComparer.Ordinal);
            void Add(string s)
            {
                if (!wanted.Add(s)) return;
                foreach (var d in plans.First(p => p.Service == s).Step.WaitFor.Keys) Add(d);
            }
            foreach (var s in a.Positionals) Add(s);
            plans = plans.Where(p => wanted.Contains(p.Service)).ToImmutableArray();
        }

        // one project's objects never take over another's: the Services are named after the compose services (so
        // pods reach them by that name), and two projects' `db` would be one Service
        foreach (var o in plans.SelectMany(p => p.Services.Cast<KubeObject>().Append(p.Workload)))
        {
            if (ctx.Client.Send(new GetObjects(o.Kind, o.Metadata.Namespace, o.Metadata.Name)) is not ObjectList { Items: [var existing, ..] }) continue;
            var owner = existing.Metadata.Labels.GetValueOrDefault(ComposeTranslator.ProjectLabel);
            if (owner == ComposeTranslator.LabelValue(project)) continue;
            throw ShellException.User($"{Kinds.ResourceWord(o.Kind)}/{o.Metadata.Name} already exists and " +
                (owner is null ? "was not made by troupe compose" : $"belongs to compose project \"{owner}\"") +
                ": rename the service, or remove that one first");
        }

        // images first: a build that fails applies nothing
        var images = Common.Expect<ImageList>(ctx.Client.Send(new GetImages())).Images;
        foreach (var plan in plans)
        {
            if (plan.Build is not { } b || a.Has("no-build")) continue;
            if (!a.Has("build") && HasImage(images, b.Image)) continue;
            ctx.Err.WriteLine($"[+] Building {plan.Service} ({b.Image})");
            var args = new List<string> { "-t", b.Image, "-f", Path.IsPathRooted(b.Dockerfile) ? b.Dockerfile : Path.Combine(b.Context, b.Dockerfile) };
            foreach (var (k, v) in b.Args) { args.Add("--build-arg"); args.Add($"{k}={v}"); }
            if (b.Target is { } target) { args.Add("--target"); args.Add(target); }
            args.Add(b.Context);
            var code = BuildCommand.Run(ctx, args);
            if (code != 0) throw ShellException.User($"failed to build service \"{plan.Service}\"");
        }

        // the whole project checked by the node first (images, ports, names): a refused service applies nothing
        var everything = plans.SelectMany(p => p.Services.Cast<KubeObject>().Append(p.Workload)).ToImmutableArray();
        Common.Expect<ObjectsApplied>(ctx.Client.Send(new ApplyObjects(everything, DryRun: true)));

        foreach (var plan in plans)
        {
            foreach (var (dep, condition) in plan.Step.WaitFor)
            {
                if (!plans.Any(p => p.Service == dep)) continue;
                WaitFor(ctx, project, dep, condition.Condition, plan.Service);
            }
            var objects = plan.Services.Cast<KubeObject>().Append(plan.Workload).ToImmutableArray();
            var applied = Common.Expect<ObjectsApplied>(ctx.Client.Send(new ApplyObjects(objects)));
            foreach (var w in applied.Warnings ?? []) ctx.Warn(w);
            var action = applied.Results.FirstOrDefault(r => r.Kind is "Deployment" or "Pod")?.Action switch
            {
                "created" => "Created",
                "configured" => "Recreated",
                _ => "Running",
            };
            ctx.Err.WriteLine($" ✔ Service {plan.Service,-20} {action}");
        }

        // as docker compose: back once every service's containers have started (--wait: are healthy)
        foreach (var plan in plans)
            WaitFor(ctx, project, plan.Service, a.Has("wait") && plan.Workload is not Pod ? ComposeDependency.Healthy : ComposeDependency.Started, null);
        if (a.Has("detach")) return 0;

        // attached: every service's output until Ctrl-C, which stops the project's containers
        void Stop()
        {
            ctx.Err.WriteLine(ctx.InShell ? "Gracefully stopping..." : "Gracefully stopping... (press Ctrl+C again to force)");
            foreach (var d in Deployments(ctx, project))
                ctx.Client.Send(new ScaleDeployment(d.Metadata.Namespace, d.Metadata.Name, 0));
        }
        if (!ctx.InShell)
        {
            var stopping = 0;
            Console.CancelKeyPress += (_, e) =>
            {
                if (Interlocked.Exchange(ref stopping, 1) == 1) return; // a second Ctrl-C: die at once
                e.Cancel = true;
                Stop();
                Environment.Exit(0);
            };
        }
        try
        {
            return LogsCommand.Selected(ctx, ProjectSelector(project), Namespace.Default, follow: true, tail: null, onlyContainer: null,
                prefix: (pod, _) => $"{pod.Metadata.Name}  | ");
        }
        catch (OperationCanceledException) when (ctx.InShell)
        {
            // troupe shell's Ctrl-C cancelled the follow: stop the containers (with the context's requests allowed
            // again), then back to the prompt
            var cancelled = ctx.Cancellation;
            ctx.Cancellation = default;
            try { Stop(); }
            finally { ctx.Cancellation = cancelled; }
            throw;
        }
    }

    static bool HasImage(ImmutableArray<ImageSummary> images, string image)
    {
        var colon = image.LastIndexOf(':');
        var (repo, tag) = colon > image.LastIndexOf('/') ? (image[..colon], image[(colon + 1)..]) : (image, "latest");
        return images.Any(i => i.Tag == tag && (i.Repository == repo || ImagesCommand.ShortRepository(i.Repository) == repo));
    }

    static IEnumerable<Deployment> Deployments(ShellContext ctx, string project) =>
        ctx.Client.Send(new GetObjects("Deployment", Namespace.Default, LabelSelector: ProjectSelector(project))) is ObjectList l
            ? l.Items.OfType<Deployment>() : [];

    static List<Pod> Pods(ShellContext ctx, string selector) =>
        ctx.Client.Send(new GetObjects("Pod", Namespace.Default, LabelSelector: selector)) is ObjectList l ? l.Items.OfType<Pod>().ToList() : [];

    /// <summary>
    /// Until <paramref name="service"/>'s pods meet the condition: started (running), healthy (ready: its healthcheck
    /// passes) or completed successfully (exit 0); a one-shot dependency that fails is an error.
    /// </summary>
    static void WaitFor(ShellContext ctx, string project, string service, string condition, string? dependent)
    {
        var selector = ServiceSelector(project, service);
        var deadline = DateTime.UtcNow + WaitLimit;
        while (true)
        {
            // a Deployment that was just changed is waited for until its new pods are the ones there (its old pods,
            // still listed and maybe ready, are not the service the dependent wants)
            var deployment = ctx.Client.Send(new GetObjects("Deployment", Namespace.Default, LabelSelector: selector)) is ObjectList { Items: [Deployment d, ..] } ? d : null;
            var rolled = deployment is null || deployment.Status is { } s && s.ObservedGeneration >= deployment.Metadata.Generation
                && s.UpdatedReplicas >= deployment.Spec.Replicas && s.Replicas <= s.UpdatedReplicas;
            var pods = Pods(ctx, selector).Where(p => p.Metadata.DeletionTimestamp is null).ToList();
            bool Ready(Pod p) => p.Status?.Conditions.Any(c => c.Type == "Ready" && c.Status == "True") == true;
            var met = rolled && deployment is { Spec.Replicas: 0 } || rolled && condition switch
            {
                ComposeDependency.Healthy => pods.Count > 0 && pods.All(Ready),
                ComposeDependency.CompletedSuccessfully => pods.Count > 0 && pods.All(p => p.Status?.Phase == "Succeeded"),
                // started: running, or run already (a container that exited or crashed has started, as docker's)
                _ => pods.Count > 0 && pods.All(p => p.Status?.Phase is "Running" or "Succeeded" or "Failed"
                    || p.Status?.ContainerStatuses.Any(c => c.State.Terminated is { Reason: not "StartError" } || c.LastState.Terminated is { Reason: not "StartError" }) == true),
            };
            if (met)
            {
                if (condition != ComposeDependency.Started) ctx.Err.WriteLine($" ✔ Service {service,-20} {(condition == ComposeDependency.Healthy ? "Healthy" : "Exited")}");
                return;
            }
            if (condition == ComposeDependency.CompletedSuccessfully && pods.FirstOrDefault(p => p.Status?.Phase == "Failed") is { } failed)
            {
                var code = failed.Status!.ContainerStatuses.Select(c => c.State.Terminated?.ExitCode).FirstOrDefault(c => c is not null);
                throw ShellException.User($"service \"{service}\" didn't complete successfully: exit {code?.ToString() ?? "?"}");
            }
            if (DateTime.UtcNow >= deadline)
                throw ShellException.User($"dependency failed to start: service \"{service}\" is not {condition.Replace("service_", "").Replace('_', ' ')}"
                    + (dependent is null ? "" : $" (service \"{dependent}\" waits for it)"));
            Thread.Sleep(250);
        }
    }

    static readonly Flag[] DownFlags = [Common.Help, Flag.Bool("volumes", "-v", "--volumes"), Flag.Bool("remove-orphans", "--remove-orphans"), Flag.Value("timeout", "-t", "--timeout")];

    public static int Down(ShellContext ctx, ComposeArgs compose, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, DownFlags);
        if (Common.HelpWanted(ctx, a, "compose down [-v]")) return 0;
        var file = ComposeCommand.ReadFile(ctx, compose);
        var project = file.Name;
        var selector = ProjectSelector(project);
        int? grace = a.Get("timeout") is { } t ? int.Parse(t, System.Globalization.CultureInfo.InvariantCulture) : null;
        foreach (var kind in (string[])["Deployment", "Pod", "Service"])
        {
            if (ctx.Client.Send(new GetObjects(kind, Namespace.Default, LabelSelector: selector)) is not ObjectList list) continue;
            foreach (var o in list.Items)
            {
                if (o is Pod p && !p.Metadata.OwnerReferences.IsDefaultOrEmpty) continue;
                var r = ctx.Client.Send(new DeleteObject(kind, Namespace.Default, o.Metadata.Name, grace));
                if (r is CommandRejected { Code: not "NotFound" } rejected) throw ShellException.User(rejected.Reason);
                if (kind != "Service") ctx.Err.WriteLine($" ✔ {(kind == "Pod" ? "Container" : "Service")} {o.Metadata.Name,-20} Removed");
            }
        }
        // as docker compose down: it returns once the containers are gone
        var deadline = DateTime.UtcNow + WaitLimit;
        while (Pods(ctx, selector).Count > 0 && DateTime.UtcNow < deadline) Thread.Sleep(200);
        if (a.Has("volumes"))
        {
            // the project's named volumes (by their full names: `name:` or <project>_<key>), never an external one;
            // they are folders of the local node's home, so over --cluster they are left where they are
            if (ctx.Cluster is not null)
                ctx.Warn("-v: named volumes live on the nodes that ran the containers and are kept (remove them there)");
            else
                foreach (var v in file.Volumes.Values.Where(v => !v.External && VolumeNames.IsValid(v.Name)))
                {
                    var dir = Path.Combine(ctx.Home, "volumes", v.Name);
                    if (!Directory.Exists(dir)) continue;
                    Directory.Delete(dir, recursive: true);
                    ctx.Err.WriteLine($" ✔ Volume {v.Name,-20} Removed");
                }
        }
        return 0;
    }

    static readonly Flag[] PsFlags = [Common.Help, Flag.Bool("quiet", "-q", "--quiet"), Flag.Bool("all", "-a", "--all"), Flag.Bool("services", "--services")];

    /// <summary><c>compose ps</c>: the project's containers (pods), docker compose's columns.</summary>
    public static int Ps(ShellContext ctx, ComposeArgs compose, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, PsFlags);
        if (Common.HelpWanted(ctx, a, "compose ps [-q] [-a] [--services]")) return 0;
        var project = ComposeCommand.ReadFile(ctx, compose).Name;
        var pods = Pods(ctx, ProjectSelector(project))
            .Where(p => a.Has("all") || p.Status?.Phase is not ("Succeeded" or "Failed"))
            .Where(p => a.Positionals.Count == 0 || a.Positionals.Contains(Service(p)))
            .OrderBy(p => Service(p), StringComparer.Ordinal).ThenBy(p => p.Metadata.Name, StringComparer.Ordinal).ToList();
        if (a.Has("quiet")) { foreach (var p in pods) ctx.Out.WriteLine(p.Metadata.Name); return 0; }
        if (a.Has("services")) { foreach (var s in pods.Select(Service).Distinct()) ctx.Out.WriteLine(s); return 0; }
        var services = ctx.Client.Send(new GetObjects("Service", Namespace.Default, LabelSelector: ProjectSelector(project))) is ObjectList sl
            ? sl.Items.OfType<Service>().ToList() : [];
        var table = TableRenderer.Docker("NAME", "IMAGE", "SERVICE", "CREATED", "STATUS", "PORTS");
        foreach (var p in pods)
        {
            var svc = Service(p);
            var ports = string.Join(", ", services.Where(s => s.Metadata.Labels.GetValueOrDefault(ComposeTranslator.ServiceLabel) == ComposeTranslator.LabelValue(svc)
                                                                && s.Spec.Type == "LoadBalancer")
                .SelectMany(s => s.Spec.Ports.Select(sp => $"0.0.0.0:{sp.Port}->{sp.TargetPort?.Value ?? sp.Port.ToString()}/tcp")));
            table.Add(p.Metadata.Name, string.Join(",", p.Spec.Containers.Select(c => c.Image)), svc,
                p.Metadata.CreationTimestamp is { } created ? Durations.Docker(ctx.Now - created) : "", StatusFormatter.PodStatus(p), ports);
        }
        table.WriteTo(ctx.Out);
        return 0;
    }

    static string Service(Pod p) => p.Metadata.Labels.GetValueOrDefault(ComposeTranslator.ServiceLabel) ?? "";

    static readonly Flag[] LogsFlags = [Common.Help, Flag.Bool("follow", "-f", "--follow"), Flag.Value("tail", "--tail", "-n"), Flag.Bool("no-prefix", "--no-log-prefix")];

    /// <summary><c>compose logs [-f] [SERVICE...]</c>: each line prefixed with its container, as docker compose does.</summary>
    public static int Logs(ShellContext ctx, ComposeArgs compose, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, LogsFlags);
        if (Common.HelpWanted(ctx, a, "compose logs [-f] [--tail N] [SERVICE...]")) return 0;
        var file = ComposeCommand.ReadFile(ctx, compose);
        foreach (var s in a.Positionals)
            if (!file.Services.ContainsKey(s)) throw ShellException.User($"no such service: {s}");
        var tail = a.Get("tail") is { } t && t != "all" ? a.Int("tail", "--tail") : null;
        Func<Pod, string, string> prefix = a.Has("no-prefix") ? (_, _) => "" : (pod, _) => $"{pod.Metadata.Name}  | ";
        var selectors = a.Positionals.Count == 0 ? [ProjectSelector(file.Name)] : a.Positionals.Select(s => ServiceSelector(file.Name, s)).ToList();
        if (selectors.Count == 1)
            return LogsCommand.Selected(ctx, selectors[0], Namespace.Default, a.Has("follow"), tail, null, prefix);
        // several services: one selector each (label selectors have no OR)
        var threads = selectors.Select(sel => new Thread(() => LogsCommand.Selected(ctx, sel, Namespace.Default, a.Has("follow"), tail, null, prefix)) { IsBackground = true }).ToList();
        foreach (var th in threads) th.Start();
        foreach (var th in threads) th.Join();
        return 0;
    }
}
