namespace Troupe.Shell.Commands;

/// <summary>
/// One flag a verb accepts: its names (<c>-o</c>, <c>--output</c>), whether it takes a value, and whether the value
/// is optional (then only the <c>--flag=value</c> form sets it, as <c>--dry-run[=client]</c>).
/// </summary>
public sealed record Flag(string Key, string[] Names, bool TakesValue = false, bool OptionalValue = false, bool Repeatable = false)
{
    public static Flag Bool(string key, params string[] names) => new(key, names);
    public static Flag Value(string key, params string[] names) => new(key, names, TakesValue: true);
    public static Flag Many(string key, params string[] names) => new(key, names, TakesValue: true, Repeatable: true);
    public static Flag Optional(string key, params string[] names) => new(key, names, TakesValue: true, OptionalValue: true);
}

/// <summary>
/// What a verb's arguments parsed to. A hand-written parser, because the shell must start in milliseconds:
/// pflag's forms (<c>-o json</c>, <c>-ojson</c>, <c>-o=json</c>, <c>--output=json</c>), <c>--</c> ends the flags,
/// unknown flags are usage errors (exit 2).
/// </summary>
public sealed class Args
{
    readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    public List<string> Positionals { get; } = [];

    /// <summary>Everything after <c>--</c> (also kept in <see cref="Positionals"/>).</summary>
    public List<string> AfterDashes { get; } = [];

    public bool Has(string key) => _values.ContainsKey(key);
    public string? Get(string key) => _values.TryGetValue(key, out var v) ? v[^1] : null;
    public IReadOnlyList<string> All(string key) => _values.TryGetValue(key, out var v) ? v : [];

    public static Args Parse(IReadOnlyList<string> args, int start, IReadOnlyList<Flag> flags)
    {
        var result = new Args();
        for (var i = start; i < args.Count; i++)
        {
            var a = args[i];
            if (a == "--")
            {
                for (i++; i < args.Count; i++)
                {
                    result.Positionals.Add(args[i]);
                    result.AfterDashes.Add(args[i]);
                }
                break;
            }
            if (a.Length < 2 || a[0] != '-' || a == "-")
            {
                result.Positionals.Add(a);
                continue;
            }

            string name;
            string? inline = null;
            if (a.StartsWith("--", StringComparison.Ordinal))
            {
                var eq = a.IndexOf('=');
                name = eq > 0 ? a[..eq] : a;
                if (eq > 0) inline = a[(eq + 1)..];
            }
            else
            {
                name = a[..2];
                if (a.Length > 2) inline = a[2] == '=' ? a[3..] : a[2..];
            }

            var flag = Find(flags, name) ?? throw ShellException.Usage($"unknown flag: {(name.StartsWith("--") ? name : a)}");
            string value;
            if (!flag.TakesValue)
            {
                if (inline is not null)
                {
                    if (name.StartsWith("--", StringComparison.Ordinal))
                    {
                        if (inline is "true" or "false") { if (inline == "true") result.Add(flag.Key, "true"); continue; }
                        throw ShellException.Usage($"invalid argument \"{inline}\" for \"{name}\" flag: must be true or false");
                    }
                    // -qa: a cluster of short booleans
                    result.Add(flag.Key, "true");
                    foreach (var c in inline)
                    {
                        var next = Find(flags, "-" + c) ?? throw ShellException.Usage($"unknown shorthand flag: '{c}' in {a}");
                        if (next.TakesValue) throw ShellException.Usage($"flag -{c} in {a} needs a value");
                        result.Add(next.Key, "true");
                    }
                    continue;
                }
                value = "true";
            }
            else if (inline is not null) value = inline;
            else if (flag.OptionalValue) value = "";
            else if (i + 1 < args.Count) value = args[++i];
            else throw ShellException.Usage($"flag needs an argument: {name}");

            if (!flag.Repeatable && result.Has(flag.Key) && flag.TakesValue && !flag.OptionalValue)
                result._values[flag.Key].Clear();
            result.Add(flag.Key, value);
        }
        return result;
    }

    void Add(string key, string value)
    {
        if (!_values.TryGetValue(key, out var list)) _values[key] = list = [];
        list.Add(value);
    }

    static Flag? Find(IReadOnlyList<Flag> flags, string name)
    {
        foreach (var f in flags)
            foreach (var n in f.Names)
                if (n == name) return f;
        return null;
    }

    /// <summary>An integer flag value, or a usage error naming the flag.</summary>
    public int? Int(string key, string flagName)
    {
        var v = Get(key);
        if (v is null) return null;
        return int.TryParse(v, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? n : throw ShellException.Usage($"invalid argument \"{v}\" for \"{flagName}\" flag: must be an integer");
    }
}
