using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Globalization;

namespace Troupe.Api.Dockerfiles;

/// <summary>BuildKit's <c>instructions/parse.go</c>: argument counts, flags and options of one node.</summary>
internal static class InstructionBuilder
{
    private enum FlagType { Bool, String, Strings }

    private static readonly FrozenDictionary<string, FrozenDictionary<string, FlagType>> KnownFlags =
        new Dictionary<string, FrozenDictionary<string, FlagType>>
        {
            ["from"] = Flags(("platform", FlagType.String)),
            ["run"] = Flags(("mount", FlagType.Strings), ("network", FlagType.String), ("security", FlagType.String), ("device", FlagType.Strings)),
            ["copy"] = Flags(("chown", FlagType.String), ("from", FlagType.String), ("chmod", FlagType.String), ("link", FlagType.Bool),
                ("exclude", FlagType.Strings), ("parents", FlagType.Bool)),
            ["add"] = Flags(("chown", FlagType.String), ("chmod", FlagType.String), ("link", FlagType.Bool), ("keep-git-dir", FlagType.Bool),
                ("checksum", FlagType.String), ("unpack", FlagType.Bool), ("exclude", FlagType.Strings)),
            ["healthcheck"] = Flags(("interval", FlagType.String), ("timeout", FlagType.String), ("start-period", FlagType.String),
                ("start-interval", FlagType.String), ("retries", FlagType.String)),
        }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, FlagType> NoFlags = FrozenDictionary<string, FlagType>.Empty;

    private static FrozenDictionary<string, FlagType> Flags(params (string Name, FlagType Type)[] flags) =>
        flags.ToFrozenDictionary(f => f.Name, f => f.Type, StringComparer.Ordinal);

    public static Instruction Build(Node node, string file)
    {
        try { return BuildCore(node, node.Line); }
        catch (LineParseException e) { throw new DockerfileException(file, node.Line, e.Message); }
        catch (FormatException e) { throw new DockerfileException(file, node.Line, e.Message); }
    }

