using Akka.Configuration;
using Akka.TestKit.Xunit2;
using Troupe.Api.Akka;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;
using Xunit;

namespace Troupe.Actors.Tests.Serialization;

/// <summary>
/// The protocol as cluster.hocon binds it: what ClusterClient callers send must find the serializer (id 7701, no
/// manifest) they bind on their side (samples/ClusterClientSample).
/// </summary>
public sealed class ProtocolSerializerSpec() : TestKit(NodeSerialization)
{
    /// <summary>The node's cluster.hocon (copied next to the tests), on a local actor system.</summary>
    static Config NodeSerialization => ConfigurationFactory.ParseString("akka.actor.provider = local")
        .WithFallback(ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "cluster.hocon"))));

    [Fact]
    public void Protocol_messages_are_bound_to_the_shared_serializer_under_id_7701()
    {
        var serializer = Sys.Serialization.FindSerializerFor(new Ping());
        Assert.IsType<ProtocolSerializer>(serializer);
        Assert.Equal(7701, serializer.Identifier);
        Assert.False(serializer.IncludeManifest);
    }

    [Fact]
    public void An_apply_with_a_deployment_comes_back_whole_from_the_id_alone()
    {
        var deployment = new Deployment
        {
            Metadata = new ObjectMeta { Name = "hello", Namespace = "default" },
            Spec = new DeploymentSpec { Replicas = 3, Template = new PodTemplateSpec { Spec = new PodSpec { Containers = [new Container { Name = "main", Image = "busybox" }] } } },
        };
        var bytes = Sys.Serialization.FindSerializerFor(new Ping()).ToBinary(new ApplyObjects([deployment]));

        var back = Assert.IsType<ApplyObjects>(Sys.Serialization.Deserialize(bytes, 7701, ""));

        var d = Assert.IsType<Deployment>(Assert.Single(back.Objects));
        Assert.Equal(("hello", 3, "busybox"), (d.Metadata.Name, d.Spec.Replicas, d.Spec.Template.Spec.Containers.Single().Image));
    }
}
