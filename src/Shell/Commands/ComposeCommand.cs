using System.Collections.Immutable;
using Troupe.Api.Compose;
using Troupe.Api.Manifests;

namespace Troupe.Shell.Commands;

/// <summary>What <c>troupe compose</c>'s flags before the verb say: the file, the project, the profiles.</summary>
/// <param name="File">The compose file (<c>-f</c>), or null: the first of compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml.</param>
/// <param name="ProjectName"><c>-p</c>, or null.</param>
/// <param name="Profiles"><c>--profile</c> (repeatable); empty: <c>COMPOSE_PROFILES</c>.</param>
/// <param name="ProjectDirectory"><c>--project-directory</c>: where relative paths and <c>.env</c> are, and where the default file is looked for.</param>
/// <param name="EnvFile"><c>--env-file</c>: instead of the project's <c>.env</c>.</param>
public sealed record ComposeArgs(string? File, string? ProjectName, ImmutableArray<string> Profiles, string? ProjectDirectory = null, string? EnvFile = null);

/// <summary>A compose project read, validated and translated: what <c>compose up</c> applies.</summary>
/// <param name="File">The normalised compose file.</param>
/// <param name="Translation">Its objects, per service in start order, with what to build.</param>
public sealed record LoadedCompose(ComposeFile File, ComposeTranslation Translation);

