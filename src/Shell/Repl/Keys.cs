using System.Text;

namespace Troupe.Shell.Repl;

/// <summary>What a key press means to the line editor. INTERNAL API.</summary>
internal enum KeyKind
{
    /// <summary>Text to insert (<see cref="Key.Text"/>).</summary>
    Text,
    Enter, Tab, Backspace, Delete, Left, Right, Home, End, Up, Down, WordLeft, WordRight,
    /// <summary>Alt-Backspace: the word before the cursor goes. Alt-D: the word after it.</summary>
    DeleteWordLeft, DeleteWordRight,
    /// <summary>A control key (<see cref="Key.Text"/> is its letter, <c>"a"</c> for Ctrl-A).</summary>
    Control,
    /// <summary>stdin ended.</summary>
    EndOfInput,
    /// <summary>A key the editor ignores (a lone Escape, an unknown sequence).</summary>
    None,
}

/// <summary>One key press. INTERNAL API.</summary>
internal readonly record struct Key(KeyKind Kind, string Text = "")
{
    public static Key Of(KeyKind kind) => new(kind);
    public static Key Ctrl(char letter) => new(KeyKind.Control, letter.ToString());
    public static Key Type(string text) => new(KeyKind.Text, text);
}

/// <summary>
/// Turns the bytes a terminal sends into keys: UTF-8 text, control characters, and the escape sequences of
/// xterm and the Linux console (<c>ESC [ A</c>, <c>ESC O H</c>, <c>ESC [ 3 ~</c>, <c>ESC [ 1 ; 5 C</c>). A byte
/// source returns the next byte within a wait in milliseconds (-1: forever), -1 when the wait ran out, -2 at the
/// end of input. INTERNAL API.
/// </summary>
internal sealed class KeyDecoder(Func<int, int> readByte)
{
    /// <summary>How long the rest of an escape sequence may take to come after its ESC.</summary>
    const int SequenceWaitMs = 50;

    public Key Next()
    {
        var b = readByte(-1);
        if (b < 0) return Key.Of(KeyKind.EndOfInput);
        switch (b)
        {
            case '\r' or '\n': return Key.Of(KeyKind.Enter);
            case '\t': return Key.Of(KeyKind.Tab);
            case 0x7f or 0x08: return Key.Of(KeyKind.Backspace);
            case 0x1b: return Escape();
            case < 0x20: return b is >= 1 and <= 26 ? Key.Ctrl((char)('a' + b - 1)) : Key.Of(KeyKind.None);
            case < 0x80: return Key.Type(((char)b).ToString());
            default: return Utf8(b);
        }
    }

    Key Escape()
    {
        var b = readByte(SequenceWaitMs);
        switch (b)
        {
            case < 0: return Key.Of(KeyKind.None);
            case '[' or 'O': return Sequence();
            case 'b' or 'B': return Key.Of(KeyKind.WordLeft);
            case 'f' or 'F': return Key.Of(KeyKind.WordRight);
            case 'd' or 'D': return Key.Of(KeyKind.DeleteWordRight);
            case 0x7f or 0x08: return Key.Of(KeyKind.DeleteWordLeft);
            default: return Key.Of(KeyKind.None);
        }
    }

    /// <summary>After <c>ESC [</c> or <c>ESC O</c>: parameters (digits and <c>;</c>), then the final byte.</summary>
    Key Sequence()
    {
        var parameters = new StringBuilder();
        while (true)
        {
            var b = readByte(SequenceWaitMs);
            if (b < 0) return Key.Of(KeyKind.None);
            if (b is >= '0' and <= '9' or ';')
            {
                parameters.Append((char)b);
                continue;
            }
            var p = parameters.ToString().Split(';');
            var ctrl = p.Length > 1 && p[1] is "5" or "3"; // Ctrl or Alt held: a word at a time
            return (char)b switch
            {
                'A' => Key.Of(KeyKind.Up),
                'B' => Key.Of(KeyKind.Down),
                'C' => Key.Of(ctrl ? KeyKind.WordRight : KeyKind.Right),
                'D' => Key.Of(ctrl ? KeyKind.WordLeft : KeyKind.Left),
                'H' => Key.Of(KeyKind.Home),
                'F' => Key.Of(KeyKind.End),
                '~' => p[0] switch
                {
                    "1" or "7" => Key.Of(KeyKind.Home),
                    "4" or "8" => Key.Of(KeyKind.End),
                    "3" => Key.Of(KeyKind.Delete),
                    _ => Key.Of(KeyKind.None), // Insert, Page Up/Down, function keys
                },
                _ => Key.Of(KeyKind.None),
            };
        }
    }

    Key Utf8(int lead)
    {
        var length = lead switch { >= 0xf0 => 4, >= 0xe0 => 3, >= 0xc0 => 2, _ => 1 };
        var bytes = new byte[length];
        bytes[0] = (byte)lead;
        for (var i = 1; i < length; i++)
        {
            var b = readByte(SequenceWaitMs);
            if (b < 0) return Key.Of(KeyKind.None);
            bytes[i] = (byte)b;
        }
        var text = Encoding.UTF8.GetString(bytes);
        return text == "\uFFFD" ? Key.Of(KeyKind.None) : Key.Type(text);
    }
}
