using System.Text;
using Troupe.Shell.Repl;

namespace Troupe.Shell.Tests.Repl;

/// <summary>A terminal whose keys come from a script and whose output is kept; then the end of input.</summary>
internal sealed class ScriptedTerminal(int width = 80) : ITerminal
{
    readonly Queue<Key> _keys = new();
    readonly StringBuilder _output = new();

    public int RawModes { get; private set; }

    public string Output => _output.ToString();

    /// <summary>Typed text, one key per character.</summary>
    public ScriptedTerminal Type(string text)
    {
        foreach (var c in text) _keys.Enqueue(c == '\t' ? Key.Of(KeyKind.Tab) : c == '\n' ? Key.Of(KeyKind.Enter) : Key.Type(c.ToString()));
        return this;
    }

    public ScriptedTerminal Press(params Key[] keys)
    {
        foreach (var k in keys) _keys.Enqueue(k);
        return this;
    }

    public ScriptedTerminal Press(params KeyKind[] keys) => Press(keys.Select(Key.Of).ToArray());

    public Key ReadKey() => _keys.Count > 0 ? _keys.Dequeue() : Key.Of(KeyKind.EndOfInput);

    public void Write(string text) => _output.Append(text);

    public int Width => width;

    public IDisposable? Raw()
    {
        RawModes++;
        return null;
    }
}
