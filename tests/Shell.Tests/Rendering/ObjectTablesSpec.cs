using System.Collections.Immutable;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;
using Troupe.Shell.Rendering;
using Xunit;
using static Troupe.Shell.Tests.Rendering.Fixtures;

namespace Troupe.Shell.Tests.Rendering;

public sealed class ObjectTablesSpec
{
    static string Table(string kind, bool wide, params string[] json) =>
        ObjectTables.Render(kind, json.Select(Object).ToList(), Now, wide).ToString();

    [Fact]
    public void Pod_table_must_have_kubectls_columns_and_cells()
    {
        var t = Table("Pod", false, RunningPod, CrashingPod, CompletedPod, FailedNoReasonPod, PendingPod, TerminatingPod);
        var lines = t.Split('\n');
        Assert.Equal("NAME                 READY   STATUS              RESTARTS      AGE", lines[0]);
        Assert.Equal("web-7d4b9c-x2k4p     1/1     Running             0             3m2s", lines[1]);
        Assert.Equal("crasher-5f6d-abcde   0/1     CrashLoopBackOff    3 (12s ago)   60s", lines[2]);
        Assert.Equal("job-1                0/1     Completed           0             3h", lines[3]);
        Assert.Equal("killed               0/1     Signal:9            0             24h", lines[4]);
        Assert.Equal("new                  0/2     ContainerCreating   0             2s", lines[5]);
        Assert.Equal("going                1/1     Terminating         0             60m", lines[6]);
        Assert.Equal("", lines[7]);
    }

    [Fact]
    public void Pod_table_wide_must_add_ip_and_node()
    {
        var t = Table("Pod", true, RunningPod, PendingPod).Split('\n');
        Assert.Matches(@"^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE$", t[0]);
        Assert.Matches(@"^web-7d4b9c-x2k4p\s+1/1\s+Running\s+0\s+3m2s\s+10\.88\.0\.4\s+host1$", t[1]);
        Assert.Matches(@"^new\s+0/2\s+ContainerCreating\s+0\s+2s\s+<none>\s+<none>$", t[2]);
    }

    [Fact]
    public void Deployment_table_must_have_kubectls_columns()
    {
        var t = Table("Deployment", false, WebDeployment);
        Assert.Equal("NAME   READY   UP-TO-DATE   AVAILABLE   AGE\nweb    2/3     3            2           2d\n", t);
    }

    [Fact]
    public void Event_table_must_show_last_seen_and_object()
    {
        var t = Table("Event", false, ScalingEvent).Split('\n');
        Assert.Matches(@"^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$", t[0]);
        Assert.Matches(@"^10s\s+Normal\s+ScalingReplicaSet\s+deployment/web\s+Scaled up replica set web-7d4b9c to 3$", t[1]);
    }

    [Fact]
    public void All_namespaces_must_add_a_namespace_column()
    {
        var t = ObjectTables.Render("Pod", [Pod(RunningPod)], Now, allNamespaces: true).ToString();
        Assert.StartsWith("NAMESPACE   NAME", t);
        Assert.Contains("\ndefault     web-7d4b9c-x2k4p", t);
    }

    [Fact]
    public void Node_table_must_show_ready_roles_version_and_allocated_of_capacity()
    {
        var n = new Node
        {
            Metadata = new ObjectMeta { Name = "host1", Namespace = "" },
            Status = new NodeStatus
            {
                Roles = ["control", "worker"],
                Capacity = ImmutableSortedDictionary<string, string>.Empty.Add("cpu", "2").Add("memory", "24551216Ki").Add("pods", "110"),
                Allocated = ImmutableSortedDictionary<string, string>.Empty.Add("cpu", "250m").Add("memory", "64Mi"),
                Pods = 3,
            },
        };
        var t = ObjectTables.Render("Node", [n], Now, nodeVersion: "0.1.0").ToString();
        Assert.Matches(@"^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+CPU\s+MEMORY\s+PODS\nhost1\s+Ready\s+control,worker\s+<unknown>\s+0\.1\.0\s+250m/2\s+64Mi/23Gi\s+3/110\n$", t);
    }

    [Fact]
    public void Node_table_must_show_dashes_for_a_member_that_runs_no_pods()
    {
        var n = new Node
        {
            Metadata = new ObjectMeta { Name = "10.0.0.1:4053", Namespace = "" },
            Status = new NodeStatus { Roles = ["lighthouse"], Address = "akka.tcp://troupe@10.0.0.1:4053" },
        };
        var t = ObjectTables.Render("Node", [n], Now, nodeVersion: "0.1.0").ToString();
        Assert.Matches(@"
10\.0\.0\.1:4053\s+Ready\s+lighthouse\s+<unknown>\s+0\.1\.0\s+-\s+-\s+-
$", t);
    }

    [Fact]
    public void Wide_node_table_must_show_taints()
    {
        var n = new Node
        {
            Metadata = new ObjectMeta { Name = "gpu1", Namespace = "" },
            Spec = new NodeSpec { Taints = [new Taint("dedicated", "gpu", "NoSchedule")], PodCIDR = "10.161.7.0/24" },
            Status = new NodeStatus { Phase = "Unreachable", Address = "akka.tcp://troupe@10.0.0.5:4053", Driver = "runc" },
        };
        var t = ObjectTables.Render("Node", [n], Now, wide: true, nodeVersion: "0.1.0").ToString();
        Assert.Contains("TAINTS", t);
        Assert.Contains("POD-CIDR", t);
        Assert.Matches(@"gpu1\s+Unreachable\s+.*akka\.tcp://troupe@10\.0\.0\.5:4053\s+10\.161\.7\.0/24\s+runc\s+dedicated=gpu:NoSchedule", t);
    }
}
