using Akka.Configuration;
using Akka.Persistence.Sql;

namespace Troupe.Actors.Hosting;

/// <summary>
/// Builds the node's configuration, later wins: reference.conf files &lt; <c>cluster.hocon</c> &lt; the state's location
/// (<c>TROUPE_HOME</c> or <c>TROUPE_DB</c>) &lt; <c>--config</c> files &lt; Lighthouse-style environment (<c>CLUSTER_IP</c>, <c>CLUSTER_PORT</c>, <c>CLUSTER_SEEDS</c>) &lt; flags.
/// The cluster's name (the ActorSystem's) is not configuration but is layered the same way: <c>--cluster-name</c> &gt;
/// <c>ACTORSYSTEM</c> (as Lighthouse reads it) &gt; <c>troupe</c>; seeds written <c>host:port</c> are dialled under it.
/// </summary>
public static partial class ConfigLoader
{
    /// <summary>An address or host name (IPv6 in brackets or bare): what goes into the HOCON between quotes.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^(\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]+|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$")]
    private static partial System.Text.RegularExpressions.Regex HostPattern();

    /// <summary><c>host:port</c>, or a whole Akka address <c>akka[.ssl].tcp://NAME@host:port</c>.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^(akka(\.ssl)?\.tcp://[A-Za-z0-9][A-Za-z0-9-]*@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):[0-9]{1,5}$")]
    private static partial System.Text.RegularExpressions.Regex SeedPattern();

    /// <summary>The ActorSystem name every member of a cluster must share (Akka drops a message addressed to another name).</summary>
    public const string DefaultClusterName = "troupe";

