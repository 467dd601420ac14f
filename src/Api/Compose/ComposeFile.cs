using System.Collections.Immutable;
using Troupe.Api.Manifests;

namespace Troupe.Api.Compose;

/// <summary>
/// A Compose project as <see cref="ComposeReader"/> leaves it: interpolated, validated and normalised (every
/// list-or-map form in its map form, short syntaxes in their long form, paths absolute). Only the services of
/// the active profiles are in <see cref="Services"/>; the others are named in <see cref="InactiveServices"/>.
/// </summary>
public sealed record ComposeFile
{
    /// <summary>The project name: <c>-p</c>, else <c>name:</c>, else the folder's name, normalised as compose does.</summary>
    public required string Name { get; init; }

    /// <summary>The compose file, absolute.</summary>
    public required string FilePath { get; init; }

    /// <summary>The folder relative paths are resolved against (the compose file's folder), absolute.</summary>
    public required string ProjectDirectory { get; init; }

    public ImmutableSortedDictionary<string, ComposeService> Services { get; init; } = ImmutableSortedDictionary<string, ComposeService>.Empty;

    /// <summary>Services left out because none of their profiles is active.</summary>
    public ImmutableArray<string> InactiveServices { get; init; } = [];

    /// <summary>Every profile a service names, active or not, sorted.</summary>
    public ImmutableArray<string> DeclaredProfiles { get; init; } = [];

    public ImmutableSortedDictionary<string, ComposeVolume> Volumes { get; init; } = ImmutableSortedDictionary<string, ComposeVolume>.Empty;

    /// <summary>Top-level networks; <c>default</c> is added when a service uses it.</summary>
    public ImmutableSortedDictionary<string, ComposeNetwork> Networks { get; init; } = ImmutableSortedDictionary<string, ComposeNetwork>.Empty;

    public ImmutableSortedDictionary<string, ComposeSecret> Secrets { get; init; } = ImmutableSortedDictionary<string, ComposeSecret>.Empty;

    /// <summary>What was accepted but is not run (obsolete <c>version</c>, keys Troupe does not run yet), with file:line.</summary>
    public ImmutableArray<ManifestProblem> Warnings { get; init; } = [];
}

/// <summary>One service. Null means "not written" wherever the Compose default differs from an empty value.</summary>
public sealed record ComposeService
{
    public required string Name { get; init; }
    public string? Image { get; init; }
    public ComposeBuild? Build { get; init; }

    /// <summary>Compose's <c>entrypoint</c> (the image's ENTRYPOINT replaced); null: the image's. A string is split into shell words.</summary>
    public ImmutableArray<string>? Entrypoint { get; init; }

    /// <summary>Compose's <c>command</c> (the image's CMD replaced); null: the image's.</summary>
    public ImmutableArray<string>? Command { get; init; }

    /// <summary><c>environment</c> as a map; a null value is a variable the environment did not have (<c>- NAME</c> unset).</summary>
    public ImmutableSortedDictionary<string, string?> Environment { get; init; } = ImmutableSortedDictionary<string, string?>.Empty;

    /// <summary><c>env_file</c> entries in order, paths absolute; read when the service is translated.</summary>
    public ImmutableArray<ComposeEnvFile> EnvFiles { get; init; } = [];

    public ImmutableArray<ComposePort> Ports { get; init; } = [];

    /// <summary><c>expose</c>: container ports other services reach, not published (<c>"3000"</c>, <c>"8080/udp"</c>).</summary>
    public ImmutableArray<string> Expose { get; init; } = [];

    public ImmutableArray<ComposeMount> Volumes { get; init; } = [];

    public ImmutableSortedDictionary<string, ComposeDependency> DependsOn { get; init; } = ImmutableSortedDictionary<string, ComposeDependency>.Empty;

    public ComposeHealthcheck? Healthcheck { get; init; }

    /// <summary><c>no</c>, <c>always</c>, <c>on-failure</c>, <c>on-failure:N</c>, <c>unless-stopped</c>; null: compose's default, <c>no</c>.</summary>
    public string? Restart { get; init; }

    /// <summary><c>deploy.replicas</c>; null: 1.</summary>
    public int? Replicas { get; init; }

    /// <summary><c>deploy.resources.limits</c>.</summary>
    public ComposeResources? Limits { get; init; }

    /// <summary><c>deploy.resources.reservations</c>.</summary>
    public ComposeResources? Reservations { get; init; }

    /// <summary>The networks the service joins (<c>default</c> when it names none), with their aliases.</summary>
    public ImmutableSortedDictionary<string, ComposeServiceNetwork?> Networks { get; init; } = ImmutableSortedDictionary<string, ComposeServiceNetwork?>.Empty;

    public ImmutableArray<ComposeSecretRef> Secrets { get; init; } = [];
    public string? ContainerName { get; init; }
    public ImmutableArray<string> Profiles { get; init; } = [];
    public string? WorkingDir { get; init; }
    public string? User { get; init; }
    public string? Hostname { get; init; }
    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public bool? Init { get; init; }
    public TimeSpan? StopGracePeriod { get; init; }
    public string? StopSignal { get; init; }
    public bool? Tty { get; init; }
    public bool? StdinOpen { get; init; }

    /// <summary>The image the service runs: <c>image</c>, or for a build-only service <c>&lt;project&gt;-&lt;service&gt;</c> as compose names it.</summary>
    public string ImageFor(string project) => Image ?? $"{project}-{Name.ToLowerInvariant()}";
}

