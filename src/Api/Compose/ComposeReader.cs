using System.Collections.Immutable;
using Troupe.Api.Manifests;
using YamlDotNet.RepresentationModel;

namespace Troupe.Api.Compose;

/// <summary>What a compose file is read with, besides its text: the variables, <c>-p</c>, <c>--profile</c>.</summary>
public sealed record ComposeOptions
{
    /// <summary>
    /// The variables <c>${VAR}</c> is interpolated from (and <c>environment: [NAME]</c> takes values from):
    /// <see cref="DotEnv.Variables"/> gives compose's, the project's <c>.env</c> overlaid by the process environment.
    /// <c>COMPOSE_PROJECT_NAME</c> and <c>COMPOSE_PROFILES</c> are read from here too.
    /// </summary>
    public IReadOnlyDictionary<string, string?> Variables { get; init; } = ImmutableDictionary<string, string?>.Empty;

    /// <summary><c>-p</c>: wins over <c>COMPOSE_PROJECT_NAME</c>, <c>name:</c> and the folder's name.</summary>
    public string? ProjectName { get; init; }

    /// <summary><c>--profile</c> (repeatable); when empty, <c>COMPOSE_PROFILES</c> (comma-separated). <c>*</c>: all.</summary>
    public ImmutableArray<string> Profiles { get; init; } = [];

    /// <summary>The folder relative paths are resolved against; null: the compose file's folder.</summary>
    public string? ProjectDirectory { get; init; }
}

/// <summary>
/// Reads a compose file (the Compose Specification) into a validated, normalised <see cref="ComposeFile"/>, with
/// no reflection: YamlDotNet's node tree mapped by hand. Scalars are interpolated first (<see cref="Interpolation"/>).
/// A key the specification does not have is an error naming it with file:line; a key it has that Troupe does not
/// run yet is a warning (<see cref="ComposeFile.Warnings"/>); <c>x-*</c> keys are ignored. Every problem is
/// collected and thrown together as one <see cref="ManifestException"/>.
/// </summary>
public static class ComposeReader
{
    /// <summary>The file names looked for, in order, when no <c>-f</c> is given (as docker compose).</summary>
    public static readonly ImmutableArray<string> DefaultFileNames = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];

    /// <summary>Largest compose file accepted, in characters.</summary>
    public const int MaxLength = 4 * 1024 * 1024;

    /// <summary>Reads <paramref name="yamlText"/>; messages name <paramref name="fileName"/>, relative paths are resolved against its folder.</summary>
    /// <exception cref="ManifestException">The file is not YAML, not a valid compose file, or a required variable is unset.</exception>
    public static ComposeFile Read(string yamlText, string fileName, ComposeOptions? options = null) =>
        new ComposeParser(fileName, options ?? new ComposeOptions()).Read(yamlText);

    /// <summary>Reads a file from disk (see <see cref="Read"/>).</summary>
    /// <exception cref="ManifestException">Also when the file cannot be read.</exception>
    public static ComposeFile ReadFile(string path, ComposeOptions? options = null)
    {
        string text;
        try
        {
            if (new FileInfo(path).Length > MaxLength * 4L)
                throw new ManifestException(new ManifestProblem(path, 0, 0, "", $"is larger than {MaxLength / 1024 / 1024} MiB"));
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ManifestException(new ManifestProblem(path, 0, 0, "",
                e is FileNotFoundException or DirectoryNotFoundException ? "no such file or directory" : e.Message));
        }
        return Read(text, path, options);
    }

    /// <summary>The first of <see cref="DefaultFileNames"/> in <paramref name="directory"/> or a parent of it, or null.</summary>
    public static string? FindDefaultFile(string directory)
    {
        for (var d = new DirectoryInfo(directory); d is not null; d = d.Parent)
            foreach (var name in DefaultFileNames)
                if (File.Exists(Path.Combine(d.FullName, name))) return Path.Combine(d.FullName, name);
        return null;
    }
}

