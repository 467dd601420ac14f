using System.Collections.Immutable;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Troupe.Api.Manifests;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;

namespace Troupe.Shell.Rendering;

/// <summary>The <c>-o</c> forms: table (default), <c>wide</c>, <c>json</c>, <c>yaml</c>, <c>name</c>, <c>jsonpath=...</c>.</summary>
public sealed record OutputFormat(string Kind, string? Template = null)
{
    public static readonly OutputFormat Table = new("table");

    public bool IsTable => Kind is "table" or "wide";
    public bool Wide => Kind == "wide";

    /// <summary>Parses <c>-o</c>'s value; an unknown form is a usage error.</summary>
    public static OutputFormat Parse(string? o)
    {
        if (o is null or "") return Table;
        if (o is "json" or "yaml" or "wide" or "name") return new(o);
        foreach (var prefix in (string[])["jsonpath=", "jsonpath-as-json=", "jsonpath="])
            if (o.StartsWith(prefix, StringComparison.Ordinal))
                return new("jsonpath", o[prefix.Length..]);
        if (o.StartsWith("custom-columns", StringComparison.Ordinal) || o.StartsWith("go-template", StringComparison.Ordinal))
            throw ShellException.NotImplemented($"get -o {o.Split('=')[0]}");
        throw ShellException.Usage($"unable to match a printer suitable for the output format \"{o}\", allowed formats are: json,jsonpath,name,wide,yaml");
    }
}

public static class ObjectOutput
{
    /// <summary>An object's JSON, indented as kubectl prints it.</summary>
    public static string Json(KubeObject o) => Indent(JsonSerializer.SerializeToUtf8Bytes(o, ProtocolJsonContext.Default.KubeObject));

    /// <summary><c>{"apiVersion":"v1","kind":"List","items":[...]}</c>, indented.</summary>
    public static string Json(IReadOnlyList<KubeObject> items) =>
        Indent(JsonSerializer.SerializeToUtf8Bytes(new KubeList(items.ToImmutableArray()), ProtocolJsonContext.Default.KubeList));

    static readonly JsonWriterOptions Pretty = new() { Indented = true, IndentSize = 4, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Re-indents compact JSON, putting <c>apiVersion</c> and <c>kind</c> first as kubectl does.</summary>
    public static string Indent(ReadOnlySpan<byte> utf8)
    {
        using var doc = JsonDocument.Parse(utf8.ToArray());
        var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, Pretty)) Write(w, doc.RootElement);
        return Encoding.UTF8.GetString(ms.GetBuffer(), 0, (int)ms.Length) + "\n";
    }

    static void Write(Utf8JsonWriter w, JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            w.WriteStartObject();
            var hasKind = e.TryGetProperty("kind", out var kind) && kind.ValueKind == JsonValueKind.String;
            if (hasKind && e.TryGetProperty("apiVersion", out var api))
            {
                w.WritePropertyName("apiVersion");
                api.WriteTo(w);
                w.WritePropertyName("kind");
                kind.WriteTo(w);
            }
            foreach (var p in e.EnumerateObject())
            {
                if (hasKind && p.NameEquals("kind")) continue;
                if (hasKind && p.NameEquals("apiVersion")) continue;
                w.WritePropertyName(p.Name);
                Write(w, p.Value);
            }
            w.WriteEndObject();
        }
        else if (e.ValueKind == JsonValueKind.Array)
        {
            w.WriteStartArray();
            foreach (var x in e.EnumerateArray()) Write(w, x);
            w.WriteEndArray();
        }
        else e.WriteTo(w);
    }

    /// <summary><c>deployment.apps/web</c>: <c>-o name</c>.</summary>
    public static string Name(KubeObject o) => $"{Kinds.ResourceWord(o.Kind)}/{o.Metadata.Name}";

    /// <summary>
    /// Prints objects in a non-table format. <paramref name="single"/>: one object was asked for by name, so it
    /// is printed itself rather than as a List.
    /// </summary>
    public static void Write(TextWriter w, OutputFormat format, IReadOnlyList<KubeObject> items, bool single)
    {
        switch (format.Kind)
        {
            case "json":
                w.Write(single && items.Count == 1 ? Json(items[0]) : Json(items));
                break;
            case "yaml":
                w.Write(YamlWriter.FromJson(single && items.Count == 1 ? Json(items[0]) : Json(items)));
                break;
            case "name":
                foreach (var o in items) w.WriteLine(Name(o));
                break;
            case "jsonpath":
                var json = single && items.Count == 1 ? Json(items[0]) : Json(items);
                try { w.Write(JsonPath.Evaluate(json, format.Template ?? "")); }
                catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException or KeyNotFoundException)
                {
                    throw ShellException.User($"error executing jsonpath \"{format.Template}\": {e.Message.ReplaceLineEndings(" ")}");
                }
                break;
            default:
                throw new InvalidOperationException(format.Kind);
        }
    }
}
