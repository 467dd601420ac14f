using System.Globalization;
using System.Text;
using System.Text.Json;
using Troupe.Api.Manifests;

namespace Troupe.Api.Compose;

/// <summary>
/// Prints a <see cref="ComposeFile"/> the way <c>docker compose config</c> does: <c>name:</c> first, then the
/// services sorted by name with their keys sorted, every value in its normal form (environment as a map, ports,
/// volumes and depends_on in their long form, build as a map with an absolute context, durations as Go prints
/// them, memory in bytes), then the top-level networks, volumes and secrets. JSON is written with
/// <see cref="Utf8JsonWriter"/> (no reflection) and YAML made from it by <see cref="YamlWriter"/>.
/// </summary>
public static class ComposeWriter
{
    /// <summary>The normalised file as YAML.</summary>
    public static string ToYaml(ComposeFile file) => YamlWriter.FromJson(ToJson(file));

    /// <summary>The normalised file as JSON (<c>docker compose config --format json</c>).</summary>
    public static string ToJson(ComposeFile file, bool indented = false)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
        {
            w.WriteStartObject();
            w.WriteString("name", file.Name);
            w.WriteStartObject("services");
            foreach (var (name, s) in file.Services)
            {
                w.WritePropertyName(name);
                Service(w, s);
            }
            w.WriteEndObject();
            if (!file.Networks.IsEmpty)
            {
                w.WriteStartObject("networks");
                foreach (var (key, n) in file.Networks)
                {
                    w.WriteStartObject(key);
                    w.WriteString("name", n.Name);
                    if (n.Driver is { } d) w.WriteString("driver", d);
                    Map(w, "driver_opts", n.DriverOpts);
                    if (n.External) w.WriteBoolean("external", true);
                    if (n.Internal) w.WriteBoolean("internal", true);
                    Map(w, "labels", n.Labels);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            if (!file.Volumes.IsEmpty)
            {
                w.WriteStartObject("volumes");
                foreach (var (key, v) in file.Volumes)
                {
                    w.WriteStartObject(key);
                    w.WriteString("name", v.Name);
                    if (v.Driver is { } d) w.WriteString("driver", d);
                    Map(w, "driver_opts", v.DriverOpts);
                    if (v.External) w.WriteBoolean("external", true);
                    Map(w, "labels", v.Labels);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            if (!file.Secrets.IsEmpty)
            {
                w.WriteStartObject("secrets");
                foreach (var (key, s) in file.Secrets)
                {
                    w.WriteStartObject(key);
                    w.WriteString("name", s.Name);
                    if (s.File is { } f) w.WriteString("file", f);
                    if (s.Environment is { } e) w.WriteString("environment", e);
                    if (s.External) w.WriteBoolean("external", true);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    static void Service(Utf8JsonWriter w, ComposeService s)
    {
        w.WriteStartObject();
        if (s.Build is { } b)
        {
            w.WriteStartObject("build");
            w.WriteString("context", b.Context);
            w.WriteString("dockerfile", b.Dockerfile);
            NullableMap(w, "args", b.Args);
            if (b.Target is { } t) w.WriteString("target", t);
            w.WriteEndObject();
        }
        if (s.Command is { } cmd) List(w, "command", cmd);
        if (s.ContainerName is { } cn) w.WriteString("container_name", cn);
        if (!s.DependsOn.IsEmpty)
        {
            w.WriteStartObject("depends_on");
            foreach (var (dep, d) in s.DependsOn)
            {
                w.WriteStartObject(dep);
                w.WriteString("condition", d.Condition);
                if (d.Restart) w.WriteBoolean("restart", true);
                w.WriteBoolean("required", d.Required);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        if (s.Replicas is not null || s.Limits is not null || s.Reservations is not null)
        {
            w.WriteStartObject("deploy");
            if (s.Replicas is { } n) w.WriteNumber("replicas", n);
            if (s.Limits is not null || s.Reservations is not null)
            {
                w.WriteStartObject("resources");
                Resources(w, "limits", s.Limits);
                Resources(w, "reservations", s.Reservations);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        if (s.Entrypoint is { } ep) List(w, "entrypoint", ep);
        if (!s.EnvFiles.IsDefaultOrEmpty)
        {
            w.WriteStartArray("env_file");
            foreach (var f in s.EnvFiles)
            {
                w.WriteStartObject();
                w.WriteString("path", f.Path);
                w.WriteBoolean("required", f.Required);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        NullableMap(w, "environment", s.Environment);
        if (!s.Expose.IsDefaultOrEmpty) List(w, "expose", s.Expose);
        if (s.Healthcheck is { } h)
        {
            w.WriteStartObject("healthcheck");
            if (!h.Test.IsDefaultOrEmpty) List(w, "test", h.Test);
            Duration(w, "timeout", h.Timeout);
            Duration(w, "interval", h.Interval);
            if (h.Retries is { } r) w.WriteNumber("retries", r);
            Duration(w, "start_period", h.StartPeriod);
            Duration(w, "start_interval", h.StartInterval);
            if (h.Disable) w.WriteBoolean("disable", true);
            w.WriteEndObject();
        }
        if (s.Hostname is { } host) w.WriteString("hostname", host);
        if (s.Image is { } image) w.WriteString("image", image);
        if (s.Init is { } init) w.WriteBoolean("init", init);
        Map(w, "labels", s.Labels);
        w.WriteStartObject("networks");
        foreach (var (n, net) in s.Networks)
        {
            if (net is null) { w.WriteNull(n); continue; }
            w.WriteStartObject(n);
            if (!net.Aliases.IsDefaultOrEmpty) List(w, "aliases", net.Aliases);
            if (net.Ipv4Address is { } ip) w.WriteString("ipv4_address", ip);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        if (!s.Ports.IsDefaultOrEmpty)
        {
            w.WriteStartArray("ports");
            foreach (var p in s.Ports)
            {
                w.WriteStartObject();
                if (p.Name is { } pn) w.WriteString("name", pn);
                w.WriteString("mode", p.Mode);
                if (p.HostIp is { } hip) w.WriteString("host_ip", hip);
                w.WriteNumber("target", p.Target);
                if (p.Published is { } pub) w.WriteString("published", pub);
                w.WriteString("protocol", p.Protocol);
                if (p.AppProtocol is { } ap) w.WriteString("app_protocol", ap);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        if (!s.Profiles.IsDefaultOrEmpty) List(w, "profiles", s.Profiles);
        if (s.Restart is { } restart) w.WriteString("restart", restart);
        if (!s.Secrets.IsDefaultOrEmpty)
        {
            w.WriteStartArray("secrets");
            foreach (var sec in s.Secrets)
            {
                w.WriteStartObject();
                w.WriteString("source", sec.Source);
                if (sec.Target is { } t) w.WriteString("target", t);
                if (sec.Uid is { } uid) w.WriteString("uid", uid);
                if (sec.Gid is { } gid) w.WriteString("gid", gid);
                if (sec.Mode is { } mode) w.WriteNumber("mode", mode);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        if (s.StdinOpen is { } si) w.WriteBoolean("stdin_open", si);
        Duration(w, "stop_grace_period", s.StopGracePeriod);
        if (s.StopSignal is { } sig) w.WriteString("stop_signal", sig);
        if (s.Tty is { } tty) w.WriteBoolean("tty", tty);
        if (s.User is { } user) w.WriteString("user", user);
        if (!s.Volumes.IsDefaultOrEmpty)
        {
            w.WriteStartArray("volumes");
            foreach (var v in s.Volumes)
            {
                w.WriteStartObject();
                w.WriteString("type", v.Type);
                if (v.Source is { } src) w.WriteString("source", src);
                w.WriteString("target", v.Target);
                if (v.ReadOnly) w.WriteBoolean("read_only", true);
                if (v.Type == "bind" && v.CreateHostPath)
                {
                    w.WriteStartObject("bind");
                    w.WriteBoolean("create_host_path", true);
                    w.WriteEndObject();
                }
                if (v.Type == "volume")
                {
                    w.WriteStartObject("volume");
                    if (v.Subpath is { } sp) w.WriteString("subpath", sp);
                    w.WriteEndObject();
                }
                if (v.TmpfsSize is { } size)
                {
                    w.WriteStartObject("tmpfs");
                    w.WriteNumber("size", size);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        if (s.WorkingDir is { } wd) w.WriteString("working_dir", wd);
        w.WriteEndObject();
    }

    static void Resources(Utf8JsonWriter w, string name, ComposeResources? r)
    {
        if (r is null) return;
        w.WriteStartObject(name);
        if (r.Cpus is { } cpus) Cpus(w, cpus);
        if (r.MemoryBytes is { } mem) w.WriteString("memory", mem.ToString(CultureInfo.InvariantCulture));
        if (r.Pids is { } pids) w.WriteNumber("pids", pids);
        w.WriteEndObject();
    }

    /// <summary>compose prints cpus as a string of the number (<c>cpus: "0.5"</c>).</summary>
    static void Cpus(Utf8JsonWriter w, string number) =>
        w.WriteString("cpus", decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d)
            ? d.ToString(CultureInfo.InvariantCulture) : number);

    static void Duration(Utf8JsonWriter w, string name, TimeSpan? d)
    {
        if (d is { } v) w.WriteString(name, ComposeValues.FormatDuration(v));
    }

    static void List(Utf8JsonWriter w, string name, IEnumerable<string> items)
    {
        w.WriteStartArray(name);
        foreach (var i in items) w.WriteStringValue(i);
        w.WriteEndArray();
    }

    static void Map(Utf8JsonWriter w, string name, IReadOnlyDictionary<string, string> map)
    {
        if (map.Count == 0) return;
        w.WriteStartObject(name);
        foreach (var (k, v) in map) w.WriteString(k, v);
        w.WriteEndObject();
    }

    static void NullableMap(Utf8JsonWriter w, string name, IReadOnlyDictionary<string, string?> map)
    {
        if (map.Count == 0) return;
        w.WriteStartObject(name);
        foreach (var (k, v) in map)
            if (v is null) w.WriteNull(k);
            else w.WriteString(k, v);
        w.WriteEndObject();
    }
}
