using System.Collections.Immutable;
using Troupe.Api.Objects;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Troupe.Api.Manifests;

/// <summary>
/// Reads Kubernetes manifests (YAML, multi-document with <c>---</c>, or JSON) into typed API objects, with no
/// reflection: YamlDotNet's <see cref="YamlStream"/> node tree, mapped by hand (<see cref="ObjectMapper"/>).
/// Kinds: <c>apps/v1</c> Deployment and ReplicaSet, <c>v1</c> Pod, and <c>v1</c> List of those. Kinds
/// Kubernetes has but Troupe does not run are errors, or skipped with <c>skipUnsupported</c>. Every problem
/// in every document is collected and thrown together as one <see cref="ManifestException"/>. Reading checks
/// shapes and types; <see cref="ManifestValidator"/> checks the rules.
/// </summary>
public static class ManifestReader
{
    /// <summary>Largest manifest accepted, in characters.</summary>
    public const int MaxLength = 16 * 1024 * 1024;

    /// <summary>The name used for standard input in messages.</summary>
    public const string StdinName = "<stdin>";

    /// <summary>Deepest nesting of mappings and lists accepted (Kubernetes objects need about 12).</summary>
    public const int MaxDepth = 100;

    /// <summary>
    /// Reads every document of <paramref name="yamlText"/>. <paramref name="namespace"/> is the namespace the
    /// user asked for (<c>-n</c>), or null: objects that name none get it (or <c>default</c>), and an object that
    /// names another one is an error, as kubectl does.
    /// </summary>
    /// <exception cref="ManifestException">The text is not YAML, or a document cannot be read.</exception>
    public static ManifestSet Read(string yamlText, string fileName, bool skipUnsupported = false, string? @namespace = null)
    {
        var acc = new Accumulator(skipUnsupported, @namespace);
        acc.ReadText(yamlText, fileName);
        return acc.Finish();
    }

    public static ManifestSet Read(TextReader reader, string fileName, bool skipUnsupported = false, string? @namespace = null) =>
        Read(reader.ReadToEnd(), fileName, skipUnsupported, @namespace);

    /// <summary>Reads standard input (<c>apply -f -</c>); messages name it <c>&lt;stdin&gt;</c>.</summary>
    public static ManifestSet ReadStdin(bool skipUnsupported = false, string? @namespace = null) =>
        Read(Console.In, StdinName, skipUnsupported, @namespace);

    /// <summary>Reads one file; messages name it as <paramref name="path"/> is written.</summary>
    public static ManifestSet ReadFile(string path, bool skipUnsupported = false, string? @namespace = null)
    {
        var acc = new Accumulator(skipUnsupported, @namespace);
        acc.ReadFile(path);
        return acc.Finish();
    }