/// <summary>
/// <c>troupe compose [-f FILE] [-p NAME] [--profile P]... [--project-directory DIR] [--env-file F] VERB</c>.
/// <c>config</c> validates and prints the normalised file and needs no node; <c>up</c>, <c>down</c>, <c>ps</c> and
/// <c>logs</c> are built on <see cref="Load"/>.
/// </summary>
internal static class ComposeCommand
{
    const string Usage = "compose [-f FILE] [-p NAME] [--profile P]... [--project-directory DIR] [--env-file FILE] up|down|ps|logs|config";

    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var (compose, verb, rest) = ParseGlobal(argv);
        switch (verb)
        {
            case null or "help" or "--help" or "-h":
                ctx.Out.WriteLine("Usage: troupe " + Usage);
                ctx.Out.WriteLine("  config [-q] [--format yaml|json] [--services] [--volumes] [--profiles] [--images]");
                return verb is null && argv.Count > 0 ? ExitCodes.UsageError : ExitCodes.Ok;
            case "config" or "convert": return Config(ctx, compose, rest);
            case "up": return ComposeVerbs.Up(ctx, compose, rest);
            case "down": return ComposeVerbs.Down(ctx, compose, rest);
            case "ps": return ComposeVerbs.Ps(ctx, compose, rest);
            case "logs": return ComposeVerbs.Logs(ctx, compose, rest);
            case "build" or "start" or "stop" or "restart" or "rm" or "exec" or "run" or "pull" or "images" or "top" or "kill":
                throw ShellException.NotImplemented($"compose {verb}");
            default:
                throw ShellException.Usage($"unknown command \"{verb}\" for \"troupe compose\" (see troupe compose --help)");
        }
    }

    /// <summary>The flags before the verb, the verb, and what follows it.</summary>
    internal static (ComposeArgs Args, string? Verb, IReadOnlyList<string> VerbArgs) ParseGlobal(IReadOnlyList<string> argv)
    {
        string? file = null, project = null, dir = null, envFile = null;
        var profiles = ImmutableArray.CreateBuilder<string>();
        for (var i = 0; i < argv.Count; i++)
        {
            var a = argv[i];
            string Value(string flag)
            {
                var eq = a.IndexOf('=');
                if (a.StartsWith("--", StringComparison.Ordinal) && eq > 0) return a[(eq + 1)..];
                if (!a.StartsWith("--", StringComparison.Ordinal) && a.Length > 2) return a[2..].TrimStart('=');
                if (i + 1 >= argv.Count) throw ShellException.Usage($"flag needs an argument: {flag}");
                return argv[++i];
            }
            var name = a.StartsWith("--", StringComparison.Ordinal) && a.Contains('=') ? a[..a.IndexOf('=')] : a.Length > 2 && !a.StartsWith("--", StringComparison.Ordinal) ? a[..2] : a;
            switch (name)
            {
                case "-f" or "--file":
                    var f = Value(name);
                    if (file is not null && f != file) throw ShellException.User("more than one -f: merging compose files is not supported by Troupe yet");
                    file = f;
                    break;
                case "-p" or "--project-name": project = Value(name); break;
                case "--profile": profiles.Add(Value(name)); break;
                case "--project-directory": dir = Value(name); break;
                case "--env-file": envFile = Value(name); break;
                case "-h" or "--help": return (new ComposeArgs(file, project, profiles.ToImmutable(), dir, envFile), "help", []);
                default:
                    if (a.StartsWith('-')) throw ShellException.Usage($"unknown flag: {a} (troupe {Usage})");
                    return (new ComposeArgs(file, project, profiles.ToImmutable(), dir, envFile), a, argv.Skip(i + 1).ToList());
            }
        }
        return (new ComposeArgs(file, project, profiles.ToImmutable(), dir, envFile), null, []);
    }

    /// <summary>
    /// Finds, reads, validates and translates the project, printing its warnings on stderr (<c>warning: ...</c>).
    /// <paramref name="volumesRoot"/> as <see cref="ComposeTranslatorOptions.VolumesRoot"/> (null: Troupe volumes).
    /// </summary>
    /// <exception cref="ManifestException">The file is invalid (file:line: field: message).</exception>
    /// <exception cref="ShellException">No compose file is found, or the <c>.env</c> file is malformed.</exception>
    public static LoadedCompose Load(ShellContext ctx, ComposeArgs args, string? volumesRoot = null, string @namespace = "default")
    {
        var file = ReadFile(ctx, args);
        var translation = ComposeTranslator.Translate(file, new ComposeTranslatorOptions
        {
            Namespace = @namespace,
            VolumesRoot = volumesRoot,
            Variables = Variables(ctx, args, file.ProjectDirectory),
        });
        foreach (var w in translation.Warnings) ctx.Warn(w.ToString());
        return new LoadedCompose(file, translation);
    }

    /// <summary>Finds and reads the compose file (validated, not translated), printing its warnings.</summary>
    public static ComposeFile ReadFile(ShellContext ctx, ComposeArgs args)
    {
        var cwd = args.ProjectDirectory ?? Environment.CurrentDirectory;
        string path;
        if (args.File is { } f)
        {
            if (f == "-") throw ShellException.User("reading a compose file from stdin is not supported by Troupe yet; pass -f FILE");
            path = Path.GetFullPath(f, cwd);
            if (!File.Exists(path)) throw ShellException.User($"open {f}: no such file or directory");
        }
        else
            path = ComposeReader.FindDefaultFile(cwd)
                ?? throw ShellException.User("no configuration file provided: not found (looked for compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml)");
        var projectDir = args.ProjectDirectory is { } d ? Path.GetFullPath(d) : Path.GetDirectoryName(path)!;
        var vars = Variables(ctx, args, projectDir);
        var file = ComposeReader.ReadFile(args.File is { } given && !Path.IsPathRooted(given) && args.ProjectDirectory is null ? given : path, new ComposeOptions
        {
            Variables = vars,
            ProjectName = args.ProjectName,
            Profiles = args.Profiles,
            ProjectDirectory = projectDir,
        });
        foreach (var w in file.Warnings) ctx.Warn(w.ToString());
        return file;
    }

    static IReadOnlyDictionary<string, string?> Variables(ShellContext ctx, ComposeArgs args, string projectDir)
    {
        try
        {
            return DotEnv.Variables(projectDir, ctx.EnvironmentVariables, args.EnvFile is { } e ? Path.GetFullPath(e) : null);
        }
        catch (FormatException e)
        {
            throw ShellException.User($"{args.EnvFile ?? Path.Combine(projectDir, ".env")}: {e.Message}");
        }
    }

    static readonly Flag[] ConfigFlags =
    [
        Common.Help, Flag.Bool("quiet", "-q", "--quiet"), Flag.Value("format", "--format"), Flag.Bool("services", "--services"),
        Flag.Bool("volumes", "--volumes"), Flag.Bool("profiles", "--profiles"), Flag.Bool("images", "--images"),
        Flag.Bool("no-interpolate", "--no-interpolate"), Flag.Bool("no-normalize", "--no-normalize"), Flag.Value("output", "-o", "--output"),
    ];

    /// <summary><c>compose config</c>: validates (reading and translating) and prints the normalised file.</summary>
    static int Config(ShellContext ctx, ComposeArgs compose, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, ConfigFlags);
        if (Common.HelpWanted(ctx, a, "compose config [-q] [--format yaml|json] [--services] [--volumes] [--profiles] [--images] [-o FILE]")) return 0;
        if (a.Has("no-interpolate")) throw ShellException.NotImplemented("compose config --no-interpolate");
        var format = a.Get("format") ?? "yaml";
        if (format is not ("yaml" or "json")) throw ShellException.Usage($"unsupported format \"{format}\" (use yaml or json)");
        var loaded = Load(ctx, compose);
        var file = loaded.File;
        if (a.Has("quiet")) return 0;
        string text;
        if (a.Has("services")) text = Lines(file.Services.Keys);
        else if (a.Has("volumes")) text = Lines(file.Volumes.Keys);
        else if (a.Has("profiles"))
            text = Lines(file.DeclaredProfiles);
        else if (a.Has("images")) text = Lines(file.Services.Values.Select(s => s.ImageFor(file.Name)));
        else text = format == "json" ? ComposeWriter.ToJson(file, indented: true) + "\n" : ComposeWriter.ToYaml(file);
        if (a.Get("output") is { } output) File.WriteAllText(output, text);
        else ctx.Out.Write(text);
        return 0;
    }

    static string Lines(IEnumerable<string> items)
    {
        var s = string.Join("\n", items);
        return s.Length == 0 ? "" : s + "\n";
    }
}
