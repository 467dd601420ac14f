using Akka.Actor;
using Troupe.Api.Protocol;

namespace Troupe.Actors.Hosting;

/// <summary>
/// A write the journal refused (PostgreSQL gone mid-run, a disk full): the command that asked for it is answered
/// at once with the reason, instead of waiting out its ask; nothing of it was acknowledged, and the entity stops as
/// Akka.Persistence stops it, to be started again by its shard once the journal answers.
/// </summary>
public static class JournalFailure
{
    public static void Tell(IActorRef sender, IActorRef self, Exception cause)
    {
        // an entity's own children (ReplicaSets, pods) learn of it from the entity's stop, not from a reply
        if (sender.IsNobody() || sender.Equals(self) || sender.Path.Parent.Equals(self.Path)) return;
        sender.Tell(new CommandRejected("Unavailable", $"the state store did not take the change: {Reason(cause)}"));
    }

    public static string Reason(Exception e)
    {
        while (e.InnerException is { } inner) e = inner;
        return e.Message;
    }
}