    /// <summary>
    /// The cluster's name: <c>--cluster-name</c>, else <c>ACTORSYSTEM</c>, else <c>troupe</c>. Throws
    /// <see cref="StartupException"/> (one line) for a name Akka.NET refuses as an ActorSystem name.
    /// </summary>
    public static string ClusterName(NodeOptions o)
    {
        var (name, from) = o.ClusterName is { } flag ? (flag, "--cluster-name") : Env("ACTORSYSTEM") is { } env ? (env, "ACTORSYSTEM") : (DefaultClusterName, "");
        // Akka.NET's own rule (ActorSystemImpl: ^[a-zA-Z0-9][a-zA-Z0-9-]*$; unlike the JVM's, no '_')
        if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-zA-Z0-9][a-zA-Z0-9-]*$"))
            throw new StartupException($"{from} \"{name}\" is not a cluster name: use letters, digits and '-', not first");
        return name;
    }

    public static Config Load(NodeOptions o, string home, string baseDir)
    {
        var layers = new List<Config>();
        var name = ClusterName(o);
        string SeedUri(string s) => !SeedPattern().IsMatch(s)
            ? throw new StartupException($"seed \"{s}\" is not host:port (or akka.tcp://NAME@host:port)")
            : s.Contains("://") ? $"\"{s}\"" : $"\"akka.tcp://{name}@{s}\"";

        // flags (highest)
        var flags = new List<string>();
        if (o.Port is { } port) flags.Add($"akka.remote.dot-netty.tcp.port = {port}");
        if (o.Mode == "lighthouse" && o.Port is null && Env("CLUSTER_PORT") is null) flags.Add("akka.remote.dot-netty.tcp.port = 4053");
        if (o.Roles.Length > 0) flags.Add($"akka.cluster.roles = [{string.Join(",", o.Roles)}]");
        if (o.Mode == "lighthouse") flags.Add("akka.cluster.roles = [lighthouse]");
        if (o.Seeds.Length > 0) flags.Add($"akka.cluster.seed-nodes = [{string.Join(",", o.Seeds.Select(SeedUri))}]");
        layers.Add(ConfigurationFactory.ParseString(string.Join("\n", flags)));

        // environment, as Lighthouse reads it
        var env = new List<string>();
        if (Env("CLUSTER_IP") is { } ip)
        {
            if (!HostPattern().IsMatch(ip)) throw new StartupException($"CLUSTER_IP \"{ip}\" is not an address or host name");
            env.Add($"akka.remote.dot-netty.tcp.hostname = \"{ip}\"");
        }
        if (Env("CLUSTER_PORT") is { } cp)
            env.Add($"akka.remote.dot-netty.tcp.port = {(int.TryParse(cp, out var p) && p is >= 0 and <= 65535 ? p : throw new StartupException($"CLUSTER_PORT \"{cp}\" is not a port (0-65535)"))}");
        if (Env("CLUSTER_SEEDS") is { } seeds)
            env.Add($"akka.cluster.seed-nodes = [{string.Join(",", seeds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(SeedUri))}]");
        layers.Add(ConfigurationFactory.ParseString(string.Join("\n", env)));

        foreach (var f in o.ConfigFiles.Reverse())
        {
            if (!File.Exists(f)) throw new StartupException($"--config {f}: no such file");
            layers.Add(ParseFile(f));
        }

        // where the state lives is the environment's to say (TROUPE_HOME, TROUPE_DB): above cluster.hocon,
        // which names SQLite as the embedded default, below --config files (config/postgres.hocon tunes it)
        layers.Add(Persistence(home));

        var clusterHocon = Path.Combine(baseDir, "cluster.hocon");
        if (File.Exists(clusterHocon)) layers.Add(ConfigurationFactory.ParseString(File.ReadAllText(clusterHocon)));

        layers.Add(ConfigurationFactory.FromResource<NodeOptions>("Troupe.Actors.reference.conf"));
        layers.Add(ConfigurationFactory.FromResource<Troupe.Runtime.Drivers.ContainerLaunch>("Troupe.Runtime.reference.conf"));
        layers.Add(SqlPersistence.DefaultConfiguration);
        // the cluster tools' own defaults (their serializers above all) from the start, not when each extension first
        // loads: a pub-sub gossip from a member that started earlier would otherwise arrive before its serializer exists
        layers.Add(Akka.Cluster.Tools.PublishSubscribe.DistributedPubSub.DefaultConfig());
        layers.Add(Akka.Cluster.Tools.Singleton.ClusterSingletonManager.DefaultConfig());
        layers.Add(Akka.Cluster.Tools.Client.ClusterClientReceptionist.DefaultConfig());
        layers.Add(Akka.Cluster.Sharding.ClusterSharding.DefaultConfig());

        var config = layers[0];
        foreach (var l in layers.Skip(1)) config = config.WithFallback(l);
        return WithSslSeeds(config);
    }

    /// <summary>
    /// A <c>--config</c> file's HOCON, or one line saying why not. Akka's parser takes most malformed text without a
    /// word, fails on some (an unresolved substitution) and spins for ever on a few (unbalanced brackets such as
    /// <c>a { b = [x }</c>): it gets 5 s on a thread of its own, and the node stops with the error either way.
    /// </summary>
    static Config ParseFile(string f)
    {
        var text = File.ReadAllText(f);
        var parse = Task.Factory.StartNew(() => ConfigurationFactory.ParseString(text), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            if (!parse.Wait(TimeSpan.FromSeconds(5)))
                throw new StartupException($"--config {f}: not valid HOCON: the parser did not finish within 5 s (unbalanced brackets?)");
            return parse.Result;
        }
        catch (AggregateException e) when (e.InnerException is { } inner and not OutOfMemoryException)
        {
            throw new StartupException($"--config {f}: not valid HOCON: {inner.Message.Split('\n')[0].Trim()}");
        }
    }

    /// <summary>
    /// With TLS (config/tls.hocon) the nodes' addresses are <c>akka.ssl.tcp://</c>: seeds written as <c>host:port</c>
    /// or <c>akka.tcp://</c> are dialled that way too.
    /// </summary>
    static Config WithSslSeeds(Config config)
    {
        if (!config.GetBoolean("akka.remote.dot-netty.tcp.enable-ssl", false)) return config;
        var seeds = config.GetStringList("akka.cluster.seed-nodes") ?? [];
        if (seeds.Count == 0) return config;
        var ssl = seeds.Select(s => $"\"{(s.StartsWith("akka.tcp://") ? "akka.ssl.tcp://" + s["akka.tcp://".Length..] : s)}\"");
        return ConfigurationFactory.ParseString($"akka.cluster.seed-nodes = [{string.Join(",", ssl)}]").WithFallback(config);
    }

    /// <summary>SQLite in <c>$TROUPE_HOME/state.db</c>, or PostgreSQL when <c>TROUPE_DB</c> is set.</summary>
    static Config Persistence(string home)
    {
        var db = Env("TROUPE_DB");
        string provider, cs;
        if (db is not null) { provider = "PostgreSQL.15"; cs = db; }
        else { provider = "SQLite.MS"; cs = $"Data Source={Path.Combine(home, "state.db")};Pooling=true;Default Timeout=30"; }
        var q = cs.Replace("\\", "\\\\").Replace("\"", "\\\"");
        return ConfigurationFactory.ParseString($$"""
            akka.persistence.journal.sql { connection-string = "{{q}}", provider-name = "{{provider}}" }
            akka.persistence.snapshot-store.sql { connection-string = "{{q}}", provider-name = "{{provider}}" }
            akka.persistence.query.journal.sql { connection-string = "{{q}}", provider-name = "{{provider}}" }
            """);
    }

    static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
}
