using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Troupe.Api.Dockerfiles;

/// <summary>The <c>troupe build --check</c> output: one JSON object per instruction, keys in the order
/// <c>cmd</c>, <c>flags</c>, <c>args</c>, <c>line</c>, then <c>heredocs</c> when there are any.</summary>
public static class DockerfileJson
{
    /// <summary>Writer options for check lines: no HTML escaping (<c>&lt;&lt;EOF</c> stays readable), no indentation.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    public static void WriteCheckLine(Instruction instruction, Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("cmd", instruction.Cmd);
        writer.WriteStartArray("flags");
        foreach (var f in instruction.Flags) writer.WriteStringValue(f);
        writer.WriteEndArray();
        writer.WriteStartArray("args");
        switch (instruction.Args)
        {
            case ShellArgs s:
                writer.WriteStringValue(s.Text);
                break;
            case ListArgs l:
                foreach (var item in l.Items) writer.WriteStringValue(item);
                break;
            case KeyValueArgs kv:
                foreach (var p in kv.Pairs)
                {
                    writer.WriteStringValue(p.Key);
                    if (p.Value is null) writer.WriteNullValue();
                    else writer.WriteStringValue(p.Value);
                }
                break;
            case NestedArgs n:
                WriteCheckLine(n.Instruction, writer);
                break;
        }
        writer.WriteEndArray();
        writer.WriteNumber("line", instruction.Line);
        if (!instruction.Heredocs.IsDefaultOrEmpty)
        {
            writer.WriteStartArray("heredocs");
            foreach (var h in instruction.Heredocs)
            {
                writer.WriteStartObject();
                writer.WriteString("name", h.Name);
                writer.WriteString("body", h.Body);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
    }

    /// <summary>One check line as a string (no trailing newline).</summary>
    public static string CheckLine(Instruction instruction)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions)) WriteCheckLine(instruction, writer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Every instruction's check line, each followed by a newline: what <c>build --check</c> prints.</summary>
    public static string CheckLines(Dockerfile dockerfile)
    {
        var sb = new StringBuilder();
        foreach (var i in dockerfile.Instructions) sb.Append(CheckLine(i)).Append('\n');
        return sb.ToString();
    }
}
