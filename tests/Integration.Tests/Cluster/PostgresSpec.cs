using Troupe.Integration.Tests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace Troupe.Integration.Tests.Cluster;

/// <summary>
/// <c>TROUPE_DB</c> on a real PostgreSQL server: the node keeps its state there (not in <c>state.db</c>), it
/// survives the node's restart, a database lost mid-run fails commands at once with one clear line and nothing
/// acknowledged is lost, and the node takes commands again once the database is back; a node started while the
/// database is down waits for it, saying so.
/// </summary>
public sealed class PostgresSpec(ITestOutputHelper output)
{
    [SkippableFact]
    public void A_node_keeps_its_state_in_PostgreSQL_and_rides_out_an_outage()
    {
        Requirements.Runc();
        Requirements.Postgres();
        using var db = new PostgresServer();
        using var cli = new TroupeCli("pg", output);
        cli.ExtraEnv["TROUPE_DB"] = db.ConnectionString;

        cli.Up();
        cli.Apply(Manifests.Deployment("pgweb", 2, "sleep 3600", grace: 1));
        cli.WaitForRunning("pgweb", 2);
        Assert.False(File.Exists(Path.Combine(cli.Home, "state.db")), "with TROUPE_DB the node must not keep state.db");

        // the state is in PostgreSQL: a restarted node brings the Deployment back from there
        cli.Expect(0, TimeSpan.FromSeconds(90), "down");
        cli.Up();
        cli.WaitForRunning("pgweb", 2);

        // the database goes away: a change fails at once, one line, exit 1, and is not half applied
        db.Stop();
        var failed = cli.Run(TimeSpan.FromSeconds(60), "scale", "deployment", "pgweb", "--replicas", "3");
        Assert.True(failed.ExitCode == 1, $"scale with the database down must fail with exit 1\n{failed}");
        Assert.Single(failed.ErrorLine.Split('\n'));
        Assert.StartsWith("error: ", failed.ErrorLine);
        Assert.True(failed.Elapsed < TimeSpan.FromSeconds(35), $"the failure must not hang: {failed.Elapsed}");

        // it comes back: the same command goes through, and what was acknowledged before is all there; while the
        // entity recovers a command is refused at once, never left to wait out its ask
        db.Start();
        Eventually.Until("scale to 3 accepted once PostgreSQL is back", TimeSpan.FromSeconds(90),
            () =>
            {
                var r = cli.Run(TimeSpan.FromSeconds(40), "scale", "deployment", "pgweb", "--replicas", "3");
                Assert.True(r.ExitCode == 0 || r.Elapsed < TimeSpan.FromSeconds(10), $"a refused command must not hang\n{r}");
                return r;
            }, r => r.ExitCode == 0, r => r.ToString(), cli.Diagnostics);
        cli.WaitForRunning("pgweb", 3);
        cli.Expect(0, TimeSpan.FromSeconds(90), "down");

        // a node started while PostgreSQL is down waits for it and says why, then runs what the database holds
        db.Stop();
        var starting = Task.Run(() => cli.Run(TimeSpan.FromSeconds(120), "up"));
        Thread.Sleep(4000);
        Assert.False(starting.IsCompleted, $"up must wait for the database\n{(starting.IsCompleted ? starting.Result : "")}");
        db.Start();
        var up = starting.GetAwaiter().GetResult();
        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.Contains("waiting for PostgreSQL at 127.0.0.1:", File.ReadAllText(Path.Combine(cli.Home, "node.log")));
        cli.WaitForRunning("pgweb", 3);
    }

    [SkippableFact]
    public void A_connection_string_that_is_not_one_is_a_clear_error()
    {
        Requirements.Root();
        using var cli = new TroupeCli("pgbad", output);
        cli.ExtraEnv["TROUPE_DB"] = "Hots=nowhere;Nonsense";
        var r = cli.Run(TimeSpan.FromSeconds(60), "up", "--driver", "process");
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("TROUPE_DB", r.ErrorLine);
        Assert.Single(r.ErrorLine.Split('\n'));
    }
}
