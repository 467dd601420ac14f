using System.Collections.Immutable;

namespace Troupe.Api.Dockerfiles;

/// <summary><c>.dockerignore</c> as moby/patternmatcher reads and matches it. Each line is trimmed; empty lines and
/// lines starting with <c>#</c> are skipped; <c>!</c> marks an exception; patterns are cleaned like Go's
/// <c>filepath.Clean</c> with a leading <c>/</c> removed. A path is excluded when the last pattern matching it or
/// one of its parent directories is not an exception. Patterns are Go <c>filepath.Match</c> globs per path
/// segment (<c>*</c>, <c>?</c>, <c>[a-z]</c>, <c>[^a]</c>, <c>\</c> escapes) plus <c>**</c> for any number of
/// directories.</summary>
public sealed class DockerIgnore
{
    private readonly ImmutableArray<Pattern> _patterns;

    private DockerIgnore(ImmutableArray<Pattern> patterns) => _patterns = patterns;

    /// <summary>The cleaned patterns, exceptions with their <c>!</c>.</summary>
    public ImmutableArray<string> Patterns => [.. _patterns.Select(p => p.Exclusion ? "!" + p.Text : p.Text)];

    public static DockerIgnore Parse(string text)
    {
        var patterns = ImmutableArray.CreateBuilder<Pattern>();
        var first = true;
        foreach (var rawLine in text.Split('\n'))
        {
            var line = first && rawLine.StartsWith('\uFEFF') ? rawLine[1..] : rawLine;
            first = false;
            var pattern = line.Trim();
            if (pattern.Length == 0 || pattern[0] == '#') continue;
            var exclusion = pattern[0] == '!';
            if (exclusion) pattern = pattern[1..].Trim();
            if (pattern.Length > 0)
            {
                pattern = CleanPath(pattern);
                if (pattern.Length > 1 && pattern[0] == '/') pattern = pattern[1..];
            }
            if (pattern.Length == 0) continue; // patternmatcher rejects an empty "!" pattern; nothing to match
            patterns.Add(new Pattern(pattern, exclusion, pattern.Split('/')));
        }
        return new DockerIgnore(patterns.ToImmutable());
    }

    public static DockerIgnore ParseFile(string path) => File.Exists(path) ? Parse(File.ReadAllText(path)) : new DockerIgnore([]);

    /// <summary>True when <paramref name="relativePath"/> (slash-separated, relative to the context) is excluded.</summary>
    public bool IsExcluded(string relativePath)
    {
        var path = CleanPath(relativePath.Replace('\\', '/')).TrimStart('/');
        if (path is "" or ".") return false;
        var segments = path.Split('/');
        var matched = false;
        foreach (var p in _patterns)
        {
            if (p.Exclusion != matched) continue;
            var match = false;
            for (var n = segments.Length; n >= 1 && !match; n--)
                match = MatchSegments(p.Segments, 0, segments.AsSpan(0, n));
            if (match) matched = !p.Exclusion;
        }
        return matched;
    }

    private sealed record Pattern(string Text, bool Exclusion, string[] Segments);

    private static bool MatchSegments(string[] pattern, int pi, ReadOnlySpan<string> path)
    {
        while (pi < pattern.Length)
        {
            if (pattern[pi] == "**")
            {
                var last = pi == pattern.Length - 1;
                // "a/**" needs something below a; "**" alone or "**/b" may match zero directories.
                if (last) return pi == 0 || path.Length > 0;
                for (var skip = 0; skip <= path.Length; skip++)
                    if (MatchSegments(pattern, pi + 1, path[skip..])) return true;
                return false;
            }
            if (path.Length == 0 || !GlobMatch(pattern[pi], path[0])) return false;
            pi++;
            path = path[1..];
        }
        return path.Length == 0;
    }

    /// <summary>Go's <c>filepath.Match</c> on one segment (no separators on either side).</summary>
    internal static bool GlobMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> name)
    {
        int p = 0, n = 0, starP = -1, starN = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length)
            {
                var c = pattern[p];
                if (c == '*') { starP = ++p; starN = n; continue; }
                if (c == '?') { p++; n++; continue; }
                if (c == '[')
                {
                    var end = ClassEnd(pattern, p);
                    if (end > 0 && ClassMatches(pattern[(p + 1)..end], name[n])) { p = end + 1; n++; continue; }
                }
                else
                {
                    if (c == '\\' && p + 1 < pattern.Length) c = pattern[++p];
                    if (c == name[n]) { p++; n++; continue; }
                }
            }
            if (starP < 0) return false;
            p = starP;
            n = ++starN;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    private static int ClassEnd(ReadOnlySpan<char> pattern, int open)
    {
        var i = open + 1;
        if (i < pattern.Length && pattern[i] == '^') i++;
        if (i < pattern.Length && pattern[i] == ']') i++;
        for (; i < pattern.Length; i++)
        {
            if (pattern[i] == '\\') { i++; continue; }
            if (pattern[i] == ']') return i;
        }
        return -1;
    }

    private static bool ClassMatches(ReadOnlySpan<char> cls, char ch)
    {
        var negate = cls.Length > 0 && cls[0] == '^';
        if (negate) cls = cls[1..];
        var hit = false;
        for (var i = 0; i < cls.Length; i++)
        {
            var lo = cls[i];
            if (lo == '\\' && i + 1 < cls.Length) lo = cls[++i];
            var hi = lo;
            if (i + 2 < cls.Length && cls[i + 1] == '-')
            {
                hi = cls[i + 2];
                i += 2;
                if (hi == '\\' && i + 1 < cls.Length) hi = cls[++i];
            }
            if (lo <= ch && ch <= hi) hit = true;
        }
        return hit != negate;
    }

    /// <summary>Go's <c>path.Clean</c>.</summary>
    internal static string CleanPath(string path)
    {
        if (path.Length == 0) return ".";
        var rooted = path[0] == '/';
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part is "" or ".") continue;
            if (part == "..")
            {
                if (parts.Count > 0 && parts[^1] != "..") parts.RemoveAt(parts.Count - 1);
                else if (!rooted) parts.Add("..");
                continue;
            }
            parts.Add(part);
        }
        var joined = string.Join('/', parts);
        return rooted ? "/" + joined : joined.Length == 0 ? "." : joined;
    }
}