    /// <summary>
    /// A file, <c>-</c> for standard input, or a directory: its <c>*.yaml</c>, <c>*.yml</c> and <c>*.json</c> files
    /// (not recursive) in name order, as <c>kubectl apply -f DIR</c> does.
    /// </summary>
    public static ManifestSet ReadPath(string fileOrDirectory, bool skipUnsupported = false, string? @namespace = null)
    {
        if (fileOrDirectory == "-") return ReadStdin(skipUnsupported, @namespace);
        var acc = new Accumulator(skipUnsupported, @namespace);
        if (Directory.Exists(fileOrDirectory))
        {
            var files = Directory.EnumerateFiles(fileOrDirectory)
                .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)
                    || f.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)
                .ToList();
            if (files.Count == 0)
                throw new ManifestException(new ManifestProblem(fileOrDirectory, 0, 0, "", "no .yaml, .yml or .json files in this directory"));
            foreach (var f in files) acc.ReadFile(f);
        }
        else acc.ReadFile(fileOrDirectory);
        return acc.Finish();
    }

    sealed class Accumulator(bool skipUnsupported, string? requestedNamespace)
    {
        readonly ImmutableArray<ManifestEntry>.Builder entries = ImmutableArray.CreateBuilder<ManifestEntry>();
        readonly ImmutableArray<SkippedObject>.Builder skipped = ImmutableArray.CreateBuilder<SkippedObject>();
        readonly List<ManifestProblem> problems = [];
        readonly List<ManifestProblem> warnings = [];

        public void ReadFile(string path)
        {
            string text;
            try
            {
                if (new FileInfo(path).Length > MaxLength * 4L)
                {
                    problems.Add(new ManifestProblem(path, 0, 0, "", $"is larger than {MaxLength / 1024 / 1024} MiB"));
                    return;
                }
                text = File.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problems.Add(new ManifestProblem(path, 0, 0, "",
                    e is FileNotFoundException or DirectoryNotFoundException ? "no such file or directory" : e.Message));
                return;
            }
            ReadText(text, path);
        }

        public void ReadText(string text, string file)
        {
            if (text.Length > MaxLength)
            {
                problems.Add(new ManifestProblem(file, 0, 0, "", $"is larger than {MaxLength / 1024 / 1024} MiB"));
                return;
            }
            if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
            var stream = ParseYaml(text, file, problems);
            if (stream is null) return;
            var r = new NodeReader(file, problems, warnings);
            foreach (var doc in stream.Documents) ReadDocument(r, doc.RootNode, allowList: true);
        }

        void ReadDocument(NodeReader r, YamlNode root, bool allowList)
        {
            if (NodeReader.IsNull(root)) return; // empty document (only comments, or "---" twice)
            if (root is not YamlMappingNode doc)
            {
                r.Error(root, "", "a manifest document must be a mapping with apiVersion and kind");
                r.Finish(root);
                return;
            }
            string? apiVersion = null, kind = null;
            YamlNode? metadata = null, spec = null, items = null, data = null, binaryData = null, immutable = null;
            YamlNode? kindNode = null;
            var extra = new List<(string Key, YamlNode Node, string Path)>();
            foreach (var (key, value, path) in r.Entries(doc, ""))
            {
                switch (key)
                {
                    case "apiVersion": apiVersion = r.Str(value, path); break;
                    case "kind": kind = r.Str(value, path); kindNode = value; break;
                    case "metadata": metadata = value; break;
                    case "spec": spec = value; break;
                    case "items": items = value; break;
                    case "data": data = value; break;
                    case "binaryData": binaryData = value; break;
                    case "immutable": immutable = value; break;
                    case "status" or "stringData" or "type": break;
                    default: extra.Add((key, value, path)); break;
                }
            }
            if (string.IsNullOrEmpty(kind) || string.IsNullOrEmpty(apiVersion))
            {
                if (string.IsNullOrEmpty(apiVersion)) r.Error(doc, "apiVersion", "is required");
                if (string.IsNullOrEmpty(kind)) r.Error(doc, "kind", "is required");
                r.Finish(root);
                return;
            }
            var at = kindNode ?? doc;
            var supported = (kind, apiVersion) switch
            {
                ("Deployment", "apps/v1") or ("ReplicaSet", "apps/v1") or ("Pod", "v1") or ("Service", "v1")
                    or ("ConfigMap", "v1") or ("Namespace", "v1") => true,
                ("List", "v1") when allowList => true,
                _ => false,
            };
            if (!supported)
            {
                Unsupported(r, doc, at, kind, apiVersion, metadata);
                r.Finish(root);
                return;
            }
            if (kind == "List")
            {
                foreach (var (key, value, path) in extra) r.Error(value, path, $"unknown field \"{key}\" in a List");
                r.Finish(root);
                var seq = r.Seq(items, "items");
                if (seq is not null)
                    foreach (var item in seq.Children) ReadDocument(r, item, allowList: false);
                return;
            }
            var fields = kind == "ConfigMap" ? "apiVersion, kind, metadata, data, binaryData and immutable" : "apiVersion, kind, metadata and spec";
            foreach (var (key, value, path) in extra)
                r.Error(value, path, $"unknown field \"{key}\" (a {kind} has {fields})");
            if (items is not null) r.Error(items, "items", $"unknown field \"items\" (a {kind} has {fields})");
            if (kind != "ConfigMap")
                foreach (var (node, field) in new[] { (data, "data"), (binaryData, "binaryData"), (immutable, "immutable") })
                    if (node is not null)
                        r.Error(node, field, $"unknown field \"{field}\" (a {kind} has {fields})");
            if (kind == "ConfigMap" && spec is not null) r.Error(spec, "spec", $"unknown field \"spec\" (a ConfigMap has {fields})");

            var (meta, ns) = ObjectMapper.Metadata(r, metadata, "metadata");
            // a Namespace has no namespace of its own
            meta = kind == "Namespace" ? meta with { Namespace = "" } : meta with { Namespace = ResolveNamespace(r, doc, ns) };
            KubeObject obj = kind switch
            {
                "Deployment" => ObjectMapper.Deployment(r, spec, meta),
                "ReplicaSet" => ObjectMapper.ReplicaSet(r, spec, meta),
                "Service" => ObjectMapper.Service(r, spec, meta),
                "ConfigMap" => ObjectMapper.ConfigMap(r, data, binaryData, immutable, meta),
                "Namespace" => ObjectMapper.Namespace(r, spec, meta),
                _ => ObjectMapper.Pod(r, spec, meta),
            };
            entries.Add(new ManifestEntry(obj, r.Finish(root)));
        }

        string ResolveNamespace(NodeReader r, YamlMappingNode doc, string? written)
        {
            if (requestedNamespace is null) return string.IsNullOrEmpty(written) ? "default" : written;
            if (!string.IsNullOrEmpty(written) && written != requestedNamespace)
            {
                var node = doc.Children.TryGetValue(new YamlScalarNode("metadata"), out var m) && m is YamlMappingNode mm
                    && mm.Children.TryGetValue(new YamlScalarNode("namespace"), out var n) ? n : doc;
                r.Error(node, "metadata.namespace",
                    $"the object's namespace \"{written}\" does not match the namespace \"{requestedNamespace}\" asked for; pass --namespace={written} or remove one");
            }
            return requestedNamespace;
        }

        void Unsupported(NodeReader r, YamlMappingNode doc, YamlNode at, string kind, string apiVersion, YamlNode? metadata)
        {
            var known = KnownApiVersion(kind);
            if (known is null)
            {
                r.Error(at, "", $"unknown kind {kind} ({apiVersion}): Troupe runs apps/v1 Deployment and ReplicaSet and v1 Pod, Service, ConfigMap and Namespace");
                return;
            }
            if (kind is "Deployment" or "ReplicaSet" or "Pod" or "Service" or "ConfigMap" or "Namespace" or "List")
            {
                var atVersion = doc.Children.TryGetValue(new YamlScalarNode("apiVersion"), out var v) ? v : doc;
                r.Error(atVersion, "apiVersion", $"{kind} is not served as {apiVersion}; use apiVersion: {known}");
                return;
            }
            if (!skipUnsupported)
            {
                r.Error(at, "", $"kind {kind} ({apiVersion}) is not supported by Troupe yet (pass --skip-unsupported to skip it)");
                return;
            }
            string name = "", ns = "";
            if (metadata is YamlMappingNode m)
            {
                if (m.Children.TryGetValue(new YamlScalarNode("name"), out var n) && n is YamlScalarNode ns1) name = ns1.Value ?? "";
                if (m.Children.TryGetValue(new YamlScalarNode("namespace"), out var s) && s is YamlScalarNode ns2) ns = ns2.Value ?? "";
            }
            skipped.Add(new SkippedObject(kind, apiVersion, ns.Length > 0 ? ns : requestedNamespace ?? "default", name, r.File, (int)doc.Start.Line));
        }

        public ManifestSet Finish()
        {
            if (problems.Count > 0) throw new ManifestException([.. problems]);
            return new ManifestSet(entries.ToImmutable(), skipped.ToImmutable(), [.. warnings]);
        }
    }

    /// <summary>
    /// INTERNAL API. Parses YAML text into its node tree (what the Compose reader shares); a syntax error is added
    /// to <paramref name="problems"/> with its position, and null returned.
    /// </summary>
    internal static YamlStream? ParseYaml(string text, string file, List<ManifestProblem> problems)
    {
        var parser = new TrackingParser(new Parser(new StringReader(text)));
        try
        {
            var stream = new YamlStream();
            stream.Load(parser);
            return stream;
        }
        catch (YamlException e)
        {
            var message = e.InnerException is YamlException inner && inner.Message.Length > 0 ? inner.Message : e.Message;
            problems.Add(new ManifestProblem(file, (int)e.Start.Line, (int)e.Start.Column, "", "YAML: " + Trim(message)));
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or InsufficientExecutionStackException)
        {
            // YamlDotNet's scanner throws without a position on some malformed input (an unclosed [ or {):
            // report where the last good token ended.
            var at = parser.LastGood;
            problems.Add(new ManifestProblem(file, (int)at.Line, (int)at.Column, "",
                "YAML: malformed after this point (an unclosed [ or {, or a stray ':'?)"));
            return null;
        }
    }

    static string Trim(string message)
    {
        // YamlDotNet appends "Line: 2, Col: 3, Idx: 7" to some messages; the position is already in front.
        var at = message.IndexOf(" Line: ", StringComparison.Ordinal);
        return (at > 0 ? message[..at] : message).TrimEnd();
    }

    /// <summary>The apiVersion Kubernetes serves <paramref name="kind"/> as today, or null for a kind it does not have.</summary>
    public static string? KnownApiVersion(string kind) => kind switch
    {
        "Deployment" or "ReplicaSet" or "StatefulSet" or "DaemonSet" or "ControllerRevision" => "apps/v1",
        "Pod" or "List" or "Service" or "ConfigMap" or "Secret" or "Namespace" or "PersistentVolumeClaim" or "PersistentVolume"
            or "ServiceAccount" or "Endpoints" or "LimitRange" or "ResourceQuota" or "ReplicationController" or "PodTemplate"
            or "Event" or "Node" or "Binding" or "ComponentStatus" => "v1",
        "Job" or "CronJob" => "batch/v1",
        "Ingress" or "IngressClass" or "NetworkPolicy" => "networking.k8s.io/v1",
        "HorizontalPodAutoscaler" => "autoscaling/v2",
        "PodDisruptionBudget" => "policy/v1",
        "Role" or "ClusterRole" or "RoleBinding" or "ClusterRoleBinding" => "rbac.authorization.k8s.io/v1",
        "StorageClass" or "CSIDriver" or "CSINode" or "VolumeAttachment" => "storage.k8s.io/v1",
        "CustomResourceDefinition" => "apiextensions.k8s.io/v1",
        "PriorityClass" => "scheduling.k8s.io/v1",
        "RuntimeClass" => "node.k8s.io/v1",
        "Lease" => "coordination.k8s.io/v1",
        "EndpointSlice" => "discovery.k8s.io/v1",
        "ValidatingWebhookConfiguration" or "MutatingWebhookConfiguration" or "ValidatingAdmissionPolicy"
            or "ValidatingAdmissionPolicyBinding" => "admissionregistration.k8s.io/v1",
        "APIService" => "apiregistration.k8s.io/v1",
        "CertificateSigningRequest" => "certificates.k8s.io/v1",
        "FlowSchema" or "PriorityLevelConfiguration" => "flowcontrol.apiserver.k8s.io/v1",
        _ => null,
    };

    /// <summary>
    /// Remembers where the last event parsed ended, for errors that come without a position, and refuses
    /// nesting deeper than <see cref="MaxDepth"/> before YamlDotNet's recursive loader overflows the stack.
    /// </summary>
    sealed class TrackingParser(IParser inner) : IParser
    {
        int depth;
        public Mark LastGood { get; private set; } = Mark.Empty;
        public ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            if (inner.Current is { } e) LastGood = e.End;
            if (!inner.MoveNext()) return false;
            switch (inner.Current)
            {
                case MappingStart or SequenceStart when ++depth > MaxDepth:
                    throw new YamlException(inner.Current.Start, inner.Current.End, $"nesting deeper than {MaxDepth} levels");
                case MappingEnd or SequenceEnd:
                    depth--;
                    break;
            }
            return true;
        }
    }
}
