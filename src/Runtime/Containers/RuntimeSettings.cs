using Akka.Actor;
using Akka.Configuration;

namespace Troupe.Runtime.Containers;

/// <summary>
/// The <c>troupe.runtime</c> section, read once. Build it with <see cref="Create(Config)"/> (falls back to the
/// embedded <c>reference.conf</c> for missing keys) and hand it to the actors; actors never read Config.
/// </summary>
public sealed record RuntimeSettings(RestartBackoffSettings RestartBackoff)
{
    /// <summary>The defaults of <c>src/Runtime/reference.conf</c>.</summary>
    public static readonly RuntimeSettings Default = Create(ConfigurationFactory.Empty);

    /// <summary>The embedded <c>reference.conf</c> of Troupe.Runtime.</summary>
    public static Config DefaultConfig()
    {
        var asm = typeof(RuntimeSettings).Assembly;
        using var stream = asm.GetManifestResourceStream("Troupe.Runtime.reference.conf")
            ?? throw new InvalidOperationException("Troupe.Runtime.reference.conf is not embedded");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    /// <summary>Read <c>troupe.runtime</c> from <paramref name="config"/> (a full config, not the section).</summary>
    public static RuntimeSettings Create(Config config)
    {
        var c = (config ?? ConfigurationFactory.Empty).WithFallback(DefaultConfig());
        var backoff = new RestartBackoffSettings(
            c.GetTimeSpan("troupe.runtime.restart-backoff.base"),
            c.GetTimeSpan("troupe.runtime.restart-backoff.max"),
            c.GetTimeSpan("troupe.runtime.restart-backoff.reset-after"));
        backoff.Validate();
        return new RuntimeSettings(backoff);
    }

    /// <summary>Read from the actor system's configuration.</summary>
    public static RuntimeSettings Create(ActorSystem system) => Create(system.Settings.Config);
}
