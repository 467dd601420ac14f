using System.Text;
using Troupe.Shell.Repl;
using Xunit;

namespace Troupe.Shell.Tests.Repl;

public sealed class KeyDecoderSpec
{
    static List<Key> Decode(string bytes)
    {
        var data = Encoding.UTF8.GetBytes(bytes);
        var at = 0;
        var decoder = new KeyDecoder(_ => at < data.Length ? data[at++] : -2);
        var keys = new List<Key>();
        for (var k = decoder.Next(); k.Kind != KeyKind.EndOfInput; k = decoder.Next()) keys.Add(k);
        return keys;
    }

    [Fact]
    public void KeyDecoder_must_read_text_control_keys_and_the_escape_sequences_of_xterm_and_the_console()
    {
        Assert.Equal(
        [
            Key.Type("a"), Key.Type("é"), Key.Type("日"), Key.Of(KeyKind.Enter), Key.Of(KeyKind.Tab), Key.Of(KeyKind.Backspace),
            Key.Ctrl('a'), Key.Ctrl('c'), Key.Ctrl('w'),
            Key.Of(KeyKind.Up), Key.Of(KeyKind.Down), Key.Of(KeyKind.Right), Key.Of(KeyKind.Left),
            Key.Of(KeyKind.Home), Key.Of(KeyKind.End), Key.Of(KeyKind.Home), Key.Of(KeyKind.End), Key.Of(KeyKind.Delete),
            Key.Of(KeyKind.WordRight), Key.Of(KeyKind.WordLeft), Key.Of(KeyKind.WordLeft), Key.Of(KeyKind.DeleteWordLeft),
            Key.Of(KeyKind.None),
        ], Decode("aé日\r\t\x7f\x01\x03\x17\x1b[A\x1b[B\x1b[C\x1b[D\x1b[H\x1bOF\x1b[1~\x1b[4~\x1b[3~\x1b[1;5C\x1b[1;5D\u001bb\x1b\x7f\x1b[5~"));
    }

    [Fact]
    public void KeyDecoder_must_take_a_lone_escape_as_no_key()
    {
        var data = new Queue<int>([0x1b, -1, 'x']);
        var decoder = new KeyDecoder(_ => data.Count > 0 ? data.Dequeue() : -2);
        Assert.Equal(Key.Of(KeyKind.None), decoder.Next());
        Assert.Equal(Key.Type("x"), decoder.Next());
        Assert.Equal(KeyKind.EndOfInput, decoder.Next().Kind);
    }
}
