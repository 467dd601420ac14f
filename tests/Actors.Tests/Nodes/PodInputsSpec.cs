using System.Collections.Immutable;
using Troupe.Actors.Nodes;
using Troupe.Api.Objects;
using Troupe.Runtime.Drivers;
using Xunit;

namespace Troupe.Actors.Tests.Nodes;

/// <summary>What a container takes from ConfigMaps and its pod's fields when it starts.</summary>
public sealed class PodInputsSpec : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("troupe-podinputs-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    static ConfigMap Cm(string name, params (string, string)[] data) => new()
    {
        Metadata = new ObjectMeta { Name = name },
        Data = data.ToImmutableSortedDictionary(kv => kv.Item1, kv => kv.Item2),
        BinaryData = ImmutableSortedDictionary<string, string>.Empty.Add("raw.bin", "AAEC"),
    };

    static readonly Pod Pod = new()
    {
        Metadata = new ObjectMeta { Name = "web-1", Namespace = "shop", Uid = "u-1", Labels = ImmutableSortedDictionary<string, string>.Empty.Add("app", "web") },
        Spec = new PodSpec { NodeName = "node-a" },
    };

    static PodInputs Inputs(params ConfigMap[] cms) => new(cms.ToDictionary(c => c.Metadata.Name), "10.1.0.7", "192.168.1.2");

    [Fact]
    public void Env_must_take_envFrom_first_then_env_which_wins_with_refs_and_fields_resolved()
    {
        var c = new Container
        {
            Name = "c",
            EnvFrom = [new EnvFromSource("CFG_", new ConfigMapEnvSource("settings")), new EnvFromSource(null, new ConfigMapEnvSource("absent", true))],
            Env =
            [
                new EnvVar("CFG_MODE", "overridden"),
                new EnvVar("GREETING", "", new EnvVarSource { ConfigMapKeyRef = new ConfigMapKeySelector("settings", "greeting") }),
                new EnvVar("MAYBE", "", new EnvVarSource { ConfigMapKeyRef = new ConfigMapKeySelector("settings", "nope", true) }),
                new EnvVar("POD", "", new EnvVarSource { FieldRef = new ObjectFieldSelector("metadata.name") }),
                new EnvVar("NS", "", new EnvVarSource { FieldRef = new ObjectFieldSelector("metadata.namespace") }),
                new EnvVar("IP", "", new EnvVarSource { FieldRef = new ObjectFieldSelector("status.podIP") }),
                new EnvVar("APP", "", new EnvVarSource { FieldRef = new ObjectFieldSelector("metadata.labels['app']") }),
            ],
        };
        var env = Inputs(Cm("settings", ("MODE", "fast"), ("greeting", "hi"), ("not a name", "x"))).Env(Pod, c);
        Assert.Equal(
            [("CFG_MODE", "fast"), ("CFG_greeting", "hi"), ("CFG_MODE", "overridden"), ("GREETING", "hi"), ("POD", "web-1"), ("NS", "shop"), ("IP", "10.1.0.7"), ("APP", "web")],
            env.Select(e => (e.Name, e.Value)));
        // later wins when merged into the container's environment
        Assert.Contains("CFG_MODE=overridden", ContainerLaunchBuilder.MergeEnv([], env, "web-1"));
    }

    [Fact]
    public void A_missing_configmap_or_key_must_fail_the_start_unless_optional()
    {
        var missing = new Container { Name = "c", EnvFrom = [new EnvFromSource(null, new ConfigMapEnvSource("settings"))] };
        var e = Assert.Throws<ContainerStartException>(() => Inputs().Env(Pod, missing));
        Assert.Equal("CreateContainerConfigError: configmap \"settings\" not found", e.Message);
        var key = new Container { Name = "c", Env = [new EnvVar("X", "", new EnvVarSource { ConfigMapKeyRef = new ConfigMapKeySelector("settings", "k") })] };
        Assert.Equal("CreateContainerConfigError: couldn't find key k in ConfigMap shop/settings",
            Assert.Throws<ContainerStartException>(() => Inputs(Cm("settings")).Env(Pod, key)).Message);
    }

    [Fact]
    public void A_configmap_volume_must_hold_its_keys_as_files_or_only_the_items_with_their_modes()
    {
        var cm = Cm("settings", ("app.conf", "a=1\n"), ("other", "o"));
        var all = Path.Combine(_dir, "all");
        Inputs(cm).WriteVolume(new ConfigMapVolumeSource { Name = "settings" }, all);
        Assert.Equal(["app.conf", "other", "raw.bin"], Directory.GetFiles(all).Select(Path.GetFileName).Order());
        Assert.Equal("a=1\n", File.ReadAllText(Path.Combine(all, "app.conf")));
        Assert.Equal([0, 1, 2], File.ReadAllBytes(Path.Combine(all, "raw.bin")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(Path.Combine(all, "app.conf")));

        var some = Path.Combine(_dir, "some");
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(some).FullName, "stale"), "from the last start");
        Inputs(cm).WriteVolume(new ConfigMapVolumeSource { Name = "settings", DefaultMode = 256, Items = [new KeyToPath("app.conf", "conf/app.conf", 384)] }, some);
        Assert.Equal(["conf/app.conf"], Directory.GetFiles(some, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(some, f)));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(some, "conf", "app.conf")));

        Assert.Throws<ContainerStartException>(() => Inputs().WriteVolume(new ConfigMapVolumeSource { Name = "settings" }, Path.Combine(_dir, "x")));
        Inputs().WriteVolume(new ConfigMapVolumeSource { Name = "settings", Optional = true }, Path.Combine(_dir, "y"));
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir, "y")));
        Assert.Equal(["settings"], PodInputs.ConfigMapsOf(new Pod { Spec = new PodSpec { Volumes = [new Volume { Name = "v", ConfigMap = new ConfigMapVolumeSource { Name = "settings" } }] } }));
    }
}
