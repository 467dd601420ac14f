using Akka.Actor;
using Akka.Event;
using Troupe.Actors.Serialization;
using Troupe.Api.Protocol;

namespace Troupe.Actors.Hosting;

/// <summary>
/// A command that reaches a persistent entity while it recovers waits in the entity's stash; when that recovery
/// fails (PostgreSQL went away), Akka.Persistence stops the entity and the stash goes to dead letters, so the
/// command's ask would wait out its whole timeout. This actor, one per node, watches the dead letters for commands
/// to sharded entities sent by an ask and answers each at once with <see cref="JournalFailure.Restarting"/>, as the
/// entity's backoff supervisor answers a command between two tries (<see cref="JournalFailure.Supervised"/>).
/// </summary>
public sealed class UndeliveredCommands : ReceiveActor
{
    public const string Name = "undelivered-commands";

    public static Props Props() => Akka.Actor.Props.Create(() => new UndeliveredCommands());

    public UndeliveredCommands()
    {
        Receive<DeadLetter>(d =>
        {
            // while this node stops, its regions and entities stop too: their asks are the shell's to retry elsewhere
            if (CoordinatedShutdown.Get(Context.System).ShutdownReason is not null) return;
            if (Refuses(d.Recipient.Path, d.Sender, d.Message)) d.Sender.Tell(JournalFailure.Restarting);
        });
    }

    protected override void PreStart() => Context.System.EventStream.Subscribe<DeadLetter>(Self);

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    /// <summary>
    /// A command (a protocol or internal message, not a reply) for a sharded entity or the actor under its backoff
    /// supervisor (<c>/system/sharding/TYPE/SHARD/ENTITY[/CHILD]</c>, not a region or shard) whose sender is an ask's
    /// temporary actor (<c>/temp/...</c>, on any node): nobody else will answer it.
    /// </summary>
    public static bool Refuses(ActorPath recipient, IActorRef? sender, object message) =>
        sender is not null && !sender.IsNobody() && !sender.Equals(ActorRefs.NoSender)
        && sender.Path.Elements is ["temp", ..]
        && recipient.Elements is ["system", "sharding", _, _, _, ..]
        && message is (ITroupeMessage or IInternalMessage) and not (CommandRejected or CommandAccepted);
}
