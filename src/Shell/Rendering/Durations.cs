using System.Globalization;

namespace Troupe.Shell.Rendering;

/// <summary>Durations and sizes as kubectl and docker print them.</summary>
public static class Durations
{
    /// <summary>kubectl's AGE (<c>k8s.io/apimachinery/pkg/util/duration.HumanDuration</c>): <c>5s</c>, <c>3m2s</c>, <c>2d</c>.</summary>
    public static string Kubectl(TimeSpan d)
    {
        var seconds = (long)Math.Floor(d.TotalSeconds);
        if (seconds < -1) return "<invalid>";
        if (seconds < 0) return "0s";
        if (seconds < 60 * 2) return $"{seconds}s";
        var minutes = (long)(d.TotalMinutes);
        if (minutes < 10)
        {
            var s = seconds % 60;
            return s == 0 ? $"{minutes}m" : $"{minutes}m{s}s";
        }
        if (minutes < 60 * 3) return $"{minutes}m";
        var hours = (long)d.TotalHours;
        if (hours < 8)
        {
            var m = minutes % 60;
            return m == 0 ? $"{hours}h" : $"{hours}h{m}m";
        }
        if (hours < 48) return $"{hours}h";
        if (hours < 24 * 8)
        {
            var h = hours % 24;
            return h == 0 ? $"{hours / 24}d" : $"{hours / 24}d{h}h";
        }
        if (hours < 24 * 365 * 2) return $"{hours / 24}d";
        if (hours < 24 * 365 * 8)
        {
            var dy = hours / 24 % 365;
            return dy == 0 ? $"{hours / 24 / 365}y" : $"{hours / 24 / 365}y{dy}d";
        }
        return $"{hours / 24 / 365}y";
    }

    /// <summary>kubectl's age of a timestamp, <c>&lt;unknown&gt;</c> when there is none.</summary>
    public static string Since(DateTimeOffset? t, DateTimeOffset now) => t is { } v ? Kubectl(now - v) : "<unknown>";

    /// <summary>docker's CREATED (<c>go-units.HumanDuration</c> + " ago"): <c>2 weeks ago</c>.</summary>
    public static string Docker(TimeSpan d)
    {
        string text;
        var seconds = (long)d.TotalSeconds;
        if (seconds < 1) text = "Less than a second";
        else if (seconds == 1) text = "1 second";
        else if (seconds < 60) text = $"{seconds} seconds";
        else if ((long)d.TotalMinutes is var minutes && minutes == 1) text = "About a minute";
        else if (minutes < 60) text = $"{minutes} minutes";
        else if ((long)(d.TotalHours + 0.5) is var hours && hours == 1) text = "About an hour";
        else if (hours < 48) text = $"{hours} hours";
        else if (hours < 24 * 7 * 2) text = $"{hours / 24} days";
        else if (hours < 24 * 30 * 2) text = $"{hours / 24 / 7} weeks";
        else if (hours < 24 * 365 * 2) text = $"{hours / 24 / 30} months";
        else text = $"{(long)d.TotalHours / 24 / 365} years";
        return text + " ago";
    }

    static readonly string[] Units = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];

    /// <summary>docker's SIZE (<c>go-units.HumanSizeWithPrecision(size, 3)</c>, powers of 1000): <c>4.26MB</c>.</summary>
    public static string DockerSize(long bytes)
    {
        double size = bytes;
        var i = 0;
        while (size >= 1000 && i < Units.Length - 1)
        {
            size /= 1000;
            i++;
        }
        var digits = size.ToString("G3", CultureInfo.InvariantCulture);
        if (digits.Contains('E')) digits = Math.Round(size).ToString(CultureInfo.InvariantCulture);
        return digits + Units[i];
    }
}
