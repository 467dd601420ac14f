using System.Collections.Immutable;
using Troupe.Api.Objects;
using Xunit;

namespace Troupe.Api.Tests.Objects;

public class TemplateHashSpec
{
    static PodTemplateSpec Template(string image = "myapp:1.0", params (string, string)[] labels) => new()
    {
        Metadata = new ObjectMeta
        {
            Labels = (labels.Length == 0 ? [("app", "myapp")] : labels).ToImmutableSortedDictionary(l => l.Item1, l => l.Item2),
        },
        Spec = new PodSpec
        {
            Containers = [new Container { Name = "myapp", Image = image, Ports = [new PortSpec { ContainerPort = 5000 }] }],
        },
    };

    [Fact]
    public void TemplateHash_must_be_a_pinned_golden_value()
    {
        // Computed once and pinned: a change here changes every ReplicaSet name of every stored Deployment.
        Assert.Equal("775b5bb778", TemplateHash.Compute(Template()));
    }

    [Fact]
    public void TemplateHash_must_count_a_field_added_later_only_when_it_is_set()
    {
        var t = Template();
        var withVolume = t with
        {
            Spec = t.Spec with
            {
                Volumes = [new Volume { Name = "data", HostPath = new HostPathVolumeSource("/srv") }],
                Containers = [t.Spec.Containers[0] with { VolumeMounts = [new VolumeMount { Name = "data", MountPath = "/data" }] }],
            },
        };
        Assert.NotEqual(TemplateHash.Compute(t), TemplateHash.Compute(withVolume));
    }

    [Fact]
    public void TemplateHash_must_use_the_safe_alphabet_and_be_stable()
    {
        var h = TemplateHash.Compute(Template());
        Assert.Equal(h, TemplateHash.Compute(Template()));
        Assert.InRange(h.Length, 1, 10);
        Assert.All(h, c => Assert.Contains(c, "bcdfghjklmnpqrstvwxz2456789"));
    }

    [Fact]
    public void TemplateHash_must_change_when_the_image_changes()
    {
        Assert.NotEqual(TemplateHash.Compute(Template("myapp:1.0")), TemplateHash.Compute(Template("myapp:1.1")));
    }

    [Fact]
    public void TemplateHash_must_not_depend_on_label_order_or_comparer()
    {
        var a = Template("x:1", ("app", "web"), ("tier", "front"));
        var b = a with
        {
            Metadata = a.Metadata with
            {
                Labels = ImmutableSortedDictionary.CreateRange<string, string>(Comparer<string>.Create((x, y) => -string.CompareOrdinal(x, y)),
                    [new("tier", "front"), new("app", "web")]),
            },
        };
        Assert.Equal(["tier", "app"], b.Metadata.Labels.Keys);
        Assert.Equal(TemplateHash.Compute(a), TemplateHash.Compute(b));
    }

    [Fact]
    public void TemplateHash_must_change_with_the_collision_count()
    {
        Assert.NotEqual(TemplateHash.Compute(Template()), TemplateHash.Compute(Template(), collisionCount: 1));
    }

    [Fact]
    public void TemplateHash_must_encode_digits_as_kubernetes_SafeEncodeString()
    {
        // '0'..'9' are runes 48..57; 48 % 27 = 21 → '4', ..., 54 % 27 = 0 → 'b'.
        Assert.Equal("456789bcdf4", TemplateHash.SafeEncode("01234567890"));
        Assert.Equal(0xbf9cf968u, TemplateHash.Fnv1a32("foobar"u8));
    }
}
