// A .NET service that drives Troupe with actor messages: it applies a Deployment, scales it and watches it until its
// pods are available, through ClusterClient, without joining the cluster. See README.md.
//
//   dotnet run --project samples/ClusterClientSample -- --contact 127.0.0.1:PORT [--contact HOST:PORT]...
//       [--cluster-name NAME] [--file deployment.yaml] [--replicas N] [--timeout SECONDS]
//
// The contacts are named with the nodes' cluster name (their actor system's): --cluster-name, else ACTORSYSTEM (as
// the nodes read it), else troupe.
//
// Each step prints one line; exit 0 once the Deployment has the wanted available replicas, else 1 with one
// "error:" line on stderr.
using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Configuration;
using Troupe.Api.Manifests;
using Troupe.Api.Objects;
using Troupe.Api.Protocol;

// The gateway every node registers with its ClusterClientReceptionist (ActorNames.Gateway in src/Actors).
const string Gateway = "/user/api-gateway";
// How long the first reply may take: the client finds a receptionist, then the gateway answers a Ping at once.
var connectTimeout = TimeSpan.FromSeconds(10);
// How long any other request may take: the gateway answers each within its ask-timeout (30 s), a refusal included.
var requestTimeout = TimeSpan.FromSeconds(35);

SampleArgs options;
try { options = SampleArgs.Parse(args); }
catch (ArgumentException e) { return Fail(e.Message); }

// Not a cluster member: remoting only, on any free port. The protocol records travel as Troupe's JSON, so the
// serializer bound to ITroupeMessage must be the one the nodes use (id 7701).
var config = ConfigurationFactory.ParseString("""
    akka {
      loglevel = ERROR
      stdout-loglevel = ERROR
      log-dead-letters = off
      log-dead-letters-during-shutdown = off
      actor {
        provider = remote
        serializers.troupe-protocol = "Troupe.Api.Akka.ProtocolSerializer, Troupe.Api.Akka"
        serialization-bindings { "Troupe.Api.Protocol.ITroupeMessage, Troupe.Api" = troupe-protocol }
      }
      remote {
        log-remote-lifecycle-events = off
        dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
      }
    }
    """)
    // ClusterClient hands each request to the receptionist inside a pub-sub Send: without the pub-sub serializer's
    // binding (not in ClusterClient's own defaults) that envelope would fall back to Newtonsoft.Json, which the node
    // cannot read back for records with immutable collections.
    .WithFallback(DistributedPubSub.DefaultConfig());
using var system = ActorSystem.Create("troupe-client", config);
var contacts = options.Contacts.Select(c => ActorPath.Parse($"akka.tcp://{options.ClusterName}@{c}/system/receptionist")).ToImmutableHashSet();
var client = system.ActorOf(ClusterClient.Props(ClusterClientSettings.Create(system).WithInitialContacts(contacts)), "troupe");

try
{
    // 1. Is a node there?
    var pong = await Ask<Pong>(new Ping(), connectTimeout);
    Console.WriteLine($"connected: node {pong.NodeName} {pong.Version} ({pong.Driver}) at {pong.Address}");

    // 2. Apply the Deployment, as `troupe apply -f` does (the gateway validates it again).
    var deployment = options.Deployment();
    var applied = await Ask<ObjectsApplied>(new ApplyObjects([deployment]));
    foreach (var r in applied.Results) Console.WriteLine($"applied: deployment.apps/{r.Name} {r.Action}");

    // 3. Scale it.
    var (ns, name) = (deployment.Metadata.Namespace ?? "default", deployment.Metadata.Name);
    var replicas = options.Replicas ?? deployment.Spec.Replicas;
    await Ask<CommandAccepted>(new ScaleDeployment(ns, name, replicas));
    Console.WriteLine($"scaled: deployment.apps/{name} to {replicas} replicas");

    // 4. Watch it: the protocol has no watch message, so poll GetObjects and print each change of status.
    var deadline = DateTime.UtcNow + options.Timeout;
    string? last = null;
    while (true)
    {
        var list = await Ask<ObjectList>(new GetObjects("Deployment", ns, name));
        var status = list.Items.OfType<Deployment>().Single().Status;
        var line = $"watch: deployment.apps/{name} {status?.AvailableReplicas ?? 0}/{replicas} available, {status?.Replicas ?? 0} replicas";
        if (line != last) Console.WriteLine(last = line);
        if (status is { } s && s.AvailableReplicas == replicas && s.Replicas == replicas) break;
        if (DateTime.UtcNow > deadline)
            return Fail($"deployment.apps/{name} did not reach {replicas} available replicas within {options.Timeout.TotalSeconds:F0} s");
        await Task.Delay(500);
    }
    Console.WriteLine($"ready: deployment.apps/{name} has {replicas} available replicas");
    return 0;
}
catch (ManifestException e) { return Fail(e.Message.Replace("\n", "; ")); }
catch (IOException e) { return Fail(e.Message); }
catch (SampleException e) { return Fail(e.Message); }
finally
{
    await system.Terminate();
}

