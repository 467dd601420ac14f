using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Troupe.Api.Compose;

/// <summary>The value syntaxes of the Compose specification: durations, byte sizes and shell words.</summary>
public static class ComposeValues
{
    /// <summary>
    /// A Go-style duration as compose writes them: <c>1m30s</c>, <c>10s</c>, <c>500ms</c>, <c>1.5h</c>, <c>2us</c>; a
    /// bare number is seconds. Returns null and a reason when it is not one.
    /// </summary>
    public static TimeSpan? ParseDuration(string text, out string? error)
    {
        error = null;
        var s = text.Trim();
        if (s.Length == 0) { error = "must be a duration such as 10s, 1m30s or 500ms, got an empty string"; return null; }
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var bare))
            return bare < 0 ? Bad(text, out error, "must not be negative") : TimeSpan.FromSeconds(bare);
        double ticks = 0;
        var i = 0;
        var negative = false;
        if (s[0] is '+' or '-') { negative = s[0] == '-'; i++; }
        if (i == s.Length) return Bad(text, out error);
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
            if (start == i || !double.TryParse(s[start..i], NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                return Bad(text, out error);
            var unitStart = i;
            while (i < s.Length && !char.IsAsciiDigit(s[i]) && s[i] != '.') i++;
            double unit = s[unitStart..i] switch
            {
                "ns" => 0.01,
                "us" or "µs" or "μs" => 10,
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                "h" => TimeSpan.TicksPerHour,
                _ => -1,
            };
            if (unit < 0) return Bad(text, out error);
            ticks += number * unit;
            if (ticks > TimeSpan.MaxValue.Ticks) return Bad(text, out error, "is too long");
        }
        if (negative && ticks > 0) return Bad(text, out error, "must not be negative");
        return TimeSpan.FromTicks((long)ticks);
    }

    static TimeSpan? Bad(string text, out string error, string? why = null)
    {
        error = why is null ? $"invalid duration \"{text}\": use a number and a unit, such as 10s, 1m30s or 500ms" : $"invalid duration \"{text}\": {why}";
        return null;
    }

    /// <summary>A duration as Go prints it, as <c>docker compose config</c> does: <c>1m30s</c>, <c>10s</c>, <c>500ms</c>, <c>0s</c>.</summary>
    public static string FormatDuration(TimeSpan d)
    {
        if (d == TimeSpan.Zero) return "0s";
        if (d < TimeSpan.FromSeconds(1))
        {
            if (d.Ticks % TimeSpan.TicksPerMillisecond == 0) return $"{d.Ticks / TimeSpan.TicksPerMillisecond}ms";
            return $"{(d.Ticks / 10.0).ToString(CultureInfo.InvariantCulture)}µs";
        }
        var sb = new StringBuilder();
        var hours = (long)d.TotalHours;
        if (hours > 0) sb.Append(hours.ToString(CultureInfo.InvariantCulture)).Append('h');
        if (hours > 0 || d.Minutes > 0) sb.Append(d.Minutes.ToString(CultureInfo.InvariantCulture)).Append('m');
        var seconds = d.Seconds + (d.Ticks % TimeSpan.TicksPerSecond) / (double)TimeSpan.TicksPerSecond;
        sb.Append(seconds.ToString("0.#########", CultureInfo.InvariantCulture)).Append('s');
        return sb.ToString();
    }

    /// <summary>
    /// A byte size as compose reads them: a number of bytes, or with a unit <c>b</c>, <c>k</c>/<c>kb</c>, <c>m</c>/<c>mb</c>,
    /// <c>g</c>/<c>gb</c>, <c>t</c>, <c>p</c> (powers of 1024, any case; <c>KiB</c> too). Null when it is not one.
    /// </summary>
    public static long? ParseBytes(string text)
    {
        var s = text.Trim().ToLowerInvariant();
        var i = 0;
        while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
        if (i == 0 || !decimal.TryParse(s[..i], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n)) return null;
        var unit = s[i..].Trim();
        if (unit.EndsWith("ib", StringComparison.Ordinal)) unit = unit[..^2];
        else if (unit.Length > 1 && unit.EndsWith('b')) unit = unit[..^1];
        decimal factor = unit switch
        {
            "" or "b" => 1,
            "k" => 1L << 10,
            "m" => 1L << 20,
            "g" => 1L << 30,
            "t" => 1L << 40,
            "p" => 1L << 50,
            _ => -1,
        };
        if (factor < 0) return null;
        var bytes = n * factor;
        return bytes > long.MaxValue ? null : (long)decimal.Ceiling(bytes);
    }

    /// <summary>
    /// A command string split into words as compose does (POSIX shell quoting, no expansion): spaces separate,
    /// <c>'...'</c> is literal, <c>"..."</c> keeps spaces and takes <c>\"</c>, <c>\\</c>, <c>\$</c> and <c>\`</c>, a
    /// backslash outside quotes escapes the next character.
    /// </summary>
    /// <exception cref="FormatException">A quote is not closed.</exception>
    public static ImmutableArray<string> SplitShellWords(string text)
    {
        var words = ImmutableArray.CreateBuilder<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case ' ' or '\t' or '\n' or '\r':
                    if (inWord) { words.Add(word.ToString()); word.Clear(); inWord = false; }
                    break;
                case '\'':
                    inWord = true;
                    var close = text.IndexOf('\'', i + 1);
                    if (close < 0) throw new FormatException($"unclosed single quote in \"{text}\"");
                    word.Append(text, i + 1, close - i - 1);
                    i = close;
                    break;
                case '"':
                    inWord = true;
                    for (i++; ; i++)
                    {
                        if (i >= text.Length) throw new FormatException($"unclosed double quote in \"{text}\"");
                        if (text[i] == '"') break;
                        if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\' or '$' or '`' or '\n') i++;
                        word.Append(text[i]);
                    }
                    break;
                case '\\':
                    inWord = true;
                    if (i + 1 < text.Length) word.Append(text[++i]);
                    break;
                default:
                    inWord = true;
                    word.Append(c);
                    break;
            }
        }
        if (inWord) words.Add(word.ToString());
        return words.ToImmutable();
    }

    /// <summary>
    /// A project name as compose normalises it: lower case, only <c>[a-z0-9_-]</c> kept; empty when nothing is left.
    /// A name that does not start with a letter or digit after that is invalid (<see cref="ProjectNameError"/>).
    /// </summary>
    public static string NormaliseProjectName(string name)
    {
        var sb = new StringBuilder(name.Length);
        foreach (var c in name.ToLowerInvariant())
            if (char.IsAsciiLetterOrDigit(c) || c is '_' or '-') sb.Append(c);
        var s = sb.ToString();
        return s.TrimStart('_', '-');
    }

    /// <summary>Why <paramref name="name"/> is not a valid project name, or null.</summary>
    public static string? ProjectNameError(string name)
    {
        if (name.Length == 0) return "project name must not be empty";
        if (!char.IsAsciiLetterOrDigit(name[0]) || name.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-')))
            return $"invalid project name \"{name}\": must contain only lowercase letters, digits, dashes and underscores, and start with a letter or digit";
        return null;
    }
}
