using System.Text;
using System.Text.Json;
using Troupe.Api.Protocol;
using Troupe.Shell.Rendering;

namespace Troupe.Shell.Commands;

/// <summary><c>troupe images [-q] [-o json]</c>: docker's <c>REPOSITORY TAG IMAGE ID CREATED SIZE</c>.</summary>
internal static class ImagesCommand
{
    internal static readonly Flag[] Flags = [Common.Help, Flag.Bool("quiet", "-q", "--quiet"), Flag.Value("output", "-o", "--output", "--format"), Flag.Bool("all", "-a", "--all")];

    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, Flags);
        if (Common.HelpWanted(ctx, a, "images [-q] [-o json]")) return 0;
        var output = a.Get("output");
        if (output is not (null or "json" or "table")) throw ShellException.Usage($"unknown output format \"{output}\" (expected json)");
        var list = Common.Expect<ImageList>(ctx.Client.Send(new GetImages()));
        var images = a.Positionals.Count == 0 ? list.Images.ToList()
            : list.Images.Where(i => a.Positionals.Any(p => p == i.Repository || p == ShortRepository(i.Repository) || p == $"{ShortRepository(i.Repository)}:{i.Tag}" || p == $"{i.Repository}:{i.Tag}")).ToList();
        Render(ctx.Out, images, ctx.Now, a.Has("quiet"), output == "json");
        return 0;
    }

    public static void Render(TextWriter w, IReadOnlyList<ImageSummary> images, DateTimeOffset now, bool quiet = false, bool json = false)
    {
        if (quiet)
        {
            foreach (var i in images) w.WriteLine(ShortId(i.Digest));
            return;
        }
        if (json)
        {
            var ms = new MemoryStream();
            using (var j = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, IndentSize = 4 }))
            {
                j.WriteStartArray();
                foreach (var i in images)
                {
                    j.WriteStartObject();
                    j.WriteString("repository", ShortRepository(i.Repository));
                    j.WriteString("name", i.Repository);
                    j.WriteString("tag", i.Tag);
                    j.WriteString("id", ShortId(i.Digest));
                    j.WriteString("digest", i.Digest);
                    j.WriteString("created", i.Created.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
                    j.WriteNumber("size", i.Size);
                    j.WriteEndObject();
                }
                j.WriteEndArray();
            }
            w.WriteLine(Encoding.UTF8.GetString(ms.ToArray()));
            return;
        }
        var t = TableRenderer.Docker("REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE");
        foreach (var i in images)
            t.Add(ShortRepository(i.Repository), i.Tag is { Length: > 0 } tag ? tag : "<none>", ShortId(i.Digest),
                Durations.Docker(now - i.Created), Durations.DockerSize(i.Size));
        t.WriteTo(w);
    }

    /// <summary>docker's display name: <c>docker.io/library/busybox</c> → <c>busybox</c>, <c>docker.io/me/app</c> → <c>me/app</c>.</summary>
    public static string ShortRepository(string repository)
    {
        if (repository.StartsWith("docker.io/library/", StringComparison.Ordinal)) return repository["docker.io/library/".Length..];
        if (repository.StartsWith("docker.io/", StringComparison.Ordinal)) return repository["docker.io/".Length..];
        return repository;
    }

    /// <summary>The 12 hex digits docker shows of a digest (<c>sha256:...</c>).</summary>
    public static string ShortId(string digest)
    {
        var colon = digest.IndexOf(':');
        var hex = colon >= 0 ? digest[(colon + 1)..] : digest;
        return hex.Length > 12 ? hex[..12] : hex;
    }
}

/// <summary><c>troupe load -i FILE.tar</c>: sends <see cref="ImportImage"/> with the absolute path, prints <c>Loaded image: ...</c>.</summary>
internal static class LoadCommand
{
    static readonly Flag[] Flags = [Common.Help, Flag.Value("input", "-i", "--input"), Flag.Bool("quiet", "-q", "--quiet")];

    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, Flags);
        if (Common.HelpWanted(ctx, a, "load -i FILE.tar")) return 0;
        var input = a.Get("input") ?? (a.Positionals.Count == 1 ? a.Positionals[0] : null)
            ?? throw ShellException.Usage("requires -i FILE.tar (reading an image from stdin is not supported yet)");
        var path = Path.GetFullPath(input);
        if (!File.Exists(path)) throw ShellException.User($"open {input}: no such file or directory");
        var accepted = Common.Expect<CommandAccepted>(ctx.Client.Send(new ImportImage(path), TimeSpan.FromMinutes(10)));
        if (!a.Has("quiet")) ctx.Out.WriteLine(accepted.Message);
        return 0;
    }
}
