using Akka.Actor;
using Akka.Pattern;
using Troupe.Api.Protocol;

namespace Troupe.Actors.Hosting;

/// <summary>
/// A write the journal refused (PostgreSQL gone mid-run, a disk full): the command that asked for it is answered
/// at once with the reason, instead of waiting out its ask; nothing of it was acknowledged, and the entity stops as
/// Akka.Persistence stops it, to be started again by its backoff supervisor once the journal answers.
/// </summary>
public static class JournalFailure
{
    /// <summary>What a command gets while its entity is stopped between two tries (the state store failed it).</summary>
    public static readonly CommandRejected Restarting =
        new("Unavailable", "the state store is not answering (the object is being recovered): try again");

    public static void Tell(IActorRef sender, IActorRef self, Exception cause)
    {
        Observed(cause);
        // an entity's own children (ReplicaSets, pods) learn of it from the entity's stop, not from a reply
        if (sender.IsNobody() || sender.Equals(self) || sender.Path.Parent.Equals(self.Path)) return;
        sender.Tell(new CommandRejected("Unavailable", $"the state store did not take the change: {Reason(cause)}"));
    }

    /// <summary>
    /// A journal or snapshot failure: when PostgreSQL went away, every idle pooled connection is dead and would fail
    /// the next write or recovery that takes it (one command lost each), so the pools are emptied and the next use
    /// opens a fresh connection (refused at once while the server is down, working once it is back).
    /// </summary>
    public static void Observed(Exception cause)
    {
        for (var e = cause; e is not null; e = e.InnerException)
        {
            // the server's own refusals (a constraint, a permission) say nothing about the connections
            if (e is Npgsql.NpgsqlException and not Npgsql.PostgresException or System.IO.EndOfStreamException or System.Net.Sockets.SocketException)
            {
                Npgsql.NpgsqlConnection.ClearAllPools();
                return;
            }
        }
    }

    public static string Reason(Exception e)
    {
        var lost = false;
        while (true)
        {
            lost |= e is System.IO.EndOfStreamException or System.Net.Sockets.SocketException;
            if (e.InnerException is not { } inner) break;
            e = inner;
        }
        return lost ? $"the connection to the database was lost ({e.Message.TrimEnd('.')})" : e.Message;
    }

    /// <summary>
    /// A persistent entity under the backoff supervisor sharding starts: a failed persist or recovery stops the
    /// entity, which is started again after 0.2 s (doubling up to 10 s); a command that arrives meanwhile is refused
    /// at once (<see cref="Restarting"/>) rather than dropped to wait out its ask. <paramref name="isFinalStop"/>:
    /// the entity's own stop message, which ends the supervisor too.
    /// </summary>
    public static Props Supervised(Props entity, string childName, Func<object, bool> isFinalStop) =>
        BackoffSupervisor.Props(Backoff.OnStop(entity, childName, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), 0.2, -1)
            .WithFinalStopMessage(isFinalStop)
            .WithReplyWhileStopped(Restarting));
}
