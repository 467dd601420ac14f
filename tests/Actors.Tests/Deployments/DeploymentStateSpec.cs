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

    [Fact]
    public void DeploymentState_must_keep_each_revisions_change_cause_and_forget_pruned_revisions()
    {
        Deployment Caused(Deployment d, string? cause) => cause is null ? d
            : d with { Metadata = d.Metadata with { Annotations = d.Metadata.Annotations.Add(DeploymentState.ChangeCauseAnnotation, cause) } };
        var s = DeploymentState.Empty
            .Apply(Applied(Caused(Web(), "first"), "h1", 1))
            .Apply(Applied(Caused(Web(3, "busybox:2"), "second"), "h2", 2))
            .Apply(Applied(Web(3, "busybox:3"), "h3", 3));
        Assert.Equal("first", s.ChangeCauses["h1"]);
        Assert.Equal("second", s.ChangeCauses["h2"]);
        Assert.False(s.ChangeCauses.ContainsKey("h3"));

        // back to the first template: a new revision number, its cause as applied now
        s = s.Apply(Applied(Caused(Web(), "undo"), "h1", 4));
        Assert.Equal(4, s.Revisions["h1"]);
        Assert.Equal("undo", s.ChangeCauses["h1"]);

        s = s.Apply(new RevisionsPruned(["h2"]));
        Assert.Equal(["h1", "h3"], s.Revisions.Keys);
        Assert.Equal(["h1", "h3"], s.Templates.Keys);
        Assert.False(s.ChangeCauses.ContainsKey("h2"));
    }
}
