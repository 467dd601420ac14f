using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using Troupe.Actors.Catalog;
using Troupe.Actors.Hosting;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;
using Xunit;

namespace Troupe.Actors.Tests.Catalog;

public class CatalogActorSpec : TestKit
{
    public CatalogActorSpec() : base(ConfigurationFactory.ParseString("akka.loglevel = WARNING")
        .WithFallback(ConfigurationFactory.FromResource<NodeOptions>("Troupe.Actors.reference.conf"))) { }

    static Pod P(string name, string ns = "default", string app = "web", string uid = "u") => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = ns, Uid = uid, Labels = ImmutableSortedDictionary<string, string>.Empty.Add("app", app) },
    };

    [Fact]
    public void Catalog_must_list_by_namespace_name_and_label_with_a_rising_version()
    {
        var c = Sys.ActorOf(CatalogActor.Props(ActorsSettings.Create(Sys)));
        c.Tell(new ObjectObserved(P("b")));
        c.Tell(new ObjectObserved(P("a")));
        c.Tell(new ObjectObserved(P("db", app: "db")));
        c.Tell(new ObjectObserved(P("x", ns: "other")));

        c.Tell(new GetObjects("po"));
        var all = ExpectMsg<ObjectList>();
        Assert.Equal(["a", "b", "db"], all.Items.Select(i => i.Metadata.Name));
        Assert.Equal(4, all.ResourceVersion);

        c.Tell(new GetObjects("pods", LabelSelector: "app=web"));
        Assert.Equal(["a", "b"], ExpectMsg<ObjectList>().Items.Select(i => i.Metadata.Name));

        c.Tell(new GetObjects("pod", AllNamespaces: true));
        Assert.Equal(4, ExpectMsg<ObjectList>().Items.Length);

        c.Tell(new GetObjects("pods", Name: "nope"));
        Assert.Equal("NotFound", ExpectMsg<CommandRejected>().Code);

        c.Tell(new GetObjects("widgets"));
        Assert.Equal("Invalid", ExpectMsg<CommandRejected>().Code);
    }

    [Fact]
    public void Catalog_must_forget_only_the_object_with_the_given_uid()
    {
        var c = Sys.ActorOf(CatalogActor.Props(ActorsSettings.Create(Sys)));
        c.Tell(new ObjectObserved(P("a", uid: "new")));
        c.Tell(new ObjectForgotten("Pod", "default", "a", "old"));
        c.Tell(new GetObjects("pods"));
        Assert.Single(ExpectMsg<ObjectList>().Items);
        c.Tell(new ObjectForgotten("Pod", "default", "a", "new"));
        c.Tell(new GetObjects("pods"));
        Assert.Empty(ExpectMsg<ObjectList>().Items);
    }

    [Fact]
    public void Catalog_must_fold_repeated_events_into_one_with_a_count()
    {
        var c = Sys.ActorOf(CatalogActor.Props(ActorsSettings.Create(Sys)));
        var e = new Event { InvolvedObject = new ObjectReference("Pod", "default", "a", "u"), Reason = "BackOff", Message = "Back-off restarting failed container" };
        c.Tell(new EventRecorded(e));
        c.Tell(new EventRecorded(e));
        c.Tell(new EventRecorded(e with { Reason = "Started", Message = "Started container c" }));
        c.Tell(new GetObjects("events"));
        var events = ExpectMsg<ObjectList>().Items.Cast<Event>().ToList();
        Assert.Equal(2, events.Count);
        Assert.Equal(2, events.Single(x => x.Reason == "BackOff").Count);
    }
}
