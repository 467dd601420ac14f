using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Troupe.Api.Dockerfiles;
using Troupe.Runtime.Drivers;
using Troupe.Runtime.Images;
using Troupe.Runtime.Linux;
using Troupe.Runtime.Oci;

namespace Troupe.Runtime.Build;

/// <summary>
/// The node's image builder: <c>docker build</c> (BuildKit semantics) for the Dockerfile instructions users write,
/// into the node's <see cref="ImageStore"/>. Each RUN runs as a one-shot <c>runc run</c> on an overlay of the layers
/// built so far (host network namespace: builds get the host's network, which here is none); each RUN, COPY, ADD
/// and folder-creating WORKDIR becomes one gzip layer (the overlay upper directory, whiteouts converted); other
/// instructions change only the config. A layer cache under <c>workRoot/cache-index/</c> makes an unchanged
/// rebuild take milliseconds. Thread-safe: one instance per node; concurrent builds use separate step folders and
/// container ids. Needs root (overlay mounts, runc). See README.md.
/// </summary>
public sealed class ImageBuilder
{
    readonly ImageStore _store;
    readonly string _work;
    readonly string _runcPath;
    readonly string _runcRoot;
    readonly BuildCache _cache;

    /// <summary>
    /// Gets an image the store lacks (a FROM or COPY --from of an image not built, loaded or pulled yet), as docker
    /// build pulls a missing base; it throws with the reason when it cannot. Null: missing images are an error.
    /// </summary>
    public Func<string, CancellationToken, Task>? Fetch { get; init; }

    /// <summary>
    /// A builder writing into <paramref name="store"/>, keeping its step folders, cache mounts (<c>cache/</c>) and
    /// cache index (<c>cache-index/</c>) under <paramref name="workRoot"/> (e.g. <c>$TROUPE_HOME/build</c>), and running
    /// RUN steps with <paramref name="runcPath"/> (its state under <c>workRoot/runc</c>).
    /// </summary>
    public ImageBuilder(ImageStore store, string workRoot, string runcPath = "/usr/sbin/runc")
    {
        _store = store;
        _work = Path.GetFullPath(workRoot);
        _runcPath = runcPath;
        _runcRoot = Path.Combine(_work, "runc");
        Directory.CreateDirectory(Path.Combine(_work, "steps"));
        Directory.CreateDirectory(_runcRoot);
        _cache = new BuildCache(Path.Combine(_work, "cache-index"));
    }

    /// <summary>The folder the builder keeps its state in.</summary>
    public string WorkRoot => _work;

    /// <summary>
    /// Build the image <paramref name="request"/> describes and tag it (tags are written last, in one index update).
    /// Progress lines follow docker's plain output (<c>#3 [2/5] RUN make</c>, <c>#3 CACHED</c>, output lines).
    /// Throws <see cref="BuildException"/> (<c>Dockerfile:4: RUN make: exit code 2</c>) on any failure, leaving no tag,
    /// mount, container or step folder behind.
    /// </summary>
    public async Task<BuildResult> BuildAsync(BuildRequest request, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        using var lease = _store.Lease();
        var session = new Session(this, request, progress, ct);
        try { return await session.RunAsync(); }
        finally { await session.CleanupAsync(); }
    }

