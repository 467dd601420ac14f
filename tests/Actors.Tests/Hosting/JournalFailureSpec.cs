using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using Troupe.Actors.Hosting;
using Troupe.Api.Protocol;
using Xunit;

namespace Troupe.Actors.Tests.Hosting;

public class JournalFailureSpec() : TestKit(ConfigurationFactory.ParseString("akka.loglevel = WARNING"))
{
    /// <summary>Stops itself on "fail" (as Akka.Persistence stops an entity whose persist failed), echoes the rest.</summary>
    sealed class Entity : ReceiveActor
    {
        public Entity()
        {
            Receive<string>(s => s == "fail", _ => Context.Stop(Self));
            ReceiveAny(m => Sender.Tell(m));
        }
    }

    [Fact]
    public void A_supervised_entity_refuses_commands_at_once_while_it_is_stopped_and_takes_them_again_once_restarted()
    {
        var entity = Sys.ActorOf(JournalFailure.Supervised(Props.Create(() => new Entity()), "e", m => m is PoisonPill));
        entity.Tell("hello");
        ExpectMsg("hello");

        var child = Sys.ActorSelection(entity.Path / "e").ResolveOne(TimeSpan.FromSeconds(3)).Result;
        Watch(child);
        entity.Tell("fail");
        ExpectTerminated(child);
        // the supervisor starts it again 0.2 s (±20%) after it stopped: a command now is answered by the supervisor
        entity.Tell("while stopped");
        Assert.Same(JournalFailure.Restarting, ExpectMsg<CommandRejected>(TimeSpan.FromSeconds(1)));

        // started again after the backoff (0.2 s): commands go through
        AwaitAssert(() =>
        {
            entity.Tell("again");
            ExpectMsg("again", TimeSpan.FromMilliseconds(100));
        }, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(150));
    }

    [Fact]
    public void The_reason_is_the_innermost_message_and_says_when_the_connection_was_lost()
    {
        Assert.Equal("disk full", JournalFailure.Reason(new InvalidOperationException("write failed", new IOException("disk full"))));
        Assert.Equal("the connection to the database was lost (Attempted to read past the end of the stream)",
            JournalFailure.Reason(new Exception("Exception while reading from stream", new EndOfStreamException("Attempted to read past the end of the stream."))));
    }
}
