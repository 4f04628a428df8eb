using System.Net;
using System.Text.Json;

namespace Amc.Distributed;

/// <summary>
/// How a coordinator and its workers find each other, from a small JSON file:
/// <c>{ "clustering": "localhost", "coordinator": "10.0.0.5:11111", "clusterId": "amc", "secret": "..." }</c>.
/// "localhost" clustering is Orleans' development clustering: the coordinator's silo is the
/// membership's primary, so workers on other machines can join it, but the cluster ends with it.
/// "redis" clustering keeps the membership table in Redis (<c>"redis": "host:port"</c> or a StackExchange.Redis
/// connection string): workers may start before the coordinator and stay for the next search.
/// </summary>
public sealed record ClusterConfig(string Clustering, IPEndPoint Coordinator, string ClusterId, string Secret, string? Redis = null)
{
    public const int MinSecretLength = 16;

    sealed record File(string? Clustering, string? Coordinator, string? ClusterId, string? Secret, string? Redis = null);

    public static ClusterConfig Load(string path)
    {
        if (!System.IO.File.Exists(path)) throw new ClusterException($"--cluster: no file {path}");
        File? file;
        try { file = JsonSerializer.Deserialize<File>(System.IO.File.ReadAllText(path), new JsonSerializerOptions { PropertyNameCaseInsensitive = true }); }
        catch (JsonException e) { throw new ClusterException($"--cluster {path} is not a cluster config (JSON): {e.Message}"); }
        if (file is null) throw new ClusterException($"--cluster {path} is empty");
        return Create(file.Clustering ?? "localhost", file.Coordinator, file.ClusterId ?? "amc", file.Secret, path, file.Redis);
    }

    public static ClusterConfig Create(string clustering, string? coordinator, string clusterId, string? secret, string source, string? redis = null)
    {
        if (clustering is not ("localhost" or "redis"))
            throw new ClusterException($"{source}: clustering '{clustering}' is not supported; use \"localhost\" (the coordinator's silo is the membership primary) or \"redis\"");
        if (clustering == "redis" && string.IsNullOrWhiteSpace(redis))
            throw new ClusterException($"{source}: clustering \"redis\" needs \"redis\": the Redis server, e.g. \"10.0.0.5:6379\"");
        if (coordinator is null || !IPEndPoint.TryParse(coordinator, out var endpoint) || endpoint.Port == 0)
            throw new ClusterException($"{source}: \"coordinator\" must be the coordinator's IP address and port, e.g. \"127.0.0.1:11111\"; got '{coordinator}'");
        if (secret is null || secret.Length < MinSecretLength)
            throw new ClusterException($"{source}: \"secret\" must be at least {MinSecretLength} characters (workers accept work only with it)");
        return new ClusterConfig(clustering, endpoint, clusterId, secret, clustering == "redis" ? redis : null);
    }

    public string ToJson() => JsonSerializer.Serialize(new File(Clustering, Coordinator.ToString(), ClusterId, Secret, Redis));
}
