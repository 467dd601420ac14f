using System.Globalization;

namespace Troupe.Api.Objects;

/// <summary>
/// A Kubernetes resource quantity as written in <c>resources.limits</c> / <c>requests</c>: a non-negative
/// decimal number with an optional suffix. Decimal SI: <c>n u m "" k M G T P E</c>; binary SI:
/// <c>Ki Mi Gi Ti Pi Ei</c>; decimal exponent: <c>e3</c>, <c>E-2</c>. <c>250m</c> CPU is 250 millicores,
/// <c>64Mi</c> memory is 67108864 bytes. Negative values, junk and values whose bytes do not fit in a
/// <see cref="long"/> are rejected.
/// </summary>
public readonly record struct Quantity
{
    Quantity(string text, decimal value)
    {
        Text = text;
        Value = value;
    }

    /// <summary>The quantity exactly as written.</summary>
    public string Text { get; }

    /// <summary>The quantity in base units (cores for CPU, bytes for memory).</summary>
    public decimal Value { get; }

    /// <summary>Largest value accepted: the bytes must fit in a <see cref="long"/>.</summary>
    public static decimal MaxValue => long.MaxValue;

    /// <summary>Parses a quantity; false for empty, negative, malformed or too large input.</summary>
    public static bool TryParse(string? text, out Quantity quantity)
    {
        quantity = default;
        if (string.IsNullOrEmpty(text) || text.Length > 64) return false;
        var s = text.AsSpan();
        var i = 0;
        if (s[0] == '+') i = 1;
        var numberStart = i;
        var digits = 0;
        var dot = false;
        for (; i < s.Length; i++)
        {
            var c = s[i];
            if (c is >= '0' and <= '9') digits++;
            else if (c == '.' && !dot) dot = true;
            else break;
        }
        if (digits == 0) return false;
        var number = s[numberStart..i];
        var suffix = s[i..];
        if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var mantissa))
            return false;
        if (!TryFactor(suffix, out var factor, out var divide)) return false;
        decimal value;
        try
        {
            value = divide ? mantissa / factor : mantissa * factor;
        }
        catch (OverflowException)
        {
            return false;
        }
        if (value > MaxValue) return false;
        quantity = new Quantity(text, value);
        return true;
    }

    /// <summary>Parses a quantity or throws <see cref="FormatException"/>.</summary>
    public static Quantity Parse(string text) =>
        TryParse(text, out var q) ? q : throw new FormatException($"quantity \"{text}\" is not valid");

    /// <summary>Thousandths of the base unit, rounded up as Kubernetes does (<c>250m</c> → 250, <c>0.5</c> → 500).</summary>
    /// <exception cref="OverflowException">The value is too large (over about 9.2e15 base units).</exception>
    public long ToMilli() => checked((long)decimal.Ceiling(Value * 1000m));

    /// <summary>The value in base units rounded up (<c>64Mi</c> → 67108864, <c>1e3</c> → 1000).</summary>
    public long ToBytes() => (long)decimal.Ceiling(Value);

    /// <summary>True when <see cref="ToMilli"/> does not overflow.</summary>
    public bool FitsMilli => Value <= long.MaxValue / 1000m;

    public override string ToString() => Text;

    static bool TryFactor(ReadOnlySpan<char> suffix, out decimal factor, out bool divide)
    {
        divide = false;
        factor = 1m;
        switch (suffix)
        {
            case "": return true;
            case "n": factor = 1_000_000_000m; divide = true; return true;
            case "u": factor = 1_000_000m; divide = true; return true;
            case "m": factor = 1_000m; divide = true; return true;
            case "k": factor = 1e3m; return true;
            case "M": factor = 1e6m; return true;
            case "G": factor = 1e9m; return true;
            case "T": factor = 1e12m; return true;
            case "P": factor = 1e15m; return true;
            case "E": factor = 1e18m; return true;
            case "Ki": factor = 1L << 10; return true;
            case "Mi": factor = 1L << 20; return true;
            case "Gi": factor = 1L << 30; return true;
            case "Ti": factor = 1L << 40; return true;
            case "Pi": factor = 1L << 50; return true;
            case "Ei": factor = 1L << 60; return true;
        }
        if (suffix.Length < 2 || suffix[0] is not ('e' or 'E')) return false;
        var exp = suffix[1..];
        var sign = 1;
        if (exp[0] is '+' or '-')
        {
            sign = exp[0] == '-' ? -1 : 1;
            exp = exp[1..];
        }
        if (exp.Length is 0 or > 2) return false;
        var e = 0;
        foreach (var c in exp)
        {
            if (c is < '0' or > '9') return false;
            e = e * 10 + (c - '0');
        }
        if (e > 27) return false;
        factor = 1m;
        for (var k = 0; k < e; k++) factor *= 10m;
        divide = sign < 0;
        return true;
    }
}