/// <summary>INTERNAL API. One read of one compose file: the top level, profiles and the checks across services.</summary>
internal sealed partial class ComposeParser
{
    readonly string file;
    readonly ComposeOptions options;
    readonly List<ManifestProblem> problems = [];
    readonly List<ManifestProblem> warnings = [];
    readonly NodeReader r;
    readonly string projectDir;
    string project = "";

    public ComposeParser(string file, ComposeOptions options)
    {
        this.file = file;
        this.options = options;
        r = new NodeReader(file, problems, warnings);
        projectDir = Path.GetFullPath(options.ProjectDirectory ?? Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".");
    }

    ComposeFile Fail() => throw new ManifestException([.. problems]);

    public ComposeFile Read(string text)
    {
        if (text.Length > ComposeReader.MaxLength)
        {
            problems.Add(new ManifestProblem(file, 0, 0, "", $"is larger than {ComposeReader.MaxLength / 1024 / 1024} MiB"));
            return Fail();
        }
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        var stream = ManifestReader.ParseYaml(text, file, problems);
        if (stream is null) return Fail();
        var docs = stream.Documents.Where(d => !NodeReader.IsNull(d.RootNode)).ToList();
        if (docs.Count == 0)
        {
            problems.Add(new ManifestProblem(file, 0, 0, "", "empty compose file"));
            return Fail();
        }
        if (docs.Count > 1) r.Error(docs[1].RootNode, "", "a compose file has one YAML document (found a second one)");
        if (docs[0].RootNode is not YamlMappingNode root)
        {
            r.Error(docs[0].RootNode, "", "a compose file must be a mapping (services:, volumes:, ...)");
            return Fail();
        }
        Interpolate(root, "");
        if (problems.Count > 0) return Fail();
        var result = Top(root);
        if (problems.Count > 0) return Fail();
        return result;
    }

    // ---- interpolation --------------------------------------------------------------------------------

    readonly HashSet<YamlNode> interpolated = new(ReferenceEqualityComparer.Instance);
    readonly HashSet<string> unsetWarned = new(StringComparer.Ordinal);

    /// <summary>Interpolates every scalar value (never a key) once, even when an alias makes it appear twice.</summary>
    void Interpolate(YamlNode node, string path)
    {
        if (!interpolated.Add(node)) return;
        switch (node)
        {
            case YamlScalarNode s when s.Value is { } v && v.Contains('$'):
                try
                {
                    // as docker compose: an unset variable becomes "" with a warning
                    s.Value = Interpolation.Apply(v, options.Variables,
                        name => { if (unsetWarned.Add(name)) r.Warn(s, path, $"the \"{name}\" variable is not set, defaulting to a blank string"); });
                    // An empty result is the empty string (as compose has it), not YAML's null.
                    if (s.Value.Length == 0) s.Style = YamlDotNet.Core.ScalarStyle.DoubleQuoted;
                }
                catch (InterpolationException e) { r.Error(s, path, e.Message); }
                break;
            case YamlMappingNode m:
                foreach (var (k, v) in m.Children)
                    Interpolate(v, k is YamlScalarNode { Value: { } key } ? FieldPath.Key(path, key) : path);
                break;
            case YamlSequenceNode q:
                for (var i = 0; i < q.Children.Count; i++) Interpolate(q.Children[i], FieldPath.Index(path, i));
                break;
        }
    }

    // ---- helpers shared by every section ------------------------------------------------------------

    /// <summary>The key node of <paramref name="key"/> in <paramref name="map"/> (its value's when it came from a merge).</summary>
    static YamlNode KeyNode(YamlMappingNode map, string key, YamlNode value)
    {
        foreach (var (k, _) in map.Children)
            if (k is YamlScalarNode { Value: { } name } && name == key) return k;
        return value;
    }

    /// <summary>
    /// A key a section does not read: ignored when it is <c>x-*</c>, a warning when the specification has it
    /// (<paramref name="specOnly"/>), else an error naming it.
    /// </summary>
    void Other(YamlMappingNode map, string key, YamlNode value, string path, IReadOnlySet<string> specOnly, string? why = null)
    {
        if (key.StartsWith("x-", StringComparison.Ordinal)) return;
        var at = KeyNode(map, key, value);
        if (specOnly.Contains(key)) r.Warn(at, path, why ?? "is not supported by Troupe yet; ignored");
        else r.Error(at, path, "unknown key");
    }