    static readonly string Arch = ImageStoreArch();
    static string ImageStoreArch() => System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "amd64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        var a => a.ToString().ToLowerInvariant(),
    };

    static readonly ImmutableDictionary<string, string> Predefined = new Dictionary<string, string>
    {
        ["TARGETPLATFORM"] = "linux/" + Arch, ["TARGETOS"] = "linux", ["TARGETARCH"] = Arch, ["TARGETVARIANT"] = "",
        ["BUILDPLATFORM"] = "linux/" + Arch, ["BUILDOS"] = "linux", ["BUILDARCH"] = Arch, ["BUILDVARIANT"] = "",
    }.ToImmutableDictionary();

    /// <summary>The state of one stage being built: its image config (Docker's field names), layers and history.</summary>
    sealed class StageState
    {
        public required string Label;
        public JsonObject Config = new();
        public List<OciDescriptor> Layers = [];
        public List<string> DiffIds = [];
        public JsonArray History = [];
        public Dictionary<string, string> Args = new(StringComparer.Ordinal);
        public bool CmdSet;
        public string? ImageConfigDigest;

        /// <summary>What a following step's cache key builds on: the config and the layers so far.</summary>
        public string Key() => BuildCache.Hash(Config.ToJsonString() + "\n" + string.Join(",", DiffIds));

        public Dictionary<string, string> Env()
        {
            var d = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var e in Strings(Config["Env"]))
            {
                var eq = e.IndexOf('=');
                if (eq > 0) d[e[..eq]] = e[(eq + 1)..];
            }
            return d;
        }

        public void SetEnv(string key, string value)
        {
            var list = Strings(Config["Env"]).Where(e => !e.StartsWith(key + "=", StringComparison.Ordinal)).ToList();
            var existing = Strings(Config["Env"]).FindIndex(e => e.StartsWith(key + "=", StringComparison.Ordinal));
            if (existing >= 0) list.Insert(existing, key + "=" + value);
            else list.Add(key + "=" + value);
            Config["Env"] = StringArray(list);
        }

        public string WorkingDir => (string?)Config["WorkingDir"] is { Length: > 0 } w ? w : "/";

        public StageState Clone(string label) => new()
        {
            Label = label,
            Config = (JsonObject)Config.DeepClone(),
            Layers = [.. Layers],
            DiffIds = [.. DiffIds],
            History = (JsonArray)History.DeepClone(),
        };
    }

    static List<string> Strings(JsonNode? n) => n is JsonArray a ? a.Select(x => x?.ToString() ?? "").ToList() : [];
    static JsonArray StringArray(IEnumerable<string> items) => new(items.Select(i => (JsonNode)JsonValue.Create(i)!).ToArray());

    static readonly Regex HeredocOnly = new(@"^\s*<<-?\s*(['""]?)([A-Za-z0-9_]+)\1\s*$", RegexOptions.CultureInvariant);

    /// <summary>One build: parsing, stages, steps, and everything to clean up afterwards.</summary>
    sealed class Session(ImageBuilder b, BuildRequest req, IProgress<string>? progress, CancellationToken ct)
    {
        string _file = "Dockerfile";
        string _context = "";
        DockerIgnore _ignore = DockerIgnore.Parse("");
        ImmutableArray<Stage> _stages;
        readonly Dictionary<int, StageState> _states = new();
        readonly Dictionary<string, string> _metaScope = new(Predefined, StringComparer.Ordinal);
        readonly Dictionary<string, string?> _metaDeclared = new(StringComparer.Ordinal);
        readonly List<BuildStep> _steps = [];
        readonly List<string> _dirs = [];
        readonly Dictionary<string, (IReadOnlyList<string> Folders, string Root)> _rootfsViews = new();
        int _number;
        int _stageStep, _stageTotal;
        char _escape = '\\';

        readonly object _sayLock = new();

        /// <summary>Report a progress line; serialised, since a RUN's stdout and stderr arrive on two threads.</summary>
        void Say(string line)
        {
            if (progress is null) return;
            lock (_sayLock) progress.Report(line);
        }

        BuildException Fail(int line, string reason, IReadOnlyList<string>? output = null, Exception? inner = null) =>
            new(_file, line, reason, output, inner);

        public async Task<BuildResult> RunAsync()
        {
            _context = Path.GetFullPath(req.ContextDir);
            var path = req.DockerfilePath is { Length: > 0 } p ? Path.GetFullPath(p, _context) : Path.Combine(_context, "Dockerfile");
            _file = Path.GetFileName(path);
            var n = ++_number;
            Say($"#{n} [internal] load build definition from {_file}");
            if (!Directory.Exists(_context)) throw Fail(0, $"build context {req.ContextDir} is not a folder");
            if (!File.Exists(path)) throw Fail(0, $"failed to read dockerfile: open {path}: no such file or directory");
            Dockerfile df;
            try { df = DockerfileParser.ParseFile(path, _file); }
            catch (DockerfileException e) { throw new BuildException(e.File, e.Line, e.Reason, null, e); }
            _escape = df.EscapeChar;
            Say($"#{n} DONE 0.0s");
            n = ++_number;
            Say($"#{n} [internal] load .dockerignore");
            _ignore = DockerIgnore.ParseFile(Path.Combine(_context, ".dockerignore"));
            Say($"#{n} DONE 0.0s");

            var tags = new List<string>();
            foreach (var t in req.Tags.IsDefault ? [] : req.Tags)
            {
                if (!ImageReference.TryParse(t, out var r, out var error) || r.Digest is not null)
                    throw Fail(0, $"invalid tag \"{t}\": {(r?.Digest is not null ? "a tag cannot carry a digest" : error)}");
                tags.Add(r.ToString());
            }

            foreach (var arg in DockerfileParser.MetaArgs(df))
                foreach (var kv in ((KeyValueArgs)arg.Args).Pairs)
                {
                    string? value = BuildArg(kv.Key) ?? (kv.RawValue is { } raw ? Expand(raw, _metaScope, arg.Line) : Predefined.GetValueOrDefault(kv.Key));
                    _metaDeclared[kv.Key] = value;
                    if (value is not null) _metaScope[kv.Key] = value;
                }

            _stages = DockerfileParser.Stages(df);
            var target = _stages.Length - 1;
            if (req.Target is { Length: > 0 } wanted)
            {
                target = _stages.ToList().FindIndex(s => s.Name == wanted.ToLowerInvariant());
                if (target < 0) throw Fail(0, $"target stage \"{wanted}\" could not be found");
            }
            var needed = new SortedSet<int>();
            void Need(int i)
            {
                if (!needed.Add(i)) return;
                foreach (var d in Dependencies(i)) Need(d);
            }
            Need(target);
            foreach (var i in needed) _states[i] = await BuildStageAsync(i);

            var final = _states[target];
            var sw = Stopwatch.StartNew();
            n = ++_number;
            Say($"#{n} exporting to image");
            var timeless = string.Join("\n", final.History.Select(h => $"{(string?)h?["created_by"]}|{(bool?)h?["empty_layer"]}"));
            var config = b._cache.FinalConfig($"{final.Key()}\n{timeless}", !req.NoCache, () => FinalConfig(final));
            string digest;
            try { digest = await b._store.CommitImageAsync(config, final.Layers, tags, CancellationToken.None); }
            catch (InvalidDataException e)
            {
                // the lease keeps `rmi` from collecting this build's blobs; a damaged store can still end here
                throw Fail(0, $"exporting the image failed: {e.Message} (removed while building? build again)", null, e);
            }
            Say($"#{n} writing image sha256:{Convert.ToHexStringLower(SHA256.HashData(config))} done");
            foreach (var t in tags) Say($"#{n} naming to {t} done");
            Say($"#{n} DONE {sw.Elapsed.TotalSeconds:0.0}s");
            return new BuildResult(digest, [.. tags], [.. _steps]);
        }

        string? BuildArg(string key) => req.BuildArgs is { } a && a.TryGetValue(key, out var v) ? v : null;

        string Expand(string text, IReadOnlyDictionary<string, string> scope, int line)
        {
            try { return ShellWords.Expand(text, scope, _escape); }
            catch (FormatException e) { throw Fail(line, e.Message, null, e); }
        }

        int? StageIndex(string nameOrIndex, int before)
        {
            var lower = nameOrIndex.ToLowerInvariant();
            for (var j = 0; j < before; j++) if (_stages[j].Name == lower) return j;
            if (int.TryParse(nameOrIndex, NumberStyles.None, CultureInfo.InvariantCulture, out var k) && k < before) return k;
            return null;
        }

        IEnumerable<int> Dependencies(int i)
        {
            var s = _stages[i];
            string Meta(string t) { try { return ShellWords.Expand(t, _metaScope, _escape); } catch (FormatException) { return t; } }
            if (StageIndex(Meta(s.BaseImage), i) is { } j) yield return j;
            foreach (var ins in s.Instructions)
            {
                if (ins.Flag("from") is { } f && StageIndex(Meta(f), i) is { } k) yield return k;
                foreach (var m in ins.FlagValues("mount"))
                    if (ParseCsv(m).TryGetValue("from", out var mf) && StageIndex(Meta(mf), i) is { } l) yield return l;
            }
        }

        static Dictionary<string, string> ParseCsv(string spec)
        {
            var d = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var eq = part.IndexOf('=');
                if (eq < 0) d[part.ToLowerInvariant()] = "true";
                else d[part[..eq].ToLowerInvariant()] = part[(eq + 1)..];
            }
            return d;
        }

        string StageLabel(int i) => _stages[i].Name ?? $"stage-{i}";

        static bool IsFsStep(Instruction i) => i.Cmd is "run" or "copy" or "add" or "workdir";

        async Task<StageState> BuildStageAsync(int i)
        {
            var stage = _stages[i];
            var label = StageLabel(i);
            var from = stage.From;
            _stageStep = 0;
            _stageTotal = 1 + stage.Instructions.Count(IsFsStep);
            var baseName = Expand(stage.BaseImage, _metaScope, from.Line);
            if (stage.Platform is { } platform)
            {
                var pf = Expand(platform, _metaScope, from.Line);
                if (pf.Length > 0 && pf != "linux/" + Arch && pf != $"linux/{Arch}/")
                    throw Fail(from.Line, $"FROM --platform={pf} {baseName}: only linux/{Arch} can be built on this node");
            }
            var sw = Stopwatch.StartNew();
            var n = ++_number;
            _stageStep++;
            StageState state;
            string shown;
            List<string> triggers = [];
            if (baseName == "scratch")
            {
                state = new StageState { Label = label };
                shown = "scratch";
            }
            else if (StageIndex(baseName, i) is { } j)
            {
                state = _states[j].Clone(label);
                shown = StageLabel(j);
            }
            else
            {
                var image = await ResolveImageAsync(baseName, from.Line, "FROM");
                var cfg = JsonNode.Parse(await b._store.ReadConfigAsync(image, ct)) as JsonObject ?? new JsonObject();
                state = new StageState
                {
                    Label = label,
                    Config = cfg["config"]?.DeepClone() as JsonObject ?? new JsonObject(),
                    Layers = [.. image.Layers],
                    DiffIds = [.. image.DiffIds],
                    History = cfg["history"]?.DeepClone() as JsonArray ?? [],
                    ImageConfigDigest = image.ConfigDigest,
                };
                triggers = Strings(state.Config["OnBuild"]);
                state.Config.Remove("OnBuild");
                shown = image.Reference;
            }
            Say($"#{n} [{Prefix(label)}{_stageStep}/{_stageTotal}] FROM {shown}");
            Say($"#{n} DONE {sw.Elapsed.TotalSeconds:0.0}s");
            _steps.Add(new BuildStep(n, label, from.Line, $"FROM {shown}", true, sw.Elapsed));

            foreach (var trigger in triggers)
            {
                Instruction ins;
                try { ins = DockerfileParser.Parse("FROM scratch\n" + trigger, _file).Instructions[1] with { Line = from.Line }; }
                catch (DockerfileException e) { throw Fail(from.Line, $"ONBUILD trigger \"{trigger}\" of {shown}: {e.Reason}"); }
                if (IsFsStep(ins)) _stageTotal++;
                await ExecuteAsync(state, ins, i);
            }
            foreach (var ins in stage.Instructions) await ExecuteAsync(state, ins, i);
            return state;
        }

        string Prefix(string label) => _stages.Length > 1 ? label + " " : "";

        async Task<ImageRecord> ResolveImageAsync(string name, int line, string what)
        {
            if (!ImageReference.TryParse(name, out var r, out var error)) throw Fail(line, $"{what} {name}: invalid reference format: {error}");
            if (r.ToString() == ImageStore.BusyboxReference)
            {
                try { await b._store.EnsureBusyboxAsync(ct); }
                catch (InvalidOperationException e) { throw Fail(line, $"{what} {name}: {e.Message}", null, e); }
            }
            if (await b._store.ResolveAsync(name, ct) is { } found) return found;
            if (b.Fetch is null) throw Fail(line, $"{what} {name}: image not found in the node's image store (troupe pull, load or import it first)");
            Say($"pulling {name}");
            try { await b.Fetch(name, ct); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw Fail(line, $"{what} {name}: image not found in the node's image store and not pulled: {e.Message}", null, e);
            }
            return await b._store.ResolveAsync(name, ct)
                ?? throw Fail(line, $"{what} {name}: image not found in the node's image store after pulling it");
        }

        Dictionary<string, string> Scope(StageState s)
        {
            var d = new Dictionary<string, string>(s.Args, StringComparer.Ordinal);
            foreach (var (k, v) in s.Env()) d[k] = v;
            return d;
        }

        void History(StageState s, string createdBy, bool empty)
        {
            var h = new JsonObject { ["created"] = Stamp, ["created_by"] = createdBy, ["comment"] = "buildkit.dockerfile.v0" };
            if (empty) h["empty_layer"] = true;
            s.History.Add(h);
        }

        readonly string Stamp = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

        static string Original(Instruction ins)
        {
            var text = ins.Original.Trim();
            var nl = text.IndexOf('\n');
            return nl < 0 ? text : text[..nl];
        }

        async Task ExecuteAsync(StageState s, Instruction ins, int stageIndex)
        {
            ct.ThrowIfCancellationRequested();
            var scope = Scope(s);
            var cfg = s.Config;
            switch (ins.Cmd)
            {
                case "arg":
                    foreach (var kv in ((KeyValueArgs)ins.Args).Pairs)
                    {
                        var value = BuildArg(kv.Key)
                            ?? (kv.RawValue is { } raw ? Expand(raw, scope, ins.Line)
                                : _metaDeclared.TryGetValue(kv.Key, out var meta) ? meta
                                : Predefined.GetValueOrDefault(kv.Key));
                        if (value is not null) s.Args[kv.Key] = value;
                        scope = Scope(s);
                    }
                    return;
                case "env":
                    var envParts = new List<string>();
                    foreach (var kv in ((KeyValueArgs)ins.Args).Pairs)
                    {
                        var value = Expand(kv.RawValue ?? "", scope, ins.Line);
                        s.SetEnv(kv.Key, value);
                        envParts.Add($"{kv.Key}={value}");
                    }
                    History(s, "ENV " + string.Join(' ', envParts), true);
                    return;
                case "label":
                    var labels = cfg["Labels"] as JsonObject ?? new JsonObject();
                    foreach (var kv in ((KeyValueArgs)ins.Args).Pairs)
                        labels[Expand(kv.RawKey, scope, ins.Line)] = Expand(kv.RawValue ?? "", scope, ins.Line);
                    cfg["Labels"] = labels;
                    History(s, Original(ins), true);
                    return;
                case "maintainer":
                    History(s, Original(ins), true);
                    return;
                case "user":
                    cfg["User"] = Expand(((ShellArgs)ins.Args).Text, scope, ins.Line);
                    History(s, "USER " + cfg["User"], true);
                    return;
                case "stopsignal":
                    cfg["StopSignal"] = Expand(((ShellArgs)ins.Args).Text, scope, ins.Line);
                    History(s, "STOPSIGNAL " + cfg["StopSignal"], true);
                    return;
                case "expose":
                    var ports = cfg["ExposedPorts"] as JsonObject ?? new JsonObject();
                    foreach (var item in Items(ins))
                        foreach (var p in ExpandPorts(Expand(item, scope, ins.Line), ins.Line)) ports[p] = new JsonObject();
                    cfg["ExposedPorts"] = ports;
                    History(s, Original(ins), true);
                    return;
                case "volume":
                    var vols = cfg["Volumes"] as JsonObject ?? new JsonObject();
                    foreach (var item in Items(ins)) vols[Expand(item, scope, ins.Line)] = new JsonObject();
                    cfg["Volumes"] = vols;
                    History(s, Original(ins), true);
                    return;
                case "shell":
                    cfg["Shell"] = StringArray(Items(ins));
                    History(s, Original(ins), true);
                    return;
                case "cmd":
                    cfg["Cmd"] = StringArray(CommandOf(s, ins));
                    s.CmdSet = true;
                    History(s, "CMD " + JsonSerializer.Serialize(Strings(cfg["Cmd"])), true);
                    return;
                case "entrypoint":
                    cfg["Entrypoint"] = StringArray(CommandOf(s, ins));
                    if (!s.CmdSet) cfg.Remove("Cmd"); // as BuildKit: an inherited CMD does not survive a new ENTRYPOINT
                    History(s, "ENTRYPOINT " + JsonSerializer.Serialize(Strings(cfg["Entrypoint"])), true);
                    return;
                case "healthcheck":
                    cfg["Healthcheck"] = Healthcheck(ins);
                    History(s, Original(ins), true);
                    return;
                case "onbuild":
                    var trigger = Regex.Replace(ins.Original.Trim(), @"^onbuild\s+", "", RegexOptions.IgnoreCase);
                    var list = Strings(cfg["OnBuild"]);
                    list.Add(trigger);
                    cfg["OnBuild"] = StringArray(list);
                    History(s, Original(ins), true);
                    return;
                case "workdir":
                    await WorkdirAsync(s, ins, scope);
                    return;
                case "run":
                    await RunAsync(s, ins, scope, stageIndex);
                    return;
                case "copy" or "add":
                    await CopyAsync(s, ins, scope, stageIndex);
                    return;
                default:
                    throw Fail(ins.Line, $"{ins.Cmd.ToUpperInvariant()} is not supported by this builder");
            }
        }

        static IReadOnlyList<string> Items(Instruction ins) => ins.Args switch
        {
            ListArgs l => l.Items,
            ShellArgs sh => sh.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            _ => [],
        };

        List<string> Shell(StageState s) => Strings(s.Config["Shell"]) is { Count: > 0 } sh ? sh : ["/bin/sh", "-c"];

        List<string> CommandOf(StageState s, Instruction ins) => ins.Args switch
        {
            ListArgs l => [.. l.Items],
            ShellArgs sh => [.. Shell(s), sh.Text],
            _ => [],
        };

        IEnumerable<string> ExpandPorts(string spec, int line)
        {
            var slash = spec.IndexOf('/');
            var proto = slash < 0 ? "tcp" : spec[(slash + 1)..].ToLowerInvariant();
            var range = slash < 0 ? spec : spec[..slash];
            var dash = range.IndexOf('-');
            if (!int.TryParse(dash < 0 ? range : range[..dash], out var lo) || !int.TryParse(dash < 0 ? range : range[(dash + 1)..], out var hi) || lo < 0 || hi > 65535 || hi < lo)
                throw Fail(line, $"EXPOSE {spec}: invalid port");
            for (var p = lo; p <= hi; p++) yield return $"{p}/{proto}";
        }

        JsonObject Healthcheck(Instruction ins)
        {
            var items = ((ListArgs)ins.Args).Items;
            if (items[0].Equals("NONE", StringComparison.OrdinalIgnoreCase)) return new JsonObject { ["Test"] = StringArray(["NONE"]) };
            var test = ins.JsonForm ? ["CMD", .. items.Skip(1)] : new List<string> { "CMD-SHELL", string.Join(' ', items.Skip(1)) };
            var h = new JsonObject { ["Test"] = StringArray(test) };
            foreach (var (flag, field) in new[] { ("interval", "Interval"), ("timeout", "Timeout"), ("start-period", "StartPeriod"), ("start-interval", "StartInterval") })
                if (ins.Flag(flag) is { Length: > 0 } v) h[field] = Duration(v, ins.Line);
            if (ins.Flag("retries") is { Length: > 0 } r && int.TryParse(r, out var retries)) h["Retries"] = retries;
            return h;
        }

        long Duration(string text, int line)
        {
            double total = 0;
            var ms = Regex.Matches(text, @"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)");
            if (ms.Count == 0 || string.Concat(ms.Select(m => m.Value)) != text) throw Fail(line, $"HEALTHCHECK: invalid duration {text}");
            foreach (Match m in ms)
                total += double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * m.Groups[2].Value switch
                {
                    "ns" => 1, "us" or "µs" => 1e3, "ms" => 1e6, "s" => 1e9, "m" => 60e9, _ => 3600e9,
                };
            return (long)total;
        }

        // ---- filesystem steps ---------------------------------------------------------------------------------

        /// <summary>
        /// One layer-producing step: from the cache when its key is known and its blob still there; else mount an
        /// overlay (current layers + fresh upper), run <paramref name="action"/> on the merged root, and store the
        /// upper directory as a layer.
        /// </summary>
        async Task FsStepAsync(StageState s, Instruction ins, string shown, string keyMaterial,
            Func<string, string, Task<IReadOnlySet<string>>> action)
        {
            var n = ++_number;
            _stageStep++;
            Say($"#{n} [{Prefix(s.Label)}{_stageStep}/{_stageTotal}] {shown}");
            var sw = Stopwatch.StartNew();
            var key = BuildCache.Hash(s.Key() + "\n" + keyMaterial);
            if (!req.NoCache && b._cache.TryGet(key) is { } hit && (hit.Layer is null || b._store.HasBlob(hit.Layer.Descriptor.Digest)))
            {
                Apply(s, hit.Layer, shown);
                Say($"#{n} CACHED");
                _steps.Add(new BuildStep(n, s.Label, ins.Line, shown, true, sw.Elapsed));
                return;
            }
            var dir = NewDir("step");
            var merged = await MountAsync(s, dir, ins.Line);
            var upper = Path.Combine(dir, "upper");
            IReadOnlySet<string> mountPoints;
            try { mountPoints = await action(merged, dir); }
            finally { Unmount(merged); }
            BuiltLayer? layer = null;
            if (LayerTar.HasChanges(upper, mountPoints))
                layer = await b._store.AddLayerAsync(st => LayerTar.WriteAsync(st, upper, mountPoints, ct), ct);
            b._cache.Put(key, new BuildCache.Entry(layer));
            Apply(s, layer, shown);
            await RemoveDirAsync(dir);
            Say($"#{n} DONE {sw.Elapsed.TotalSeconds:0.0}s");
            _steps.Add(new BuildStep(n, s.Label, ins.Line, shown, false, sw.Elapsed));
        }

        void Apply(StageState s, BuiltLayer? layer, string shown)
        {
            if (layer is not null)
            {
                s.Layers.Add(layer.Descriptor);
                s.DiffIds.Add(layer.DiffId);
            }
            History(s, shown, layer is null);
        }

        string NewDir(string what)
        {
            var dir = Path.Combine(b._work, "steps", $"{what}-{Guid.NewGuid():N}");
            Directory.CreateDirectory(dir);
            lock (_dirs) _dirs.Add(dir);
            return dir;
        }

        async Task<string> MountAsync(StageState s, string dir, int line)
        {
            IReadOnlyList<string> layers;
            try { layers = await b._store.UnpackLayersAsync(s.Layers, s.DiffIds, ct); }
            catch (InvalidDataException e) { throw Fail(line, $"cannot unpack the image's layers: {e.Message}", null, e); }
            var merged = Path.Combine(dir, "merged");
            var upper = Path.Combine(dir, "upper");
            var work = Path.Combine(dir, "work");
            Directory.CreateDirectory(merged);
            Directory.CreateDirectory(upper, (UnixFileMode)0b111_101_101);
            Directory.CreateDirectory(work);
            var lower = layers.Reverse().ToList();
            if (lower.Count == 0)
            {
                var empty = Path.Combine(dir, "empty");
                Directory.CreateDirectory(empty, (UnixFileMode)0b111_101_101);
                lower.Add(empty);
            }
            var options = $"lowerdir={LowerDirs(lower)},upperdir={upper},workdir={work}";
            if (options.Length > 4000) throw Fail(line, $"the image has too many layers ({layers.Count}) for one overlay mount");
            try { Mounts.Mount("overlay", merged, "overlay", 0, options); }
            catch (MountException e) { throw Fail(line, $"cannot mount the build root file system: {e.Message}", null, e); }
            return merged;
        }

        /// <summary>
        /// The lowerdir list (top first). A mount's options must fit in a page, so when the layer folders' paths are
        /// too long together they are given short names: symlinks <c>/tmp/tb-XXXXXXXX/N</c>, resolved by the kernel
        /// when mounting and removed with the build's other folders.
        /// </summary>
        string LowerDirs(List<string> lower)
        {
            var direct = string.Join(':', lower);
            if (direct.Length <= 3000) return direct;
            var links = Path.Combine(Path.GetTempPath(), "tb-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(links);
            lock (_dirs) _dirs.Add(links);
            for (var i = 0; i < lower.Count; i++) File.CreateSymbolicLink(Path.Combine(links, i.ToString(CultureInfo.InvariantCulture)), lower[i]);
            return string.Join(':', Enumerable.Range(0, lower.Count).Select(i => Path.Combine(links, i.ToString(CultureInfo.InvariantCulture))));
        }

        static void Unmount(string merged) => Mounts.UnmountAll(merged);

        async Task RemoveDirAsync(string dir)
        {
            Mounts.UnmountAll(dir);
            for (var i = 0; i < 10 && Mounts.Under(dir).Count > 0; i++) await Task.Delay(20);
            if (Mounts.Under(dir).Count > 0) return; // never delete through a mount
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
            lock (_dirs) _dirs.Remove(dir);
        }

        public async Task CleanupAsync()
        {
            List<string> dirs;
            lock (_dirs) dirs = [.. _dirs];
            foreach (var d in dirs)
            {
                try { await RemoveDirAsync(d); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
        }

        async Task WorkdirAsync(StageState s, Instruction ins, Dictionary<string, string> scope)
        {
            var path = Expand(((ShellArgs)ins.Args).Text, scope, ins.Line);
            var abs = FsUtil.CleanAbs(path.StartsWith('/') ? path : s.WorkingDir.TrimEnd('/') + "/" + path);
            s.Config["WorkingDir"] = abs;
            await FsStepAsync(s, ins, "WORKDIR " + abs, "WORKDIR " + abs, (merged, _) =>
            {
                try { FsUtil.MkdirAll(merged, abs); }
                catch (IOException e) { throw Fail(ins.Line, $"WORKDIR {abs}: {e.Message}", null, e); }
                return Task.FromResult<IReadOnlySet<string>>(new HashSet<string>());
            });
        }

        // ---- RUN ------------------------------------------------------------------------------------------------

        sealed record RunMount(string Type, string Target, string? Source, string? From, string? Id, bool ReadWrite);

        async Task RunAsync(StageState s, Instruction ins, Dictionary<string, string> scope, int stageIndex)
        {
            if (ins.Flag("network") is { } net && net is not ("host" or "none" or "default"))
                throw Fail(ins.Line, $"RUN --network={net} is not supported");
            if (ins.Flag("security") is "insecure") throw Fail(ins.Line, "RUN --security=insecure is not supported");
            var mounts = new List<RunMount>();
            foreach (var spec in ins.FlagValues("mount"))
            {
                var m = ParseCsv(Expand(spec, scope, ins.Line));
                var type = m.GetValueOrDefault("type", "bind");
                var target = m.GetValueOrDefault("target") ?? m.GetValueOrDefault("dst") ?? m.GetValueOrDefault("destination");
                if (type is not ("bind" or "cache" or "tmpfs")) throw Fail(ins.Line, $"RUN --mount=type={type} is not supported (bind, cache and tmpfs are)");
                if (string.IsNullOrEmpty(target)) throw Fail(ins.Line, $"RUN --mount={spec}: target is required");
                target = FsUtil.CleanAbs(target.StartsWith('/') ? target : s.WorkingDir.TrimEnd('/') + "/" + target);
                mounts.Add(new RunMount(type, target, m.GetValueOrDefault("source") ?? m.GetValueOrDefault("src"), m.GetValueOrDefault("from"),
                    m.GetValueOrDefault("id"), m.ContainsKey("rw") || m.ContainsKey("readwrite") || (m.TryGetValue("readonly", out var ro) && ro == "false")));
            }

            List<string> args;
            string shown;
            string? script = null;
            if (ins.Args is ListArgs list)
            {
                args = [.. list.Items];
                shown = "RUN " + JsonSerializer.Serialize(args);
            }
            else
            {
                var text = ((ShellArgs)ins.Args).Text;
                shown = "RUN " + text;
                if (ins.Heredocs.Length == 1 && HeredocOnly.Match(text) is { Success: true } hm && hm.Groups[2].Value == ins.Heredocs[0].Name)
                {
                    var body = ins.Heredocs[0].Body;
                    if (body.StartsWith("#!", StringComparison.Ordinal)) { script = body; args = ["/dev/.troupe-heredoc"]; }
                    else args = [.. Shell(s), body];
                }
                else if (ins.Heredocs.Length > 0)
                {
                    var sb = new StringBuilder(text);
                    foreach (var h in ins.Heredocs) sb.Append('\n').Append(h.Body).Append(h.Name);
                    args = [.. Shell(s), sb.ToString()];
                }
                else args = [.. Shell(s), text];
                if (ins.Heredocs.Length > 0) shown = "RUN " + text + " " + string.Join(" ", ins.Heredocs.Select(h => h.Body.Replace("\n", "\\n")));
            }

            var env = s.Env();
            foreach (var (k, v) in s.Args) env.TryAdd(k, v);
            var envList = env.Select(kv => $"{kv.Key}={kv.Value}").ToList();
            var keyMaterial = new StringBuilder("RUN\n").Append(JsonSerializer.Serialize(args)).Append('\n').Append(script ?? "")
                .Append('\n').Append(string.Join('\n', envList.Order(StringComparer.Ordinal)));
            foreach (var m in mounts)
            {
                keyMaterial.Append($"\nmount {m.Type} {m.Target} {m.Source} {m.From} {m.Id} {m.ReadWrite}");
                if (m.Type == "bind")
                    keyMaterial.Append(' ').Append(m.From is null ? ContextHash([m.Source ?? "."], ins) : await FromKeyAsync(m.From, stageIndex, ins.Line));
            }

            await FsStepAsync(s, ins, shown, keyMaterial.ToString(), async (merged, dir) =>
            {
                var mountPoints = new HashSet<string>(StringComparer.Ordinal) { "/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/proc", "/dev", "/sys" };
                var (uid, gid) = ResolveUser(merged, (string?)s.Config["User"], ins.Line);
                var extra = new JsonArray();
                foreach (var m in mounts)
                {
                    string source;
                    switch (m.Type)
                    {
                        case "cache":
                            var id = m.Id ?? m.Target;
                            source = Path.Combine(b._work, "cache", BuildCache.Hash(id)[..32]);
                            Directory.CreateDirectory(source);
                            extra.Add(MountNode(m.Target, "bind", source, ["rbind", "rw"]));
                            break;
                        case "tmpfs":
                            extra.Add(MountNode(m.Target, "tmpfs", "tmpfs", ["nosuid", "nodev", "size=65536k"]));
                            break;
                        default:
                            var root = m.From is null ? _context : await RootOfAsync(m.From, stageIndex, ins.Line, dir);
                            var rel = m.Source ?? ".";
                            source = (m.From is null ? FsUtil.Resolve(root, rel, strict: true) : FsUtil.Resolve(root, rel))
                                ?? throw Fail(ins.Line, $"RUN --mount source {rel}: outside the build context");
                            if (FsUtil.LStat(source) is null) throw Fail(ins.Line, $"RUN --mount source {rel}: not found");
                            extra.Add(MountNode(m.Target, "bind", source, ["rbind", "ro"]));
                            break;
                    }
                    mountPoints.Add(m.Target);
                }
                if (script is not null)
                {
                    var file = Path.Combine(dir, "heredoc");
                    await File.WriteAllTextAsync(file, script, ct);
                    File.SetUnixFileMode(file, (UnixFileMode)0b111_101_101);
                    extra.Add(MountNode("/dev/.troupe-heredoc", "bind", file, ["bind", "ro"]));
                }
                await RunContainerAsync(merged, dir, args, envList, s.WorkingDir, uid, gid, extra, ins, shown);
                return mountPoints;
            });
        }

        static JsonObject MountNode(string destination, string type, string source, string[] options) =>
            new() { ["destination"] = destination, ["type"] = type, ["source"] = source, ["options"] = StringArray(options) };

        async Task RunContainerAsync(string merged, string dir, List<string> args, List<string> env, string cwd, int uid, int gid,
            JsonArray extraMounts, Instruction ins, string shown)
        {
            var id = "troupe-build-" + Guid.NewGuid().ToString("N")[..16];
            var bundle = Path.Combine(dir, "bundle");
            Directory.CreateDirectory(bundle);
            var files = new BundleWriter.Files(Path.Combine(bundle, "hosts"), Path.Combine(bundle, "hostname"), Path.Combine(bundle, "resolv.conf"), null);
            await File.WriteAllTextAsync(files.Hosts, BundleWriter.HostsFile("buildkitsandbox"), ct);
            await File.WriteAllTextAsync(files.Hostname, "buildkitsandbox\n", ct);
            await File.WriteAllTextAsync(files.ResolvConf, File.Exists("/etc/resolv.conf") ? await File.ReadAllTextAsync("/etc/resolv.conf", ct) : "", ct);
            var launch = new ContainerLaunch
            {
                Id = id, Args = [.. args], Env = [.. env], WorkingDir = cwd, Hostname = "buildkitsandbox",
                Uid = (uint)uid, Gid = (uint)gid, Layers = [merged], LogPath = Path.Combine(dir, "log"),
            };
            var config = JsonNode.Parse(BundleWriter.ConfigJson(launch, files))!.AsObject();
            config["root"]!["path"] = merged;
            var ns = config["linux"]!["namespaces"]!.AsArray();
            foreach (var item in ns.Where(x => (string?)x!["type"] == "network").ToList()) ns.Remove(item); // host network for builds
            var mounts = config["mounts"]!.AsArray();
            foreach (var m in extraMounts.ToList()) { extraMounts.Remove(m); mounts.Add(m); }
            await File.WriteAllTextAsync(Path.Combine(bundle, "config.json"), config.ToJsonString(), ct);

            var tail = new Queue<string>();
            var n = _number;
            var started = Stopwatch.StartNew();
            void Line(string? l)
            {
                if (l is null) return;
                lock (tail)
                {
                    tail.Enqueue(l);
                    while (tail.Count > 20) tail.Dequeue();
                }
                Say($"#{n} {started.Elapsed.TotalSeconds:0.000} {l}");
            }
            var psi = new ProcessStartInfo(b._runcPath)
            {
                RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
            };
            foreach (var a in new[] { "--root", b._runcRoot, "run", "--bundle", bundle, id }) psi.ArgumentList.Add(a);
            using var p = new Process { StartInfo = psi };
            p.OutputDataReceived += (_, e) => Line(e.Data);
            p.ErrorDataReceived += (_, e) => Line(e.Data);
            try
            {
                try { p.Start(); }
                catch (System.ComponentModel.Win32Exception e) { throw Fail(ins.Line, $"{shown}: cannot run {b._runcPath}: {e.Message}", null, e); }
                p.StandardInput.Close();
                p.BeginOutputReadLine();
                p.BeginErrorReadLine();
                try { await p.WaitForExitAsync(ct); }
                catch (OperationCanceledException)
                {
                    await ProcessRunner.RunAsync(b._runcPath, ["--root", b._runcRoot, "kill", id, "KILL"]);
                    try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                    await p.WaitForExitAsync(CancellationToken.None);
                    throw;
                }
                p.WaitForExit(); // drain the output events
            }
            finally
            {
                await ProcessRunner.RunAsync(b._runcPath, ["--root", b._runcRoot, "delete", "--force", id]);
            }
            if (p.ExitCode != 0)
            {
                string[] lines;
                lock (tail) lines = [.. tail];
                Say($"#{n} ERROR: process \"{string.Join(' ', args)}\" did not complete successfully: exit code: {p.ExitCode}");
                throw Fail(ins.Line, $"{Short(shown)}: exit code {p.ExitCode}", lines);
            }
        }

        static string Short(string shown)
        {
            var nl = shown.IndexOf('\n');
            return nl < 0 ? shown : shown[..nl];
        }

        (int Uid, int Gid) ResolveUser(string root, string? user, int line)
        {
            try
            {
                var (uid, gid) = Images.ImageUser.Resolve(user, path => FsUtil.Resolve(root, path) is { } f && File.Exists(f) ? File.ReadAllText(f) : null);
                return ((int)uid, (int)gid);
            }
            catch (FormatException e) { throw Fail(line, e.Message); }
        }

        /// <summary>--chown: like USER, but a lone numeric uid gives the same gid (as Docker).</summary>
        (int Uid, int Gid) ResolveOwner(string root, string chown, int line)
        {
            var colon = chown.IndexOf(':');
            if (colon < 0 && int.TryParse(chown, out var only)) return (only, only);
            return ResolveUser(root, chown, line);
        }

        // ---- COPY / ADD -----------------------------------------------------------------------------------------

        sealed record Source(string Display, string Host, bool IsDir, string? ContextRel);

        static bool HasGlob(string s) => s.IndexOfAny(['*', '?', '[']) >= 0;

        async Task CopyAsync(StageState s, Instruction ins, Dictionary<string, string> scope, int stageIndex)
        {
            var cmd = ins.Cmd.ToUpperInvariant();
            var items = ((ListArgs)ins.Args).Items;
            if (ins.Flag("parents") == "true") throw Fail(ins.Line, $"{cmd} --parents is not supported");
            var from = ins.Flag("from") is { } f ? Expand(f, scope, ins.Line) : null;
            var chown = ins.Flag("chown") is { Length: > 0 } c ? Expand(c, scope, ins.Line) : null;
            var chmodText = ins.Flag("chmod") is { Length: > 0 } m ? Expand(m, scope, ins.Line) : null;
            UnixFileMode? chmod = null;
            if (chmodText is not null)
            {
                try { chmod = (UnixFileMode)Convert.ToInt32(chmodText, 8); }
                catch (FormatException) { throw Fail(ins.Line, $"{cmd} --chmod={chmodText}: only octal modes are supported"); }
            }
            var excludes = ins.FlagValues("exclude").Select(e => Expand(e, scope, ins.Line)).ToList();
            var exclude = excludes.Count > 0 ? DockerIgnore.Parse(string.Join('\n', excludes)) : null;
            var dest = Expand(items[^1], scope, ins.Line);
            var rawSources = items.Take(items.Length - 1).ToList();
            var heredocs = new List<(string Name, string Content)>();
            var sources = new List<string>();
            foreach (var raw in rawSources)
            {
                if (raw.StartsWith("<<", StringComparison.Ordinal) && ins.Heredocs.FirstOrDefault(h => raw.TrimStart('<', '-').Trim('\'', '"') == h.Name) is { } h)
                    heredocs.Add((h.Name, h.Expand ? SubstituteVars(h.Body, scope) : h.Body));
                else sources.Add(Expand(raw, scope, ins.Line));
            }
            var shown = $"{cmd} {(from is null ? "" : $"--from={from} ")}{(chown is null ? "" : $"--chown={chown} ")}{(chmodText is null ? "" : $"--chmod={chmodText} ")}{string.Join(' ', rawSources)} {dest}";
            var destAbs = FsUtil.CleanAbs(dest.StartsWith('/') ? dest : s.WorkingDir.TrimEnd('/') + "/" + dest);
            var destIsDir = dest.EndsWith('/') || dest is "." or ".." || dest.EndsWith("/.") || rawSources.Count > 1 || sources.Any(HasGlob);

            foreach (var src in sources)
                if (Regex.IsMatch(src, "^(https?|git)://|^git@"))
                    throw Fail(ins.Line, cmd == "ADD" ? $"ADD {src}: no network: URL sources are not supported" : $"COPY {src}: source can't be a URL for COPY");

            string contentKey;
            if (from is null)
            {
                contentKey = ContextHash(sources, ins, exclude);
            }
            else contentKey = await FromKeyAsync(from, stageIndex, ins.Line);
            var keyMaterial = $"{cmd}\n{from}\n{chown}\n{chmodText}\n{string.Join('\n', sources)}\n{string.Join('\n', heredocs.Select(h => h.Name + "\0" + h.Content))}\n{destAbs}\n{destIsDir}\n{string.Join(',', excludes)}\n{contentKey}";

            await FsStepAsync(s, ins, shown.Replace("  ", " "), keyMaterial, async (merged, dir) =>
            {
                var resolved = new List<Source>();
                var keepOwner = from is not null;
                if (from is null) resolved.AddRange(ContextSources(sources, ins, exclude));
                else
                {
                    var root = await RootOfAsync(from, stageIndex, ins.Line, dir);
                    foreach (var src in sources) resolved.AddRange(RootSources(root, src, ins, from));
                }
                var hd = 0;
                foreach (var (name, content) in heredocs)
                {
                    var folder = Path.Combine(dir, "heredoc-" + hd++);
                    Directory.CreateDirectory(folder);
                    var file = Path.Combine(folder, name);
                    await File.WriteAllTextAsync(file, content, ct);
                    File.SetUnixFileMode(file, (UnixFileMode)0b110_100_100);
                    resolved.Add(new Source(name, file, false, null));
                }
                var owner = chown is null ? ((int, int)?)null : ResolveOwner(merged, chown, ins.Line);
                try
                {
                    foreach (var src in resolved) CopyOne(merged, dir, src, destAbs, destIsDir || resolved.Count > 1, owner, keepOwner, chmod, cmd == "ADD", exclude, ins);
                }
                catch (IOException e) { throw Fail(ins.Line, $"{cmd} {string.Join(' ', rawSources)}: {e.Message}", null, e); }
                return new HashSet<string>();
            });
        }

        static string SubstituteVars(string body, IReadOnlyDictionary<string, string> scope) =>
            Regex.Replace(body, @"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)", m =>
                scope.GetValueOrDefault(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value, ""));

        void CopyOne(string merged, string dir, Source src, string destAbs, bool destIsDir, (int, int)? owner, bool keepOwner,
            UnixFileMode? chmod, bool isAdd, DockerIgnore? exclude, Instruction ins)
        {
            bool Skip(string childRel)
            {
                var full = src.ContextRel is null ? childRel : (src.ContextRel == "" ? childRel : src.ContextRel + "/" + childRel);
                return (src.ContextRel is not null && _ignore.IsExcluded(full)) || (exclude?.IsExcluded(full) ?? false);
            }
            if (src.IsDir)
            {
                var target = FsUtil.MkdirAll(merged, destAbs, owner?.Item1 ?? 0, owner?.Item2 ?? 0);
                foreach (var child in Directory.EnumerateFileSystemEntries(src.Host).Order(StringComparer.Ordinal))
                {
                    var name = Path.GetFileName(child);
                    if (Skip(name)) continue;
                    FsUtil.CopyTree(child, Path.Combine(target, name), owner, keepOwner, chmod, Skip, name);
                }
                return;
            }
            if (isAdd && IsTar(src.Host))
            {
                var unpacked = Path.Combine(dir, "add-" + Guid.NewGuid().ToString("N")[..8]);
                Directory.CreateDirectory(unpacked);
                try
                {
                    using var stream = File.OpenRead(src.Host);
                    LayerUnpacker.Extract(stream, unpacked, src.Display, ct);
                }
                catch (InvalidDataException e) { throw Fail(ins.Line, $"ADD {src.Display}: {e.Message}", null, e); }
                var target = FsUtil.MkdirAll(merged, destAbs);
                foreach (var child in Directory.EnumerateFileSystemEntries(unpacked).Order(StringComparer.Ordinal))
                    FsUtil.CopyTree(child, Path.Combine(target, Path.GetFileName(child)), owner, true, chmod);
                return;
            }
            var destHost = FsUtil.Resolve(merged, destAbs);
            if (destIsDir || (destHost is not null && Directory.Exists(destHost)))
            {
                var target = FsUtil.MkdirAll(merged, destAbs);
                FsUtil.CopyTree(src.Host, Path.Combine(target, Path.GetFileName(src.Host)), owner, keepOwner, chmod);
            }
            else
            {
                var parent = FsUtil.MkdirAll(merged, Path.GetDirectoryName(destAbs) ?? "/");
                var final = Path.Combine(parent, Path.GetFileName(destAbs));
                FsUtil.RemoveAny(final);
                FsUtil.CopyTree(src.Host, final, owner, keepOwner, chmod);
            }
        }

        static bool IsTar(string path)
        {
            try
            {
                using var f = File.OpenRead(path);
                Stream s = f;
                var magic = new byte[2];
                if (f.Read(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) { f.Position = 0; s = new System.IO.Compression.GZipStream(f, System.IO.Compression.CompressionMode.Decompress); }
                else f.Position = 0;
                var header = new byte[512];
                var read = s.ReadAtLeast(header, 512, throwOnEndOfStream: false);
                return read == 512 && Encoding.ASCII.GetString(header, 257, 5) == "ustar";
            }
            catch (Exception e) when (e is IOException or InvalidDataException) { return false; }
        }

        /// <summary>Context sources: relative to the context, globs expanded, .dockerignore applied, never outside it.</summary>
        List<Source> ContextSources(IEnumerable<string> sources, Instruction ins, DockerIgnore? exclude = null)
        {
            var result = new List<Source>();
            foreach (var src in sources)
            {
                var rel = ContextRelative(src, ins);
                var matches = HasGlob(rel) ? Glob(_context, rel) : [rel];
                var any = false;
                foreach (var r in matches)
                {
                    if (r.Length > 0 && (_ignore.IsExcluded(r) || (exclude?.IsExcluded(r) ?? false))) continue;
                    var host = FsUtil.Resolve(_context, r, strict: true)
                        ?? throw Fail(ins.Line, $"{ins.Cmd.ToUpperInvariant()} {src}: outside the build context");
                    var st = FsUtil.LStat(host);
                    if (st is null) continue;
                    any = true;
                    result.Add(new Source(r, host, st.Value.Type == FsUtil.S_IFDIR, r));
                }
                if (!any) throw Fail(ins.Line, $"{ins.Cmd.ToUpperInvariant()} {src}: not found in the build context");
            }
            return result;
        }

        /// <summary>A source as a clean path relative to the context; <c>..</c> leaving it is an error.</summary>
        string ContextRelative(string src, Instruction ins)
        {
            var path = src;
            if (path.StartsWith(_context + "/", StringComparison.Ordinal)) path = path[(_context.Length + 1)..];
            var parts = new List<string>();
            foreach (var p in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                if (p == ".") continue;
                if (p == "..")
                {
                    if (parts.Count == 0) throw Fail(ins.Line, $"{ins.Cmd.ToUpperInvariant()} {src}: outside the build context");
                    parts.RemoveAt(parts.Count - 1);
                }
                else parts.Add(p);
            }
            return string.Join('/', parts);
        }

        /// <summary>Paths (relative to <paramref name="root"/>) matching a glob, one segment at a time, links not followed.</summary>
        static List<string> Glob(string root, string pattern)
        {
            var current = new List<string> { "" };
            foreach (var seg in pattern.Split('/'))
            {
                var next = new List<string>();
                foreach (var dir in current)
                {
                    var host = dir.Length == 0 ? root : Path.Combine(root, dir);
                    if (!HasGlob(seg)) { next.Add(dir.Length == 0 ? seg : dir + "/" + seg); continue; }
                    if (FsUtil.LStat(host) is not { Type: FsUtil.S_IFDIR }) continue;
                    var re = new Regex("^" + Regex.Escape(seg).Replace(@"\*", "[^/]*").Replace(@"\?", "[^/]").Replace(@"\[", "[").Replace(@"\]", "]") + "$");
                    foreach (var e in Directory.EnumerateFileSystemEntries(host).Select(Path.GetFileName).Order(StringComparer.Ordinal))
                        if (re.IsMatch(e!)) next.Add(dir.Length == 0 ? e! : dir + "/" + e);
                }
                current = next;
            }
            return current;
        }

        /// <summary>Sources in another stage's or image's root file system (links resolved inside it).</summary>
        IEnumerable<Source> RootSources(string root, string src, Instruction ins, string from)
        {
            var clean = FsUtil.CleanAbs(src).TrimStart('/');
            var matches = HasGlob(clean) ? Glob(root, clean) : [clean];
            var any = false;
            foreach (var r in matches)
            {
                var host = FsUtil.Resolve(root, r)!;
                var st = FsUtil.LStat(host);
                if (st is null) continue;
                any = true;
                yield return new Source(r, host, st.Value.Type == FsUtil.S_IFDIR, null);
            }
            if (!any) throw Fail(ins.Line, $"{ins.Cmd.ToUpperInvariant()} --from={from} {src}: not found");
        }

        /// <summary>A hash of the selected context files: paths, types, modes, sizes, contents, link targets.</summary>
        string ContextHash(IEnumerable<string> sources, Instruction ins, DockerIgnore? exclude = null)
        {
            using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            void Add(string text) => h.AppendData(Encoding.UTF8.GetBytes(text + "\0"));
            void Walk(string host, string rel)
            {
                var st = FsUtil.LStat(host);
                if (st is null) return;
                Add($"{rel}\0{st.Value.Type:x}\0{st.Value.Mode & 0xFFF:x}\0{st.Value.Size}");
                switch (st.Value.Type)
                {
                    case FsUtil.S_IFREG:
                        using (var f = File.OpenRead(host)) h.AppendData(SHA256.HashData(f));
                        break;
                    case FsUtil.S_IFLNK:
                        Add(new FileInfo(host).LinkTarget ?? "");
                        break;
                    case FsUtil.S_IFDIR:
                        foreach (var child in Directory.EnumerateFileSystemEntries(host).Order(StringComparer.Ordinal))
                        {
                            var cr = rel.Length == 0 ? Path.GetFileName(child) : rel + "/" + Path.GetFileName(child);
                            if (_ignore.IsExcluded(cr) || (exclude?.IsExcluded(cr) ?? false)) continue;
                            Walk(child, cr);
                        }
                        break;
                }
            }
            foreach (var src in ContextSources(sources, ins, exclude)) Walk(src.Host, src.ContextRel ?? src.Display);
            return Convert.ToHexStringLower(h.GetHashAndReset());
        }

        /// <summary>What a --from names, for a cache key: a stage's state key or an image's config digest.</summary>
        async Task<string> FromKeyAsync(string from, int stageIndex, int line)
        {
            if (StageIndex(from, stageIndex) is { } j)
                return _states.TryGetValue(j, out var st) ? "stage " + st.Key() : throw Fail(line, $"--from={from}: stage not built");
            var image = await ResolveImageAsync(from, line, "--from=");
            return "image " + image.ConfigDigest;
        }

        /// <summary>A read-only view of a stage's or image's root file system (mounted under <paramref name="dir"/>).</summary>
        async Task<string> RootOfAsync(string from, int stageIndex, int line, string dir)
        {
            List<OciDescriptor> layers;
            List<string> diffIds;
            if (StageIndex(from, stageIndex) is { } j)
            {
                var st = _states[j];
                (layers, diffIds) = (st.Layers, st.DiffIds);
            }
            else
            {
                var image = await ResolveImageAsync(from, line, "--from=");
                (layers, diffIds) = ([.. image.Layers], [.. image.DiffIds]);
            }
            IReadOnlyList<string> folders;
            try { folders = await b._store.UnpackLayersAsync(layers, diffIds, ct); }
            catch (InvalidDataException e) { throw Fail(line, $"--from={from}: {e.Message}", null, e); }
            if (folders.Count == 0)
            {
                var empty = Path.Combine(dir, "from-empty-" + Guid.NewGuid().ToString("N")[..8]);
                Directory.CreateDirectory(empty);
                return empty;
            }
            if (folders.Count == 1) return folders[0];
            var view = Path.Combine(dir, "from-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(view);
            try { Mounts.Mount("overlay", view, "overlay", 1 /* MS_RDONLY */, $"lowerdir={LowerDirs(folders.Reverse().ToList())}"); }
            catch (MountException e) { throw Fail(line, $"--from={from}: cannot mount its root file system: {e.Message}", null, e); }
            return view;
        }

        byte[] FinalConfig(StageState s)
        {
            var doc = new JsonObject
            {
                ["created"] = Stamp,
                ["architecture"] = Arch,
                ["os"] = "linux",
                ["config"] = s.Config.DeepClone(),
                ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = StringArray(s.DiffIds) },
                ["history"] = s.History.DeepClone(),
            };
            return Encoding.UTF8.GetBytes(doc.ToJsonString());
        }
    }
}
