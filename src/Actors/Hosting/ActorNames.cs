namespace Troupe.Actors.Hosting;

/// <summary>The kebab-case names of the node's top-level actors and sharding type names, in one place.</summary>
public static class ActorNames
{
    public const string Catalog = "catalog";
    public const string NodeAgent = "node-agent";
    public const string Gateway = "api-gateway";
    public const string DeploymentShard = "deployment";
    public const string PodShard = "pod";
    public const string ServiceShard = "service";
    public const string ObjectShard = "object";
    public const string ServiceProxy = "service-proxy";
}
