using Xunit.Sdk;

namespace Troupe.Integration.Tests.Harness;

/// <summary>
/// A real PostgreSQL server (Debian's <c>postgresql</c> package) in a temporary data folder, on a free loopback
/// port, run as the <c>postgres</c> user, with a database <c>troupe</c> that user <c>troupe</c> reaches without a
/// password. <see cref="Stop"/> and <see cref="Start"/> take it away and bring it back mid-test; disposing it stops
/// it and removes its folder.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    readonly string _dir;
    bool _running;

    public int Port { get; }

    /// <summary>What <c>TROUPE_DB</c> holds for this server.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=troupe;Database=troupe;Timeout=5";

    /// <summary>The newest installed server's <c>bin</c> folder (/usr/lib/postgresql/N/bin), or null.</summary>
    public static string? BinDir =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin"))
                .FirstOrDefault(b => File.Exists(Path.Combine(b, "initdb")) && File.Exists(Path.Combine(b, "pg_ctl")))
            : null;

    public PostgresServer()
    {
        _dir = Directory.CreateTempSubdirectory("troupe-pg-").FullName;
        Must(ProcessRunner.Host("chown", "postgres:", _dir), "chown");
        Must(AsPostgres("initdb", "-D", DataDir, "-A", "trust", "-U", "troupe", "--no-sync", "-E", "UTF8"), "initdb");
        Port = Ports.Free();
        Start();
        Must(ProcessRunner.Host(Path.Combine(BinDir!, "createdb"), "-h", "127.0.0.1", "-p", Port.ToString(), "-U", "troupe", "troupe"), "createdb");
    }

    string DataDir => Path.Combine(_dir, "data");

    /// <summary>Starts the server (again) and returns once it accepts connections.</summary>
    public void Start()
    {
        Must(AsPostgres("pg_ctl", "-D", DataDir, "-l", Path.Combine(_dir, "server.log"), "-w", "-t", "30",
            "-o", $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start"), "pg_ctl start");
        _running = true;
    }

    /// <summary>Stops the server at once (<c>-m immediate</c>: as if it crashed or its machine went away).</summary>
    public void Stop()
    {
        Must(AsPostgres("pg_ctl", "-D", DataDir, "-m", "immediate", "-w", "stop"), "pg_ctl stop");
        _running = false;
    }

    public string Log => File.Exists(Path.Combine(_dir, "server.log")) ? File.ReadAllText(Path.Combine(_dir, "server.log")) : "";

    static CliResult AsPostgres(string tool, params string[] args) =>
        ProcessRunner.Host("runuser", ["-u", "postgres", "--", Path.Combine(BinDir!, tool), .. args]);

    void Must(CliResult r, string what)
    {
        if (r.ExitCode != 0) throw new XunitException($"PostgreSQL {what} failed\n{r}\n{Log}");
    }

    public void Dispose()
    {
        if (_running) AsPostgres("pg_ctl", "-D", DataDir, "-m", "immediate", "-w", "stop");
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }
}