/// <summary><c>build</c> in its map form; <see cref="Context"/> absolute (or a URL as written).</summary>
public sealed record ComposeBuild
{
    public required string Context { get; init; }
    /// <summary>Relative to the context, as written (default <c>Dockerfile</c>).</summary>
    public string Dockerfile { get; init; } = "Dockerfile";
    /// <summary>Build arguments; a null value is one the environment did not have.</summary>
    public ImmutableSortedDictionary<string, string?> Args { get; init; } = ImmutableSortedDictionary<string, string?>.Empty;
    public string? Target { get; init; }
}

/// <summary>An <c>env_file</c> entry: an absolute path, and whether a missing file is an error (compose's default: yes).</summary>
public sealed record ComposeEnvFile(string Path, bool Required = true);

/// <summary>
/// A port in its long form. <see cref="Published"/> is the host port (a string, as compose prints it), null when
/// the port is not published to a fixed host port.
/// </summary>
public sealed record ComposePort
{
    public required int Target { get; init; }
    public string? Published { get; init; }
    public string? HostIp { get; init; }
    /// <summary><c>tcp</c> or <c>udp</c>.</summary>
    public string Protocol { get; init; } = "tcp";
    /// <summary><c>ingress</c> or <c>host</c>.</summary>
    public string Mode { get; init; } = "ingress";
    public string? Name { get; init; }
    public string? AppProtocol { get; init; }

    /// <summary>The published port as a number, when it is one.</summary>
    public int? PublishedPort => int.TryParse(Published, out var n) ? n : null;
}

/// <summary>
/// A mount in its long form: <c>bind</c> (<see cref="Source"/> an absolute host path), <c>volume</c> (a top-level
/// volume's key, or null for an anonymous volume) or <c>tmpfs</c>.
/// </summary>
public sealed record ComposeMount
{
    public required string Type { get; init; }
    public string? Source { get; init; }
    public required string Target { get; init; }
    public bool ReadOnly { get; init; }
    /// <summary>For a bind from the short syntax: compose makes the host folder when it is missing.</summary>
    public bool CreateHostPath { get; init; }
    /// <summary>For tmpfs: the size in bytes, when written.</summary>
    public long? TmpfsSize { get; init; }
    /// <summary>For a volume: a path inside it.</summary>
    public string? Subpath { get; init; }
}

/// <summary>A <c>depends_on</c> entry in its map form.</summary>
public sealed record ComposeDependency(string Condition = ComposeDependency.Started, bool Required = true, bool Restart = false)
{
    public const string Started = "service_started";
    public const string Healthy = "service_healthy";
    public const string CompletedSuccessfully = "service_completed_successfully";
}

/// <summary>
/// <c>healthcheck</c>. <see cref="Test"/> is the list form (<c>["CMD", ...]</c>, <c>["CMD-SHELL", "cmd"]</c> or
/// <c>["NONE"]</c>); a string test is <c>CMD-SHELL</c>. Durations null: compose's defaults (30s, 30s, 0s; 3 retries).
/// </summary>
public sealed record ComposeHealthcheck
{
    public ImmutableArray<string> Test { get; init; } = [];
    public TimeSpan? Interval { get; init; }
    public TimeSpan? Timeout { get; init; }
    public int? Retries { get; init; }
    public TimeSpan? StartPeriod { get; init; }
    public TimeSpan? StartInterval { get; init; }
    public bool Disable { get; init; }

    /// <summary>True when the check is switched off (<c>disable: true</c> or test <c>NONE</c>).</summary>
    public bool IsDisabled => Disable || Test is ["NONE", ..];
}

/// <summary><c>cpus</c> as written (<c>"0.5"</c>), <c>memory</c> in bytes, <c>pids</c>.</summary>
public sealed record ComposeResources(string? Cpus = null, long? MemoryBytes = null, long? Pids = null);

/// <summary>A service's entry for one network (its map form).</summary>
public sealed record ComposeServiceNetwork
{
    public ImmutableArray<string> Aliases { get; init; } = [];
    public string? Ipv4Address { get; init; }
}

/// <summary>A service's secret (long form): the top-level secret <see cref="Source"/>, mounted at <c>/run/secrets/TARGET</c>.</summary>
public sealed record ComposeSecretRef
{
    public required string Source { get; init; }
    /// <summary>A file name under /run/secrets, or an absolute path; null: the source's name.</summary>
    public string? Target { get; init; }
    public string? Uid { get; init; }
    public string? Gid { get; init; }
    public int? Mode { get; init; }

    /// <summary>Where the secret appears in the container.</summary>
    public string MountPath => Target is { } t ? (t.StartsWith('/') ? t : "/run/secrets/" + t) : "/run/secrets/" + Source;
}

/// <summary>A top-level volume: its full name (<c>name:</c>, else <c>&lt;project&gt;_&lt;key&gt;</c>), driver, external.</summary>
public sealed record ComposeVolume
{
    public required string Name { get; init; }
    public bool External { get; init; }
    public string? Driver { get; init; }
    public ImmutableSortedDictionary<string, string> DriverOpts { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
}

/// <summary>A top-level network: its full name (<c>name:</c>, else <c>&lt;project&gt;_&lt;key&gt;</c>), driver, external, internal.</summary>
public sealed record ComposeNetwork
{
    public required string Name { get; init; }
    public bool External { get; init; }
    public bool Internal { get; init; }
    public string? Driver { get; init; }
    public ImmutableSortedDictionary<string, string> DriverOpts { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
}

/// <summary>A top-level secret: a <see cref="File"/> (absolute), or an <see cref="Environment"/> variable's name, or external.</summary>
public sealed record ComposeSecret
{
    public required string Name { get; init; }
    public string? File { get; init; }
    public string? Environment { get; init; }
    public bool External { get; init; }
}
