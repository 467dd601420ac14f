using Troupe.Actors.Deployments;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;
using Xunit;

namespace Troupe.Actors.Tests.Deployments;

public class DeploymentStateSpec
{
    static Deployment Web(int replicas = 3, string image = "busybox") => new()
    {
        Metadata = new ObjectMeta { Name = "web" },
        Spec = new DeploymentSpec
        {
            Replicas = replicas,
            Template = new PodTemplateSpec
            {
                Spec = new PodSpec { Containers = [new Container { Name = "c", Image = image }] },
            },
        },
    };

    static DeploymentApplied Applied(Deployment d, string hash, long gen) =>
        new(ProtocolJson.Serialize(d), hash, gen, "uid-1", DateTimeOffset.UnixEpoch);

    [Fact]
    public void DeploymentState_must_rebuild_spec_pods_and_revisions_from_events()
    {
        var s = DeploymentState.Empty
            .Apply(new EpochAdvanced(1))
            .Apply(Applied(Web(), "h1", 1))
            .Apply(new PodCreated("h1", "web-h1-aaaaa", "u1", "n1", 1, DateTimeOffset.UnixEpoch))
            .Apply(new PodCreated("h1", "web-h1-bbbbb", "u2", "n1", 1, DateTimeOffset.UnixEpoch))
            .Apply(new DeploymentScaled(5, 2))
            .Apply(Applied(Web(5, "busybox:2"), "h2", 3))
            .Apply(new PodDeleted("web-h1-aaaaa"));

        Assert.True(s.Exists);
        Assert.Equal(5, s.Object!.Spec.Replicas);
        Assert.Equal(3, s.Generation);
        Assert.Equal("h2", s.TemplateHash);
        Assert.Equal(["web-h1-bbbbb"], s.Pods.Keys);
        Assert.Equal(1, s.Revisions["h1"]);
        Assert.Equal(2, s.Revisions["h2"]);
        Assert.Equal("busybox:2", s.Templates["h2"].Spec.Containers[0].Image);
        Assert.Equal("uid-1", s.Object.Metadata.Uid);
    }

    [Fact]
    public void DeploymentState_must_forget_pods_and_revisions_when_deleted()
    {
        var s = DeploymentState.Empty
            .Apply(Applied(Web(), "h1", 1))
            .Apply(new PodCreated("h1", "p", "u", "n", 1, DateTimeOffset.UnixEpoch))
            .Apply(new DeploymentDeleted(DateTimeOffset.UnixEpoch));
        Assert.False(s.Exists);
        Assert.True(s.Deleted);
        Assert.Empty(s.Pods);
        Assert.Empty(s.Revisions);
    }
}