    private static Instruction BuildCore(Node node, int line)
    {
        var cmd = node.Cmd.ToLowerInvariant();
        var v = node.Values;
        InstructionArgs args;
        switch (cmd)
        {
            case "env" or "label":
                ParseFlags(node, NoFlags);
                args = KeyValues(v, cmd.ToUpperInvariant());
                break;
            case "maintainer" or "workdir" or "user" or "stopsignal":
                if (v.Count != 1) Fail($"{cmd.ToUpperInvariant()} requires exactly one argument");
                if (cmd != "stopsignal") ParseFlags(node, NoFlags); // BuildKit never parses STOPSIGNAL's flags
                args = new ShellArgs(v[0]);
                break;
            case "from":
                if (v.Count == 3 && v[1].Equals("as", StringComparison.OrdinalIgnoreCase))
                {
                    if (!DockerfileParser.StageNameRegex().IsMatch(v[2].ToLowerInvariant()))
                        Fail($"invalid name for build stage: {LineParsers.GoQuote(v[2])}, name can't start with a number or contain symbols");
                }
                else if (v.Count != 1) Fail("FROM requires either one or three arguments");
                ParseFlags(node, KnownFlags["from"]);
                args = List(v);
                break;
            case "onbuild":
                if (node.Child is null) Fail("ONBUILD requires at least one argument");
                ParseFlags(node, NoFlags);
                var trigger = node.Child!.Cmd.Trim().ToUpperInvariant();
                if (trigger == "ONBUILD") Fail("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
                if (trigger is "MAINTAINER" or "FROM") Fail($"{trigger} isn't allowed as an ONBUILD trigger");
                args = new NestedArgs(BuildCore(node.Child, line));
                break;
            case "run" or "cmd" or "entrypoint":
                ParseFlags(node, cmd == "run" ? KnownFlags["run"] : NoFlags);
                args = CommandLine(node);
                break;
            case "shell":
                ParseFlags(node, NoFlags);
                if (v.Count == 0) Fail("SHELL requires at least one argument");
                if (!node.Json) Fail("SHELL requires the arguments to be in JSON form");
                args = List(v);
                break;
            case "healthcheck":
                args = HealthCheck(node);
                break;
            case "expose":
                if (v.Count == 0) Fail("EXPOSE requires at least one argument");
                ParseFlags(node, NoFlags);
                args = List(v);
                break;
            case "volume":
                if (v.Count == 0) Fail("VOLUME requires at least one argument");
                ParseFlags(node, NoFlags);
                foreach (var vol in v)
                    if (string.IsNullOrWhiteSpace(vol)) Fail("VOLUME specified can not be an empty string");
                args = List(v);
                break;
            case "arg":
                args = Args(v); // BuildKit never parses ARG's flags
                break;
            case "copy" or "add":
                if (v.Count < 2) Fail($"{cmd.ToUpperInvariant()} requires at least two arguments, but only one was provided. Destination could not be determined");
                ParseFlags(node, KnownFlags[cmd]);
                if (LineParsers.ParseHeredoc(v[^1]) is not null) Fail($"{cmd.ToUpperInvariant()} cannot accept a heredoc as a destination");
                args = List(v);
                break;
            default:
                Fail($"unknown instruction: {node.Cmd}");
                return null!;
        }
        return new Instruction(cmd, [.. node.Flags], args, line, [.. node.Heredocs], node.Json, node.Original);
    }

    private static ListArgs List(List<string> values) => new([.. values]);

    /// <summary>handleJSONArgs: the JSON form as it is, the shell form as one string.</summary>
    private static InstructionArgs CommandLine(Node node) =>
        node.Json || node.Values.Count == 0 ? List(node.Values) : new ShellArgs(string.Join(' ', node.Values));

    private static KeyValueArgs KeyValues(List<string> v, string name)
    {
        if (v.Count == 0) Fail($"{name} requires at least one argument");
        if (v.Count % 3 != 0) Fail($"Bad input to {name}, too many arguments");
        var pairs = ImmutableArray.CreateBuilder<KeyValue>(v.Count / 3);
        for (var j = 0; j < v.Count; j += 3)
        {
            if (v[j].Length == 0) Fail($"{name} names can not be blank");
            pairs.Add(new KeyValue(ShellWords.Unquote(v[j]), ShellWords.Unquote(v[j + 1]), v[j], v[j + 1]));
        }
        return new KeyValueArgs(pairs.MoveToImmutable());
    }

    private static KeyValueArgs Args(List<string> v)
    {
        if (v.Count == 0) Fail("ARG requires at least one argument");
        var pairs = ImmutableArray.CreateBuilder<KeyValue>(v.Count);
        foreach (var word in v)
        {
            var eq = word.IndexOf('=');
            if (eq < 0) { pairs.Add(new KeyValue(ShellWords.Unquote(word), null, word, null)); continue; }
            if (eq == 0) Fail("ARG names can not be blank");
            var key = word[..eq];
            var value = word[(eq + 1)..];
            pairs.Add(new KeyValue(ShellWords.Unquote(key), ShellWords.Unquote(value), key, value));
        }
        return new KeyValueArgs(pairs.MoveToImmutable());
    }

    private static InstructionArgs HealthCheck(Node node)
    {
        var v = node.Values;
        if (v.Count == 0) Fail("HEALTHCHECK requires at least one argument");
        var type = v[0].ToUpperInvariant();
        if (type == "NONE")
        {
            if (v.Count != 1) Fail("HEALTHCHECK NONE takes no arguments");
            return List(v); // BuildKit never parses the flags of HEALTHCHECK NONE
        }
        ParseFlags(node, KnownFlags["healthcheck"]);
        if (type != "CMD") Fail($"Unknown type {LineParsers.GoQuote(type)} in HEALTHCHECK (try CMD)");
        if (v.Count == 1) Fail("Missing command after HEALTHCHECK CMD");
        var instruction = new Instruction("healthcheck", [.. node.Flags], List(v), 0, [], node.Json, node.Original);
        foreach (var name in (ReadOnlySpan<string>)["interval", "timeout", "start-period", "start-interval"])
        {
            var value = instruction.Flag(name);
            if (string.IsNullOrEmpty(value)) continue;
            var ns = GoDuration.Parse(value);
            if (ns != 0 && ns < 1_000_000) Fail($"Interval \"{name}\" cannot be less than 1ms");
        }
        var retries = instruction.Flag("retries");
        if (!string.IsNullOrEmpty(retries))
        {
            if (!int.TryParse(retries, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
                Fail($"strconv.ParseInt: parsing {LineParsers.GoQuote(retries)}: invalid syntax");
            if (n < 0) Fail($"--retries cannot be negative ({n})");
        }
        return List(v);
    }

    /// <summary>BFlags.Parse: every flag known for the instruction, well-formed, not repeated unless repeatable.</summary>
    private static void ParseFlags(Node node, FrozenDictionary<string, FlagType> known)
    {
        if (node.Flags.Count == 0) return;
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var a in node.Flags)
        {
            if (a == "--") return;
            if (!a.StartsWith("--", StringComparison.Ordinal)) Fail($"arg should start with -- : {a}");
            var eq = a.IndexOf('=');
            var flagName = eq < 0 ? a : a[..eq];
            var value = eq < 0 ? "" : a[(eq + 1)..];
            var name = flagName[2..];
            if (!known.TryGetValue(name, out var type)) Fail($"unknown flag: {flagName}");
            if (!used.Add(name) && type != FlagType.Strings) Fail($"duplicate flag specified: {flagName}");
            switch (type)
            {
                case FlagType.Bool:
                    if (eq >= 0 && value.Length == 0) Fail($"missing a value on flag: {flagName}");
                    if (value.Length > 0 && !value.Equals("true", StringComparison.OrdinalIgnoreCase) && !value.Equals("false", StringComparison.OrdinalIgnoreCase))
                        Fail($"expecting boolean value for flag {flagName}, not: {value}");
                    break;
                default:
                    if (eq < 0) Fail($"missing a value on flag: {flagName}");
                    break;
            }
        }
    }

    private static void Fail(string message) => throw new LineParseException(message);
}

/// <summary>Go's <c>time.ParseDuration</c> (HEALTHCHECK's options), in nanoseconds.</summary>
internal static class GoDuration
{
    public static double Parse(string s)
    {
        var orig = s;
        var i = 0;
        var negative = false;
        if (i < s.Length && s[i] is '-' or '+') { negative = s[i] == '-'; i++; }
        if (s[i..] == "0") return 0;
        if (i == s.Length) throw Invalid(orig);
        double total = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
            var number = s[start..i];
            if (number.Length == 0 || number == "." || number.Count(c => c == '.') > 1) throw Invalid(orig);
            var unitStart = i;
            while (i < s.Length && !char.IsAsciiDigit(s[i]) && s[i] != '.') i++;
            var unit = s[unitStart..i];
            if (unit.Length == 0) throw new FormatException($"time: missing unit in duration {LineParsers.GoQuote(orig)}");
            double scale = unit switch
            {
                "ns" => 1, "us" or "\u00b5s" or "\u03bcs" => 1e3, "ms" => 1e6, "s" => 1e9, "m" => 60e9, "h" => 3600e9,
                _ => throw new FormatException($"time: unknown unit {LineParsers.GoQuote(unit)} in duration {LineParsers.GoQuote(orig)}"),
            };
            total += double.Parse(number, CultureInfo.InvariantCulture) * scale;
        }
        return negative ? -total : total;
    }

    private static FormatException Invalid(string s) => new($"time: invalid duration {LineParsers.GoQuote(s)}");
}
