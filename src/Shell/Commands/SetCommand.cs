using Troupe.Api.Objects;
using Troupe.Api.Protocol;

namespace Troupe.Shell.Commands;

/// <summary>
/// <c>troupe set image deployment/NAME CONTAINER=IMAGE...</c> (as kubectl): the Deployment as the control plane has it,
/// with those containers' images changed, applied again, which starts a rolling update. Prints
/// <c>deployment.apps/web image updated</c>; an unknown container is an error naming it, and nothing is applied.
/// </summary>
internal static class SetCommand
{
    internal static readonly Flag[] Flags = [Common.Help, Common.Namespace];

    const string Usage = "set image deployment/NAME CONTAINER=IMAGE...";

    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, Flags);
        if (Common.HelpWanted(ctx, a, Usage)) return 0;
        if (a.Positionals.Count == 0 || a.Positionals[0] != "image")
            throw ShellException.Usage(a.Positionals.Count == 0 ? $"troupe {Usage}" : $"troupe set {a.Positionals[0]} is not supported (only set image): troupe {Usage}");
        var rest = a.Positionals.Skip(1).ToList();
        var assignments = rest.Where(p => p.Contains('=')).ToList();
        var (kind, names) = Common.KindAndNames(rest.Where(p => !p.Contains('=')).ToList(), "set image");
        if (kind != "Deployment") throw ShellException.User($"set image on {kind} objects is not supported by Troupe yet (only deployments)");
        if (names.Count == 0 || assignments.Count == 0) throw ShellException.Usage($"troupe {Usage}");
        var images = new Dictionary<string, string>();
        foreach (var s in assignments)
        {
            var eq = s.IndexOf('=');
            if (eq <= 0 || eq == s.Length - 1) throw ShellException.Usage($"invalid image assignment \"{s}\": want CONTAINER=IMAGE");
            images[s[..eq]] = s[(eq + 1)..];
        }
        var ns = Common.NamespaceOf(a);
        foreach (var name in names)
        {
            var found = ctx.Client.Send(new GetObjects("Deployment", ns, name));
            if (found is CommandRejected r) throw ShellException.User(r.Reason);
            var d = (Deployment)Common.Expect<ObjectList>(found).Items[0];
            var containers = d.Spec.Template.Spec.Containers;
            var initContainers = d.Spec.Template.Spec.InitContainers;
            foreach (var c in images.Keys)
                if (c != "*" && containers.All(x => x.Name != c) && initContainers.All(x => x.Name != c))
                    throw ShellException.User($"unable to find container named \"{c}\" in deployment.apps/{name}");
            Container Swap(Container c) => images.TryGetValue(c.Name, out var img) || images.TryGetValue("*", out img) ? c with { Image = img } : c;
            RolloutCommand.Reapply(ctx, d with
            {
                Spec = d.Spec with
                {
                    Template = d.Spec.Template with
                    {
                        Spec = d.Spec.Template.Spec with { Containers = [.. containers.Select(Swap)], InitContainers = [.. initContainers.Select(Swap)] },
                    },
                },
            });
            ctx.Out.WriteLine($"deployment.apps/{name} image updated");
        }
        return 0;
    }
}