    /// <summary>A scalar as text, whatever YAML made of it (<c>80</c>, <c>true</c>, <c>"x"</c>); null when null.</summary>
    string? Scalar(YamlNode? node, string path)
    {
        if (NodeReader.IsNull(node)) return null;
        if (node is YamlScalarNode s) return s.Value ?? "";
        r.Error(node!, path, $"must be a string or a number, got {(node is YamlMappingNode ? "a mapping" : "a list")}");
        return null;
    }

    /// <summary>A string that must not be empty when written.</summary>
    string? NonEmpty(YamlNode? node, string path)
    {
        var s = Scalar(node, path);
        if (s is { Length: 0 }) r.Error(node!, path, "must not be empty");
        return s is { Length: > 0 } ? s : null;
    }

    bool? BoolValue(YamlNode? node, string path)
    {
        var s = Scalar(node, path);
        switch (s)
        {
            case null: return null;
            case "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" or "1": return true;
            case "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF" or "0": return false;
            default:
                r.Error(node!, path, $"must be true or false, got \"{s}\"");
                return null;
        }
    }

    long? LongValue(YamlNode? node, string path, long min, long max)
    {
        var s = Scalar(node, path);
        if (s is null) return null;
        if (long.TryParse(s, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var n)
            && n >= min && n <= max)
            return n;
        r.Error(node!, path, long.TryParse(s, out _) || double.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out _)
            ? $"must be an integer between {min} and {max}, got {s}"
            : $"must be an integer, got \"{s}\"");
        return null;
    }

    TimeSpan? Duration(YamlNode? node, string path)
    {
        var s = Scalar(node, path);
        if (s is null) return null;
        var d = ComposeValues.ParseDuration(s, out var error);
        if (d is null) r.Error(node!, path, error!);
        return d;
    }

    long? Bytes(YamlNode? node, string path)
    {
        var s = Scalar(node, path);
        if (s is null) return null;
        var b = ComposeValues.ParseBytes(s);
        if (b is null) r.Error(node!, path, $"invalid size \"{s}\": use a number of bytes or a unit, such as 64m, 512M or 1g");
        return b;
    }

    /// <summary>A string or a list of strings, as a list.</summary>
    ImmutableArray<string> StringOrList(YamlNode? node, string path)
    {
        if (NodeReader.IsNull(node)) return [];
        if (node is YamlScalarNode) return Scalar(node, path) is { } one ? [one] : [];
        var seq = r.Seq(node, path);
        if (seq is null) return [];
        var b = ImmutableArray.CreateBuilder<string>();
        for (var i = 0; i < seq.Children.Count; i++)
            if (Scalar(seq.Children[i], FieldPath.Index(path, i)) is { } s) b.Add(s);
        return b.ToImmutable();
    }

    /// <summary>
    /// A list of <c>KEY=VALUE</c> (or <c>KEY</c>) or a map, as a map (environment, labels, build args, driver_opts).
    /// A <c>KEY</c> without a value, or a null map value, is <paramref name="missing"/>(KEY).
    /// </summary>
    ImmutableSortedDictionary<string, string?> ListOrMap(YamlNode? node, string path, Func<string, string?> missing)
    {
        var b = ImmutableSortedDictionary.CreateBuilder<string, string?>(StringComparer.Ordinal);
        if (NodeReader.IsNull(node)) return b.ToImmutable();
        if (node is YamlSequenceNode seq)
        {
            for (var i = 0; i < seq.Children.Count; i++)
            {
                var p = FieldPath.Index(path, i);
                var item = Scalar(seq.Children[i], p);
                if (item is null) continue;
                var eq = item.IndexOf('=');
                var key = eq < 0 ? item : item[..eq];
                if (key.Length == 0) { r.Error(seq.Children[i], p, $"\"{item}\" has no name before '='"); continue; }
                b[key] = eq < 0 ? missing(key) : item[(eq + 1)..];
            }
            return b.ToImmutable();
        }
        var map = r.Map(node, path);
        if (map is null) return b.ToImmutable();
        foreach (var (k, v, p) in r.Entries(map, path))
            b[k] = NodeReader.IsNull(v) ? missing(k) : Scalar(v, p);
        return b.ToImmutable();
    }

    /// <summary>As <see cref="ListOrMap"/>, a missing value being the empty string (labels, driver_opts).</summary>
    ImmutableSortedDictionary<string, string> StringMap(YamlNode? node, string path) =>
        ListOrMap(node, path, _ => "").ToImmutableSortedDictionary(kv => kv.Key, kv => kv.Value ?? "", StringComparer.Ordinal);

    string? FromVariables(string name) => options.Variables.TryGetValue(name, out var v) ? v : null;

    /// <summary>A host path as written, absolute: <c>~</c> is the home folder, relative paths are under the project folder.</summary>
    string HostPath(string path)
    {
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
        {
            var home = FromVariables("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            path = home + path[1..];
        }
        return Path.GetFullPath(Path.Combine(projectDir, path));
    }

    // ---- the top level ------------------------------------------------------------------------------

    static readonly HashSet<string> TopSpecOnly = ["configs", "include", "models"];

    ComposeFile Top(YamlMappingNode root)
    {
        YamlNode? services = null, volumes = null, networks = null, secrets = null;
        string? name = null;
        YamlNode? nameNode = null;
        foreach (var (key, value, path) in r.Entries(root, ""))
        {
            switch (key)
            {
                case "version":
                    r.Warn(KeyNode(root, key, value), path, "the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion");
                    break;
                case "name": name = Scalar(value, path); nameNode = value; break;
                case "services": services = value; break;
                case "volumes": volumes = value; break;
                case "networks": networks = value; break;
                case "secrets": secrets = value; break;
                case "include":
                    Other(root, key, value, path, TopSpecOnly, "is not supported by Troupe yet: the included files' services are not part of this project");
                    break;
                default: Other(root, key, value, path, TopSpecOnly); break;
            }
        }
        project = ProjectName(name, nameNode ?? root);

        var topVolumes = TopVolumes(volumes);
        var topNetworks = TopNetworks(networks);
        var topSecrets = TopSecrets(secrets);

        var all = ImmutableSortedDictionary.CreateBuilder<string, ComposeService>(StringComparer.Ordinal);
        var nodes = new Dictionary<string, YamlNode>();
        var servicesMap = r.Map(services, "services");
        if (servicesMap is null && !NodeReader.IsNull(services)) { /* error already reported */ }
        else if (servicesMap is not null)
            foreach (var (key, value, path) in r.Entries(servicesMap, "services"))
            {
                if (key.StartsWith("x-", StringComparison.Ordinal)) continue;
                if (!IsServiceName(key))
                {
                    r.Error(KeyNode(servicesMap, key, value), path, $"invalid service name \"{key}\": use letters, digits, '_', '.' or '-', starting with a letter or digit");
                    continue;
                }
                nodes[key] = value;
                if (Service(key, value, path) is { } svc) all[key] = svc;
            }

        var active = ActiveServices(all, out var inactive);
        CheckReferences(active, all, nodes, topVolumes, topNetworks, topSecrets);
        CheckCycles(active, nodes);

        // The default network, as compose adds it, when a service uses it.
        if (active.Values.Any(s => s.Networks.ContainsKey("default")) && !topNetworks.ContainsKey("default"))
            topNetworks = topNetworks.Add("default", new ComposeNetwork { Name = $"{project}_default" });

        return new ComposeFile
        {
            Name = project,
            FilePath = Path.GetFullPath(file),
            ProjectDirectory = projectDir,
            Services = active,
            InactiveServices = inactive,
            DeclaredProfiles = [.. all.Values.SelectMany(s => s.Profiles).Distinct().Order(StringComparer.Ordinal)],
            Volumes = topVolumes,
            Networks = topNetworks,
            Secrets = topSecrets,
            Warnings = [.. warnings],
        };
    }

    static bool IsServiceName(string name) =>
        name.Length > 0 && char.IsAsciiLetterOrDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');

    string ProjectName(string? written, YamlNode at)
    {
        if (options.ProjectName is { } flag)
        {
            if (ComposeValues.ProjectNameError(flag) is { } bad) problems.Add(new ManifestProblem(file, 0, 0, "", "-p: " + bad));
            return flag;
        }
        if (FromVariables("COMPOSE_PROJECT_NAME") is { Length: > 0 } fromEnv)
        {
            if (ComposeValues.ProjectNameError(fromEnv) is { } bad) problems.Add(new ManifestProblem(file, 0, 0, "", "COMPOSE_PROJECT_NAME: " + bad));
            return fromEnv;
        }
        if (written is { Length: > 0 })
        {
            if (ComposeValues.ProjectNameError(written) is { } bad) r.Error(at, "name", bad);
            return written;
        }
        var fromFolder = ComposeValues.NormaliseProjectName(Path.GetFileName(projectDir.TrimEnd('/')));
        if (fromFolder.Length == 0)
            problems.Add(new ManifestProblem(file, 0, 0, "", $"the folder name \"{Path.GetFileName(projectDir)}\" gives no valid project name: set name: or pass -p"));
        return fromFolder;
    }

    ImmutableSortedDictionary<string, ComposeVolume> TopVolumes(YamlNode? node)
    {
        var b = ImmutableSortedDictionary.CreateBuilder<string, ComposeVolume>(StringComparer.Ordinal);
        var map = r.Map(node, "volumes");
        if (map is null) return b.ToImmutable();
        foreach (var (key, value, path) in r.Entries(map, "volumes"))
        {
            if (key.StartsWith("x-", StringComparison.Ordinal)) continue;
            string? name = null, driver = null;
            var external = false;
            var opts = ImmutableSortedDictionary<string, string>.Empty;
            var labels = ImmutableSortedDictionary<string, string>.Empty;
            if (r.Map(value, path) is { } v)
                foreach (var (k, val, p) in r.Entries(v, path))
                    switch (k)
                    {
                        case "name":
                            name = NonEmpty(val, p);
                            // a volume is a folder of the node's volumes: never a path
                            if (name is not null && !Troupe.Api.Objects.VolumeNames.IsValid(name))
                                r.Error(val, p, $"invalid volume name \"{name}\": only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed");
                            break;
                        case "driver": driver = Scalar(val, p); break;
                        case "driver_opts": opts = StringMap(val, p); break;
                        case "labels": labels = StringMap(val, p); break;
                        case "external": external = External(val, p, ref name); break;
                        default: Other(v, k, val, p, EmptySet); break;
                    }
            if (driver is not (null or "local")) r.Warn(value, FieldPath.Key(path, "driver"), $"volume driver \"{driver}\" is not supported by Troupe; a local volume is used");
            b[key] = new ComposeVolume { Name = name ?? (external ? key : $"{project}_{key}"), External = external, Driver = driver, DriverOpts = opts, Labels = labels };
        }
        return b.ToImmutable();
    }

    /// <summary><c>external: true</c>, or the legacy <c>external: {name: N}</c>.</summary>
    bool External(YamlNode value, string path, ref string? name)
    {
        if (value is YamlMappingNode m)
        {
            foreach (var (k, v, p) in r.Entries(m, path))
                if (k == "name") name = NonEmpty(v, p);
                else Other(m, k, v, p, EmptySet);
            return true;
        }
        return BoolValue(value, path) ?? false;
    }

    static readonly HashSet<string> EmptySet = [];
    static readonly HashSet<string> NetworkSpecOnly = ["attachable", "enable_ipv4", "enable_ipv6", "ipam"];

    ImmutableSortedDictionary<string, ComposeNetwork> TopNetworks(YamlNode? node)
    {
        var b = ImmutableSortedDictionary.CreateBuilder<string, ComposeNetwork>(StringComparer.Ordinal);
        var map = r.Map(node, "networks");
        if (map is null) return b.ToImmutable();
        foreach (var (key, value, path) in r.Entries(map, "networks"))
        {
            if (key.StartsWith("x-", StringComparison.Ordinal)) continue;
            string? name = null, driver = null;
            bool external = false, @internal = false;
            var opts = ImmutableSortedDictionary<string, string>.Empty;
            var labels = ImmutableSortedDictionary<string, string>.Empty;
            if (r.Map(value, path) is { } v)
                foreach (var (k, val, p) in r.Entries(v, path))
                    switch (k)
                    {
                        case "name": name = NonEmpty(val, p); break;
                        case "driver": driver = Scalar(val, p); break;
                        case "driver_opts": opts = StringMap(val, p); break;
                        case "labels": labels = StringMap(val, p); break;
                        case "external": external = External(val, p, ref name); break;
                        case "internal": @internal = BoolValue(val, p) ?? false; break;
                        default: Other(v, k, val, p, NetworkSpecOnly); break;
                    }
            b[key] = new ComposeNetwork { Name = name ?? (external ? key : $"{project}_{key}"), External = external, Internal = @internal, Driver = driver, DriverOpts = opts, Labels = labels };
        }
        return b.ToImmutable();
    }

    static readonly HashSet<string> SecretSpecOnly = ["driver", "driver_opts", "template_driver", "labels"];

    ImmutableSortedDictionary<string, ComposeSecret> TopSecrets(YamlNode? node)
    {
        var b = ImmutableSortedDictionary.CreateBuilder<string, ComposeSecret>(StringComparer.Ordinal);
        var map = r.Map(node, "secrets");
        if (map is null) return b.ToImmutable();
        foreach (var (key, value, path) in r.Entries(map, "secrets"))
        {
            if (key.StartsWith("x-", StringComparison.Ordinal)) continue;
            string? name = null, filePath = null, env = null;
            var external = false;
            var v = r.Map(value, path);
            if (v is null)
            {
                if (NodeReader.IsNull(value)) r.Error(KeyNode(map, key, value), path, "a secret needs file: or environment:");
                continue;
            }
            foreach (var (k, val, p) in r.Entries(v, path))
                switch (k)
                {
                    case "name": name = NonEmpty(val, p); break;
                    case "file": filePath = NonEmpty(val, p) is { } f ? HostPath(f) : null; break;
                    case "environment": env = NonEmpty(val, p); break;
                    case "external": external = External(val, p, ref name); break;
                    case "content": Other(v, k, val, p, EmptySet); break; // configs have content:, secrets do not
                    default: Other(v, k, val, p, SecretSpecOnly); break;
                }
            var sources = (filePath is null ? 0 : 1) + (env is null ? 0 : 1) + (external ? 1 : 0);
            if (sources == 0) r.Error(KeyNode(map, key, value), path, "a secret needs file: or environment:");
            else if (sources > 1) r.Error(KeyNode(map, key, value), path, "a secret has one of file:, environment: and external:");
            b[key] = new ComposeSecret { Name = name ?? (external ? key : $"{project}_{key}"), File = filePath, Environment = env, External = external };
        }
        return b.ToImmutable();
    }

    // ---- profiles and checks across services ----------------------------------------------------------

    ImmutableSortedDictionary<string, ComposeService> ActiveServices(ImmutableSortedDictionary<string, ComposeService>.Builder all, out ImmutableArray<string> inactive)
    {
        var profiles = !options.Profiles.IsDefaultOrEmpty
            ? options.Profiles
            : (FromVariables("COMPOSE_PROFILES") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToImmutableArray();
        var everything = profiles.Contains("*");
        var active = ImmutableSortedDictionary.CreateBuilder<string, ComposeService>(StringComparer.Ordinal);
        var off = ImmutableArray.CreateBuilder<string>();
        foreach (var (name, svc) in all)
        {
            if (svc.Profiles.IsDefaultOrEmpty || everything || svc.Profiles.Any(profiles.Contains)) active[name] = svc;
            else off.Add(name);
        }
        inactive = off.ToImmutable();
        return active.ToImmutable();
    }

    void CheckReferences(ImmutableSortedDictionary<string, ComposeService> active, ImmutableSortedDictionary<string, ComposeService>.Builder all,
        Dictionary<string, YamlNode> nodes, ImmutableSortedDictionary<string, ComposeVolume> volumes,
        ImmutableSortedDictionary<string, ComposeNetwork> networks, ImmutableSortedDictionary<string, ComposeSecret> secrets)
    {
        foreach (var (name, svc) in active)
        {
            var at = nodes[name];
            var path = FieldPath.Key("services", name);
            foreach (var (dep, d) in svc.DependsOn)
            {
                var p = FieldPath.Key($"{path}.depends_on", dep);
                if (!all.ContainsKey(dep) && !nodes.ContainsKey(dep))
                    Error(at, p, $"service \"{name}\" depends on undefined service \"{dep}\"");
                else if (!active.ContainsKey(dep) && d.Required)
                    Error(at, p, $"service \"{name}\" depends on service \"{dep}\", which is not enabled by the active profiles (activate one of its profiles: {string.Join(", ", all.TryGetValue(dep, out var ds) ? ds.Profiles : [])})");
            }
            for (var i = 0; i < svc.Volumes.Length; i++)
                if (svc.Volumes[i] is { Type: "volume", Source: { } v } && !volumes.ContainsKey(v))
                    Error(at, $"{path}.volumes[{i}]", $"service \"{name}\" refers to undefined volume {v}: declare it under the top-level volumes:");
            foreach (var n in svc.Networks.Keys)
                if (n != "default" && !networks.ContainsKey(n))
                    Error(at, FieldPath.Key($"{path}.networks", n), $"service \"{name}\" refers to undefined network {n}: declare it under the top-level networks:");
            for (var i = 0; i < svc.Secrets.Length; i++)
                if (!secrets.ContainsKey(svc.Secrets[i].Source))
                    Error(at, $"{path}.secrets[{i}]", $"service \"{name}\" refers to undefined secret {svc.Secrets[i].Source}: declare it under the top-level secrets:");
        }
    }

    /// <summary>An error at the position <paramref name="path"/> was read from, when it was, else at <paramref name="fallback"/>.</summary>
    void Error(YamlNode fallback, string path, string message)
    {
        if (Positions.TryGetValue(path, out var at))
            problems.Add(new ManifestProblem(file, at.Line, at.Column, path, message));
        else r.Error(fallback, path, message);
    }

    /// <summary>Where the service-level fields checked across services were written.</summary>
    readonly Dictionary<string, (int Line, int Column)> Positions = [];

    void Remember(YamlNode node, string path) => Positions[path] = ((int)node.Start.Line, (int)node.Start.Column);

    void CheckCycles(ImmutableSortedDictionary<string, ComposeService> active, Dictionary<string, YamlNode> nodes)
    {
        var state = new Dictionary<string, int>(); // 1: on the path, 2: done
        var stack = new List<string>();
        foreach (var name in active.Keys)
            if (Visit(name)) return;

        bool Visit(string name)
        {
            if (state.TryGetValue(name, out var s)) return s == 1 && Report(name);
            state[name] = 1;
            stack.Add(name);
            foreach (var dep in active[name].DependsOn.Keys)
                if (active.ContainsKey(dep) && Visit(dep)) return true;
            stack.RemoveAt(stack.Count - 1);
            state[name] = 2;
            return false;
        }

        bool Report(string again)
        {
            var cycle = stack.Skip(stack.IndexOf(again)).Append(again).ToList();
            var first = cycle[0];
            Error(nodes[first], $"{FieldPath.Key("services", first)}.depends_on", $"dependency cycle {string.Join(" -> ", cycle)}");
            return true;
        }
    }
}
