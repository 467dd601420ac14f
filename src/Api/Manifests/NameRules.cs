using System.Net;
using System.Text.RegularExpressions;

namespace Troupe.Api.Manifests;

/// <summary>
/// Kubernetes' rules for names, label keys and values, port names and image references. Each check returns
/// null when the value is valid, else a message for the user (no field name in it).
/// </summary>
public static partial class NameRules
{
    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsLabelRegex();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsSubdomainRegex();

    [GeneratedRegex("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$", RegexOptions.CultureInvariant)]
    private static partial Regex QualifiedNameRegex();

    [GeneratedRegex("^[-._a-zA-Z][-._a-zA-Z0-9]*$", RegexOptions.CultureInvariant)]
    private static partial Regex EnvNameRegex();

    [GeneratedRegex(@"^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$", RegexOptions.CultureInvariant)]
    private static partial Regex ImageReferenceRegex();

    /// <summary>RFC 1123 label: at most 63 characters, lower case alphanumerics or '-', alphanumeric at both ends.</summary>
    public static string? DnsLabel(string value)
    {
        if (value.Length == 0) return "must not be empty";
        if (value.Length > 63) return $"must be no more than 63 characters, got {value.Length}";
        return DnsLabelRegex().IsMatch(value) ? null
            : $"\"{value}\" is not a valid DNS label: lower case alphanumeric characters or '-', starting and ending with an alphanumeric character";
    }

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex ContainerNameRegex();

    /// <summary>
    /// Docker's container name (<c>docker run --name</c>): a letter or digit, then one or more letters, digits, '_',
    /// '.' or '-' (Docker's pattern: two characters at least); here at most 63 characters, as it is also the pod's
    /// hostname (Docker's hostname is the container's short ID; Troupe's is the pod's name, as Kubernetes').
    /// </summary>
    public static string? ContainerName(string value)
    {
        if (value.Length == 0) return "must not be empty";
        if (value.Length > 63) return $"must be no more than 63 characters, got {value.Length}";
        return ContainerNameRegex().IsMatch(value) ? null
            : $"Invalid container name ({value}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed";
    }

    /// <summary>RFC 1123 subdomain: at most 253 characters, DNS labels joined by '.'.</summary>
    public static string? DnsSubdomain(string value)
    {
        if (value.Length == 0) return "must not be empty";
        if (value.Length > 253) return $"must be no more than 253 characters, got {value.Length}";
        return DnsSubdomainRegex().IsMatch(value) ? null
            : $"\"{value}\" is not a valid name: lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character";
    }

    /// <summary>A label or annotation key: an optional DNS subdomain prefix and '/', then a name of at most 63 characters.</summary>
    public static string? LabelKey(string key)
    {
        var slash = key.IndexOf('/');
        var name = key;
        if (slash >= 0)
        {
            var prefix = key[..slash];
            name = key[(slash + 1)..];
            if (prefix.Length == 0) return $"key \"{key}\": the prefix before '/' must not be empty";
            if (DnsSubdomain(prefix) is { } bad) return $"key \"{key}\": prefix {bad}";
        }
        if (name.Length == 0) return $"key \"{key}\": the name must not be empty";
        if (name.Length > 63) return $"key \"{key}\": the name must be no more than 63 characters";
        return QualifiedNameRegex().IsMatch(name) ? null
            : $"key \"{key}\" is not valid: alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character (e.g. app.kubernetes.io/name)";
    }

    /// <summary>A label value: empty, or at most 63 characters of alphanumerics, '-', '_', '.', alphanumeric at both ends.</summary>
    public static string? LabelValue(string value)
    {
        if (value.Length == 0) return null;
        if (value.Length > 63) return $"value \"{value}\" must be no more than 63 characters";
        return QualifiedNameRegex().IsMatch(value) ? null
            : $"value \"{value}\" is not valid: alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character";
    }

    /// <summary>IANA service name, as a container port's name: at most 15 characters, lower case, at least one letter.</summary>
    public static string? PortName(string value)
    {
        if (value.Length == 0) return "must not be empty";
        if (value.Length > 15) return $"\"{value}\" must be no more than 15 characters";
        if (!DnsLabelRegex().IsMatch(value)) return $"\"{value}\" must contain only lower case alphanumeric characters or '-', starting and ending with an alphanumeric character";
        if (value.Contains("--", StringComparison.Ordinal)) return $"\"{value}\" must not contain consecutive hyphens";
        foreach (var c in value)
            if (c is >= 'a' and <= 'z') return null;
        return $"\"{value}\" must contain at least one letter";
    }

    /// <summary>An environment variable's name.</summary>
    public static string? EnvName(string value)
    {
        if (value.Length == 0) return "must not be empty";
        return EnvNameRegex().IsMatch(value) ? null
            : $"\"{value}\" is not a valid variable name: letters, digits, '_', '-' or '.', not starting with a digit";
    }

    /// <summary>An image reference as Docker parses it: <c>[registry[:port]/]path[:tag][@algorithm:hex]</c>.</summary>
    public static string? ImageReference(string value)
    {
        if (value.Length == 0) return "must not be empty";
        if (value.Trim().Length != value.Length) return $"\"{value}\" must not start or end with whitespace";
        if (value.Length > 512) return "must be no more than 512 characters";
        if (ImageReferenceRegex().IsMatch(value)) return null;
        var path = value;
        var at = path.IndexOf('@');
        if (at >= 0) path = path[..at];
        var slash = path.LastIndexOf('/');
        var colon = path.LastIndexOf(':');
        if (colon > slash) path = path[..colon];
        var first = path.IndexOf('/');
        var repo = first >= 0 && (path[..first].Contains('.') || path[..first].Contains(':') || path[..first] == "localhost") ? path[(first + 1)..] : path;
        if (repo.Any(char.IsAsciiLetterUpper)) return $"\"{value}\" is not a valid image reference: the repository name must be lower case";
        return $"\"{value}\" is not a valid image reference ([registry/]name[:tag][@digest], e.g. nginx:1.25)";
    }

    /// <summary>An IPv4 or IPv6 address.</summary>
    public static string? IpAddress(string value) =>
        IPAddress.TryParse(value, out _) && (value.Contains('.') || value.Contains(':')) ? null : $"\"{value}\" is not a valid IP address";
}
