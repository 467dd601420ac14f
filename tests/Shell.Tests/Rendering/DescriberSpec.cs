using Troupe.Api.Objects;
using Troupe.Api.Protocol;
using Troupe.Shell.Rendering;
using Xunit;
using static Troupe.Shell.Tests.Rendering.Fixtures;

namespace Troupe.Shell.Tests.Rendering;

public sealed class DescriberSpec
{
    [Fact]
    public void Describe_deployment_must_show_replicas_template_conditions_and_events()
    {
        var d = Object(WebDeployment);
        var events = Describer.EventsFor(d, [Object(ScalingEvent)]);
        var text = Describer.Describe(d, events, Now);
        Assert.Matches(@"(?m)^Name:\s+web$", text);
        Assert.Matches(@"(?m)^Namespace:\s+default$", text);
        Assert.Matches(@"(?m)^Labels:\s+app=web$", text);
        Assert.Matches(@"(?m)^Selector:\s+app=web$", text);
        Assert.Contains("3 desired | 3 updated | 3 total | 2 available | 1 unavailable", text);
        Assert.Matches(@"(?m)^StrategyType:\s+RollingUpdate$", text);
        Assert.Contains("Pod Template:", text);
        Assert.Matches(@"(?m)^\s+Image:\s+busybox:latest$", text);
        Assert.Matches(@"(?m)^\s+cpu: 250m$", text);
        Assert.Matches(@"(?m)^\s+Available\s+False\s+MinimumReplicasUnavailable$", text);
        Assert.Contains("Events:", text);
        Assert.Matches(@"(?m)^\s+Normal\s+ScalingReplicaSet\s+10s\s+deployment-controller\s+Scaled up replica set web-7d4b9c to 3$", text);
    }

    [Fact]
    public void Describe_pod_must_show_container_state_last_state_and_restarts()
    {
        var text = Describer.Describe(Pod(CrashingPod), [], Now);
        Assert.Matches(@"(?m)^Status:\s+Running$", text);
        Assert.Matches(@"(?m)^\s+State:\s+Waiting$", text);
        Assert.Matches(@"(?m)^\s+Reason:\s+CrashLoopBackOff$", text);
        Assert.Matches(@"(?m)^\s+Last State:\s+Terminated$", text);
        Assert.Matches(@"(?m)^\s+Exit Code:\s+1$", text);
        Assert.Matches(@"(?m)^\s+Restart Count:\s+3$", text);
        Assert.Matches(@"(?m)^Events:\s+<none>$", text);
    }

    [Fact]
    public void Events_must_be_those_of_the_object_only()
    {
        var d = Object(WebDeployment);
        var other = new Event { InvolvedObject = new ObjectReference("Deployment", "default", "api"), Reason = "X" };
        var pod = new Event { InvolvedObject = new ObjectReference("Pod", "default", "web"), Reason = "Y" };
        Assert.Empty(Describer.EventsFor(d, [other, pod]));

        // a Deployment of the same name deleted before this one was made: its events are not this one's
        var current = d with { Metadata = d.Metadata with { Uid = "uid-now" } };
        var earlier = new Event { InvolvedObject = new ObjectReference("Deployment", "default", "web", "uid-before"), Reason = "Earlier" };
        var mine = new Event { InvolvedObject = new ObjectReference("Deployment", "default", "web", "uid-now"), Reason = "Mine" };
        var unknown = new Event { InvolvedObject = new ObjectReference("Deployment", "default", "web"), Reason = "NoUid" };
        Assert.Equal(["Mine", "NoUid"], Describer.EventsFor(current, [earlier, mine, unknown]).Select(e => e.Reason).Order());
    }
}
