using Troupe.Api.Objects;
using Troupe.Api.Protocol;
using Troupe.Shell.Connection;

namespace Troupe.Shell.Tests.Rendering;

/// <summary>Objects as the node sends them (Kubernetes JSON), at a fixed "now".</summary>
public static class Fixtures
{
    public static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-02T12:00:00Z");

    public static Pod Pod(string json) => (Pod)Object(json);

    /// <summary>Parsed as the shell's client does it.</summary>
    public static KubeObject Object(string json) => ProtocolJson.DeserializeObject(json);

    /// <summary>A node's answer to <see cref="GetObjects"/>: the objects parsed from their JSON.</summary>
    public static ObjectList List(params string[] json) => new([.. json.Select(Object)], 1);

    public const string RunningPod = """
        {"kind":"Pod","apiVersion":"v1",
         "metadata":{"name":"web-7d4b9c-x2k4p","namespace":"default","creationTimestamp":"2026-12-02T11:56:58Z","labels":{"app":"web"}},
         "spec":{"nodeName":"host1","containers":[{"name":"web","image":"busybox:latest"}]},
         "status":{"phase":"Running","podIP":"10.88.0.4","containerStatuses":[
           {"name":"web","ready":true,"restartCount":0,"image":"busybox:latest","containerID":"runc://abc","pid":4242,
            "state":{"running":{"startedAt":"2026-12-02T11:57:00Z"}}}]}}
        """;

    public const string CrashingPod = """
        {"kind":"Pod","apiVersion":"v1",
         "metadata":{"name":"crasher-5f6d-abcde","namespace":"default","creationTimestamp":"2026-12-02T11:59:00Z"},
         "spec":{"containers":[{"name":"main","image":"busybox:latest"}]},
         "status":{"phase":"Running","containerStatuses":[
           {"name":"main","ready":false,"restartCount":3,"image":"busybox:latest",
            "state":{"waiting":{"reason":"CrashLoopBackOff","message":"back-off 40s restarting failed container"}},
            "lastState":{"terminated":{"exitCode":1,"reason":"Error","finishedAt":"2026-12-02T11:59:48Z"}}}]}}
        """;

    public const string CompletedPod = """
        {"kind":"Pod","apiVersion":"v1",
         "metadata":{"name":"job-1","namespace":"default","creationTimestamp":"2026-12-02T09:00:00Z"},
         "spec":{"restartPolicy":"Never","containers":[{"name":"main","image":"busybox:latest"}]},
         "status":{"phase":"Succeeded","containerStatuses":[
           {"name":"main","ready":false,"restartCount":0,"image":"busybox:latest",
            "state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}}
        """;

    public const string FailedNoReasonPod = """
        {"kind":"Pod","apiVersion":"v1",
         "metadata":{"name":"killed","namespace":"default","creationTimestamp":"2026-12-01T12:00:00Z"},
         "spec":{"containers":[{"name":"main","image":"busybox:latest"}]},
         "status":{"phase":"Failed","containerStatuses":[
           {"name":"main","ready":false,"restartCount":0,"image":"busybox:latest",
            "state":{"terminated":{"exitCode":137,"signal":9}}}]}}
        """;

    public const string PendingPod = """
        {"kind":"Pod","apiVersion":"v1",
         "metadata":{"name":"new","namespace":"default","creationTimestamp":"2026-12-02T11:59:58Z"},
         "spec":{"containers":[{"name":"a","image":"busybox"},{"name":"b","image":"busybox"}]},
         "status":{"phase":"Pending","containerStatuses":[
           {"name":"a","ready":false,"restartCount":0,"image":"busybox","state":{"waiting":{"reason":"ContainerCreating"}}}]}}
        """;

    public const string TerminatingPod = """
        {"kind":"Pod","apiVersion":"v1",
         "metadata":{"name":"going","namespace":"default","creationTimestamp":"2026-12-02T11:00:00Z","deletionTimestamp":"2026-12-02T11:59:59Z"},
         "spec":{"containers":[{"name":"a","image":"busybox"}]},
         "status":{"phase":"Running","containerStatuses":[
           {"name":"a","ready":true,"restartCount":0,"image":"busybox","state":{"running":{"startedAt":"2026-12-02T11:00:01Z"}}}]}}
        """;

    public const string WebDeployment = """
        {"kind":"Deployment","apiVersion":"apps/v1",
         "metadata":{"name":"web","namespace":"default","creationTimestamp":"2026-11-30T12:00:00Z","labels":{"app":"web"},"generation":2},
         "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},
           "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"busybox:latest",
             "command":["sh","-c","sleep 1000"],"resources":{"limits":{"cpu":"250m","memory":"64Mi"}}}]}}},
         "status":{"replicas":3,"updatedReplicas":3,"readyReplicas":2,"availableReplicas":2,"unavailableReplicas":1,
           "conditions":[{"type":"Available","status":"False","reason":"MinimumReplicasUnavailable"},
                         {"type":"Progressing","status":"True","reason":"ReplicaSetUpdated"}]}}
        """;

    public const string ScalingEvent = """
        {"kind":"Event","apiVersion":"v1","metadata":{"name":"web.1","namespace":"default"},
         "involvedObject":{"kind":"Deployment","namespace":"default","name":"web"},
         "reason":"ScalingReplicaSet","message":"Scaled up replica set web-7d4b9c to 3","type":"Normal","count":1,
         "firstTimestamp":"2026-12-02T11:59:50Z","lastTimestamp":"2026-12-02T11:59:50Z","source":{"component":"deployment-controller"}}
        """;
}
