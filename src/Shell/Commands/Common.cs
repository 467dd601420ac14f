using Troupe.Api.Objects;
using Troupe.Api.Protocol;

namespace Troupe.Shell.Commands;

/// <summary>What several verbs share: flags, kind names, replies.</summary>
internal static class Common
{
    public static readonly Flag Namespace = Flag.Value("namespace", "-n", "--namespace");
    public static readonly Flag Help = Flag.Bool("help", "-h", "--help");

    /// <summary>Prints the verb's usage and returns true when <c>--help</c> was given.</summary>
    public static bool HelpWanted(ShellContext ctx, Args a, string usage)
    {
        if (!a.Has("help")) return false;
        ctx.Out.WriteLine("Usage: troupe " + usage);
        return true;
    }

    public static string NamespaceOf(Args a) => a.Get("namespace") is { Length: > 0 } ns ? ns : "default";

    /// <summary>The canonical kind of a user's spelling, or exit 1 as kubectl words it.</summary>
    public static string Kind(string name) =>
        Kinds.Resolve(name) ?? throw ShellException.User($"the server doesn't have a resource type \"{name}\"");

    /// <summary><c>KIND NAME...</c> or <c>KIND/NAME...</c> from positionals: the kind and the names (maybe none).</summary>
    public static (string Kind, List<string> Names) KindAndNames(IReadOnlyList<string> positionals, string verb)
    {
        if (positionals.Count == 0)
            throw ShellException.Usage($"you must specify the type of resource to {verb} (troupe {verb} KIND [NAME])");
        var first = positionals[0];
        if (first.Contains('/'))
        {
            string? kind = null;
            var names = new List<string>();
            foreach (var p in positionals)
            {
                var slash = p.IndexOf('/');
                if (slash <= 0 || slash == p.Length - 1)
                    throw ShellException.Usage($"there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (got \"{p}\")");
                var k = Kind(p[..slash]);
                if (kind is not null && k != kind) throw ShellException.Usage("troupe handles one kind per command");
                kind = k;
                names.Add(p[(slash + 1)..]);
            }
            return (kind!, names);
        }
        return (Kind(first), positionals.Skip(1).ToList());
    }

    /// <summary>The reply as <typeparamref name="T"/>, or the rejection's reason as a user error (exit 1).</summary>
    public static T Expect<T>(ITroupeMessage reply) where T : class, ITroupeMessage => reply switch
    {
        T t => t,
        CommandRejected r => throw ShellException.User(r.Reason),
        _ => throw ShellException.User($"the node answered {reply.GetType().Name}, which the shell did not expect"),
    };

    /// <summary>
    /// The client's first look at an image reference (the node parses it fully): docker's wording for what is
    /// plainly wrong, exit 1, before anything is sent.
    /// </summary>
    public static void CheckReference(string reference, string what)
    {
        if (reference.Length == 0 || reference.Any(char.IsWhiteSpace) || reference.StartsWith('/') || reference.StartsWith(':') || reference.EndsWith(':'))
            throw ShellException.User($"invalid reference format: \"{reference}\" is not a valid {what}");
        var at = reference.IndexOf('@');
        var name = at >= 0 ? reference[..at] : reference;
        var slash = name.LastIndexOf('/');
        var colon = name.LastIndexOf(':');
        var repository = colon > slash ? name[..colon] : name;
        var firstSlash = repository.IndexOf('/');
        var path = firstSlash > 0 && (repository[..firstSlash].Contains('.') || repository[..firstSlash].Contains(':') || repository[..firstSlash] == "localhost")
            ? repository[(firstSlash + 1)..] : repository;
        if (path.Any(char.IsUpper)) throw ShellException.User($"invalid reference format: repository name ({path}) must be lowercase");
    }

    /// <summary>kubectl's "No resources found" line (stderr).</summary>
    public static string NoResources(string kind, string? ns, bool all) =>
        all || !Kinds.IsNamespaced(kind) ? "No resources found" : $"No resources found in {ns ?? "default"} namespace.";
}
