using Npgsql;

namespace Troupe.Actors.Hosting;

/// <summary>
/// The node's first look at <c>TROUPE_DB</c>: a connection string that does not parse is an error at once; a server
/// that does not answer yet is waited for (with one line a try saying why), so a node and its database can start
/// together; after <c>timeout</c> the node gives up with that reason.
/// </summary>
public static class PostgresConnection
{
    public static async Task WaitAsync(string connectionString, TimeSpan timeout, TextWriter log)
    {
        NpgsqlConnectionStringBuilder b;
        try { b = new NpgsqlConnectionStringBuilder(connectionString); }
        catch (ArgumentException e) { throw new StartupException($"TROUPE_DB: not a PostgreSQL connection string: {e.Message}"); }
        if (string.IsNullOrEmpty(b.Host)) throw new StartupException("TROUPE_DB: the connection string names no Host");
        if (b.Timeout > 5) b.Timeout = 5;
        var where = $"{b.Host}:{b.Port}/{b.Database ?? b.Username}";

        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                await using var c = new NpgsqlConnection(b.ConnectionString);
                await c.OpenAsync();
                await using var cmd = new NpgsqlCommand("select 1", c);
                await cmd.ExecuteScalarAsync();
                return;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                var reason = e.InnerException?.Message ?? e.Message;
                // a refused login or a missing database does not get better by waiting
                if (e is PostgresException { SqlState: "28P01" or "28000" or "3D000" } pg)
                    throw new StartupException($"TROUPE_DB: PostgreSQL at {where}: {pg.MessageText}");
                if (DateTime.UtcNow >= deadline)
                    throw new StartupException($"TROUPE_DB: PostgreSQL at {where} did not answer within {timeout.TotalSeconds:0} s: {reason}");
                log.WriteLine($"troupe-node: waiting for PostgreSQL at {where}: {reason}");
                await Task.Delay(TimeSpan.FromSeconds(2));
            }
        }
    }
}
