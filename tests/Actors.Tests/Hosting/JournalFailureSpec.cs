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

public class UndeliveredCommandsSpec() : TestKit(ConfigurationFactory.ParseString("akka.loglevel = WARNING"))
{
    /// <summary>Stashes every command as a recovering persistent entity does, and stops on "fail" (its stash then goes to dead letters).</summary>
    sealed class Recovering : ReceiveActor, IWithUnboundedStash
    {
        public IStash Stash { get; set; } = null!;

        public Recovering()
        {
            Receive<string>(s => s == "fail", _ => Context.Stop(Self));
            ReceiveAny(_ => Stash.Stash());
        }

        protected override void PostStop() => Stash.UnstashAll();
    }

    /// <summary>
    /// Stands for a region or a shard: for "a/b/c" makes a child Parent "a" and passes "b/c" on; at the last name makes
    /// the entity (under its backoff supervisor) and tells who it is.
    /// </summary>
    sealed class Parent : ReceiveActor
    {
        public Parent()
        {
            Receive<string>(path =>
            {
                var slash = path.IndexOf('/');
                if (slash < 0)
                {
                    Sender.Tell(Context.ActorOf(JournalFailure.Supervised(Props.Create(() => new Recovering()), "e", m => m is PoisonPill), path));
                    return;
                }
                var name = path[..slash];
                var child = Context.Child(name);
                if (child.IsNobody()) child = Context.ActorOf(Props.Create(() => new Parent()), name);
                child.Forward(path[(slash + 1)..]);
            });
        }
    }

    [Fact]
    public async Task A_command_stashed_by_an_entity_whose_recovery_fails_is_refused_at_once_instead_of_timing_out()
    {
        Sys.ActorOf(UndeliveredCommands.Props(), UndeliveredCommands.Name);
        // /system/sharding/deployment/12/web/e, as cluster sharding places an entity under its region and shard
        var sharding = ((ExtendedActorSystem)Sys).SystemActorOf(Props.Create(() => new Parent()), "sharding");
        var entity = await sharding.Ask<IActorRef>("deployment/12/web", TimeSpan.FromSeconds(3));
        var child = await Sys.ActorSelection(entity.Path / "e").ResolveOne(TimeSpan.FromSeconds(3));

        var asked = entity.Ask<ITroupeMessage>(new ScaleDeployment("default", "web", 3), TimeSpan.FromSeconds(10));
        await Task.Delay(200);
        Assert.False(asked.IsCompleted); // stashed: nobody answers yet
        child.Tell("fail");
        var reply = await asked.WaitAsync(TimeSpan.FromSeconds(3));
        Assert.Same(JournalFailure.Restarting, reply);
    }

    [Fact]
    public void Only_commands_of_an_ask_to_a_sharded_entity_are_refused()
    {
        var system = (ExtendedActorSystem)Sys;
        var temp = new Akka.Actor.EmptyLocalActorRef(system.Provider, system.Provider.TempPath(), Sys.EventStream);
        var entity = ActorPath.Parse("akka://test/system/sharding/deployment/12/default%2Fweb/e");
        var command = new ScaleDeployment("default", "web", 3);
        Assert.True(UndeliveredCommands.Refuses(entity, temp, command));
        Assert.False(UndeliveredCommands.Refuses(ActorPath.Parse("akka://test/user/api-gateway"), temp, command));
        Assert.False(UndeliveredCommands.Refuses(ActorPath.Parse("akka://test/system/sharding/deployment"), temp, command)); // a region
        Assert.False(UndeliveredCommands.Refuses(ActorPath.Parse("akka://test/system/sharding/deployment/12"), temp, command)); // a shard
        Assert.False(UndeliveredCommands.Refuses(entity, TestActor, command));     // not an ask: its sender sees its own stop
        Assert.False(UndeliveredCommands.Refuses(entity, ActorRefs.Nobody, command));
        Assert.False(UndeliveredCommands.Refuses(entity, temp, new CommandAccepted("done")));
        Assert.False(UndeliveredCommands.Refuses(entity, temp, "tick"));
    }
}