// One request, one reply: the gateway answers with the reply record or a CommandRejected. ClusterClient.Send
// reaches one gateway of the nodes it knows; the reply comes back through the receptionist.
async Task<T> Ask<T>(ITroupeMessage request, TimeSpan? timeout = null) where T : ITroupeMessage
{
    var wait = timeout ?? requestTimeout;
    ITroupeMessage reply;
    try { reply = await client.Ask<ITroupeMessage>(new ClusterClient.Send(Gateway, request), wait); }
    catch (AskTimeoutException)
    {
        throw new SampleException($"no Troupe node answered {request.GetType().Name} at {string.Join(", ", options.Contacts)} " +
            $"within {wait.TotalSeconds:F0} s (is a node running there? its address is in $TROUPE_HOME/node.json)");
    }
    return reply switch
    {
        T ok => ok,
        CommandRejected r => throw new SampleException($"{request.GetType().Name} rejected ({r.Code}): {r.Reason}"),
        _ => throw new SampleException($"{request.GetType().Name}: unexpected reply {reply.GetType().Name}"),
    };
}

static int Fail(string message)
{
    Console.Error.WriteLine($"error: {message}");
    return 1;
}

/// <summary>The command line: where the nodes are and what to run.</summary>
sealed record SampleArgs(ImmutableArray<string> Contacts, string ClusterName, string? File, int? Replicas, TimeSpan Timeout)
{
    /// <summary>The Deployment run when no <c>--file</c> is given: busybox sleeping, one replica.</summary>
    const string BuiltIn = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: hello
        spec:
          replicas: 1
          selector:
            matchLabels: {app: hello}
          template:
            metadata:
              labels: {app: hello}
            spec:
              containers:
                - name: main
                  image: busybox:latest
                  command: ["sh", "-c", "sleep 3600"]
        """;

    public static SampleArgs Parse(string[] args)
    {
        var contacts = ImmutableArray.CreateBuilder<string>();
        string? file = null;
        var clusterName = Environment.GetEnvironmentVariable("ACTORSYSTEM") is { Length: > 0 } env ? env : "troupe";
        int? replicas = null;
        var timeout = TimeSpan.FromSeconds(60);
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i++])
            {
                case "--contact" when value.Split(':') is [{ Length: > 0 }, var port] && int.TryParse(port, out _):
                    contacts.Add(value);
                    break;
                case "--file": file = value; break;
                case "--cluster-name": clusterName = value; break;
                case "--replicas" when int.TryParse(value, out var n): replicas = n; break;
                case "--timeout" when int.TryParse(value, out var s): timeout = TimeSpan.FromSeconds(s); break;
                default: throw new ArgumentException($"unexpected \"{args[i - 1]} {value}\" (usage: --contact HOST:PORT... [--cluster-name NAME] [--file F] [--replicas N] [--timeout S])");
            }
        }
        if (contacts.Count == 0) throw new ArgumentException("at least one --contact HOST:PORT is needed (a node's address, from $TROUPE_HOME/node.json)");
        if (!System.Text.RegularExpressions.Regex.IsMatch(clusterName, "^[a-zA-Z0-9][a-zA-Z0-9-]*$"))
            throw new ArgumentException($"\"{clusterName}\" is not a cluster name (letters, digits and '-', not first)");
        return new SampleArgs(contacts.ToImmutable(), clusterName, file, replicas, timeout);
    }

    /// <summary>The first Deployment of <c>--file</c>, or the built-in one, read by Troupe's own manifest reader.</summary>
    public Deployment Deployment()
    {
        var set = File is null ? ManifestReader.Read(BuiltIn, "built-in") : ManifestReader.ReadFile(File);
        return set.Objects.OfType<Deployment>().FirstOrDefault() ?? throw new SampleException($"{File}: no Deployment in it");
    }
}

/// <summary>A step failed (refused, unanswered, a bad file): one line for the user.</summary>
sealed class SampleException(string message) : Exception(message);
