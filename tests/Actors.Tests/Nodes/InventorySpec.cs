using System.Collections.Immutable;
using Troupe.Actors.Nodes;
using Troupe.Api.Objects;
using Troupe.Runtime.Drivers;
using Xunit;

namespace Troupe.Actors.Tests.Nodes;

public sealed class InventorySpec
{
    private static ContainerRecord Rec(string id, string node, string? uid, string container = "main", string status = "Running")
    {
        var labels = ImmutableSortedDictionary<string, string>.Empty.Add("troupe.node", node).Add("troupe.container.name", container);
        if (uid is not null) labels = labels.Add("troupe.pod.uid", uid);
        return new ContainerRecord(id, status, status == "Running" ? 7 : null, null, labels, null);
    }

    private static PodOnDisk Disk(string uid, bool withPod = true) => new(uid, withPod
        ? new Pod
        {
            Metadata = new ObjectMeta { Name = uid, Uid = uid },
            Spec = new PodSpec { Containers = [new Container { Name = "main", Image = "busybox" }] },
        }
        : null, null);

    [Fact]
    public void Inventory_must_adopt_known_pods_and_clean_up_the_rest()
    {
        var plan = Inventory.Plan("n1",
        [
            Rec("u1-main", "n1", "u1"),                       // running, known → adopt u1
            Rec("u2-main", "n1", "u2", status: "Stopped"),    // stopped, known → adopt u2 (restart per policy)
            Rec("u9-main", "n1", "u9"),                       // no pod folder → remove
            Rec("u1-extra", "n1", "u1", container: "extra"),  // not in u1's spec → remove
            Rec("x-main", "n2", "x"),                         // another node's → never touched
            new ContainerRecord("builder-1", "Running", 9, null, ImmutableSortedDictionary<string, string>.Empty, null),
        ],
        [Disk("u1"), Disk("u2"), Disk("u3"), Disk("torn", withPod: false)]);
        Assert.Equal(["u1", "u2"], plan.Adopt.Select(p => p.Uid).Order());
        Assert.Equal(["u1-extra", "u9-main"], plan.RemoveContainers.Order());
        Assert.Equal(["torn", "u3"], plan.RemoveDirs.Order());
    }
}
