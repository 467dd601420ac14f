using System.Text.RegularExpressions;

namespace Troupe.Runtime.Images;

/// <summary>
/// An image reference parsed and normalised as Docker does (distribution/reference):
/// <c>busybox</c> → <c>docker.io/library/busybox:latest</c>, <c>myapp:1.0</c> → <c>docker.io/library/myapp:1.0</c>,
/// <c>localhost:5000/x/y:t</c> stays as written, <c>name@sha256:…</c> names a manifest digest.
/// A reference with neither tag nor digest gets the tag <c>latest</c>.
/// <see cref="Parse"/> throws <see cref="FormatException"/>, naming the reference, for an empty reference,
/// an uppercase repository, bad characters, a malformed tag or digest, or a name longer than 255 characters.
/// </summary>
public sealed partial record ImageReference
{
    /// <summary>Docker Hub's canonical domain.</summary>
    public const string DefaultDomain = "docker.io";

    /// <summary>The registry host (with port, if any): <c>docker.io</c>, <c>localhost:5000</c>.</summary>
    public string Domain { get; }

    /// <summary>The repository path inside the registry: <c>library/busybox</c>.</summary>
    public string Path { get; }

    /// <summary>The tag, or null when the reference names a digest only.</summary>
    public string? Tag { get; }

    /// <summary>The manifest digest (<c>sha256:…</c>), or null.</summary>
    public string? Digest { get; }

    /// <summary><c>Domain/Path</c>: <c>docker.io/library/busybox</c>.</summary>
    public string Repository => $"{Domain}/{Path}";

    private ImageReference(string domain, string path, string? tag, string? digest)
    {
        Domain = domain;
        Path = path;
        Tag = tag;
        Digest = digest;
    }

    /// <summary>The normalised form: <c>repository:tag</c>, <c>repository@digest</c> or <c>repository:tag@digest</c>.</summary>
    public override string ToString() =>
        Repository + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);

    /// <summary>This reference with another tag and no digest.</summary>
    public ImageReference WithTag(string tag)
    {
        if (!TagRegex().IsMatch(tag)) throw new FormatException($"invalid tag \"{tag}\"");
        return new ImageReference(Domain, Path, tag, null);
    }

    /// <summary>Parse and normalise; see the type's summary for the rules. Throws <see cref="FormatException"/>.</summary>
    public static ImageReference Parse(string reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return TryParse(reference, out var r, out var error)
            ? r
            : throw new FormatException($"invalid reference format \"{reference}\": {error}");
    }

    /// <summary>Like <see cref="Parse"/> but returns false with the reason instead of throwing.</summary>
    public static bool TryParse(string reference, out ImageReference result, out string error)
    {
        result = null!;
        error = "";
        if (string.IsNullOrWhiteSpace(reference)) { error = "the reference is empty"; return false; }
        if (reference.Trim() != reference) { error = "the reference has leading or trailing space"; return false; }

        var rest = reference;
        string? digest = null;
        var at = rest.IndexOf('@');
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
            if (!DigestRegex().IsMatch(digest)) { error = $"invalid digest \"{digest}\" (expected sha256: and 64 lowercase hex digits)"; return false; }
        }

        string? tag = null;
        var colon = rest.LastIndexOf(':');
        if (colon > rest.LastIndexOf('/'))
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!TagRegex().IsMatch(tag)) { error = $"invalid tag \"{tag}\""; return false; }
        }
        if (rest.Length == 0) { error = "the repository name is empty"; return false; }
        if (AnonymousIdRegex().IsMatch(rest)) { error = "cannot use a 64-character hexadecimal string as a repository name"; return false; }

        string domain, path;
        var slash = rest.IndexOf('/');
        var first = slash < 0 ? "" : rest[..slash];
        if (slash >= 0 && (first.Contains('.') || first.Contains(':') || first == "localhost" || first.Any(char.IsUpper)))
        {
            domain = first;
            path = rest[(slash + 1)..];
            if (!DomainRegex().IsMatch(domain)) { error = $"invalid registry host \"{domain}\""; return false; }
        }
        else
        {
            domain = DefaultDomain;
            path = rest;
        }
        if (domain == "index.docker.io") domain = DefaultDomain;
        if (domain == DefaultDomain && !path.Contains('/')) path = "library/" + path;

        foreach (var component in path.Split('/'))
        {
            if (component.Length == 0) { error = "the repository name has an empty path component"; return false; }
            if (component.Any(char.IsUpper)) { error = "repository name must be lowercase"; return false; }
            if (!ComponentRegex().IsMatch(component)) { error = $"invalid characters in repository name component \"{component}\""; return false; }
        }
        if (domain.Length + 1 + path.Length > 255) { error = "repository name must not be more than 255 characters"; return false; }

        if (tag is null && digest is null) tag = "latest";
        result = new ImageReference(domain, path, tag, digest);
        return true;
    }

    [GeneratedRegex(@"^sha256:[a-f0-9]{64}$")]
    private static partial Regex DigestRegex();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagRegex();

    [GeneratedRegex(@"^[a-f0-9]{64}$")]
    private static partial Regex AnonymousIdRegex();

    [GeneratedRegex(@"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?$")]
    private static partial Regex DomainRegex();

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")]
    private static partial Regex ComponentRegex();
}
