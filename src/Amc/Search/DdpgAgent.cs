using Amc.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Amc.Search;

/// <summary>What one DDPG gradient step saw, for diagnosing the search: the critic's MSE, the actor's
/// loss (-mean Q(s, mu(s)): the critic's value of the actor's own actions), the critic's mean Q(s, a)
/// of the replayed actions and the mean target it was fitted to.</summary>
internal sealed record UpdateStats(double CriticLoss, double ActorLoss, double MeanQ, double MeanTarget);

/// <summary>
/// DDPG as AMC uses it: actor and critic with target copies (hard copy at start, soft update
/// tau after every gradient step), Adam, discount 1, and a moving-average reward baseline
/// subtracted from the (episode-wide) rewards before the critic target is built. With
/// <see cref="DdpgOptions.TwinCritics"/>, a second critic and TD3's clipped double-Q target; with
/// <see cref="DdpgOptions.ActorDelay"/> and <see cref="DdpgOptions.TargetNoise"/>, the rest of TD3.
/// </summary>
internal sealed class DdpgAgent : IDisposable
{
    readonly DdpgOptions options;
    readonly ActorNetwork actor, actorTarget;
    readonly CriticNetwork critic, criticTarget;
    /// <summary>The second critic and its target copy under <see cref="DdpgOptions.TwinCritics"/>; null otherwise.</summary>
    readonly CriticNetwork? twin, twinTarget;
    readonly ScalarSafeOptimizers.Adam actorOptimizer, criticOptimizer;

    public ReplayBuffer Replay { get; }
    /// <summary>Moving average of minibatch mean rewards; null until the first update.</summary>
    public double? Baseline { get; set; }

    /// <param name="seed">Seeds the networks' initial weights from a generator of their own, so
    /// the search does not depend on (or disturb) libtorch's process-wide random state, which any
    /// other module construction in the process consumes.</param>
    public DdpgAgent(int stateSize, int replayCapacity, DdpgOptions options, long seed)
    {
        this.options = options;
        actor = new ActorNetwork(stateSize, options.Hidden);
        actorTarget = new ActorNetwork(stateSize, options.Hidden);
        critic = new CriticNetwork(stateSize, options.Hidden);
        criticTarget = new CriticNetwork(stateSize, options.Hidden);
        using (var generator = new Generator((ulong)seed))
        {
            Initialize(actor, generator);
            Initialize(critic, generator);
            if (options.TwinCritics)
            {
                twin = new CriticNetwork(stateSize, options.Hidden);
                twinTarget = new CriticNetwork(stateSize, options.Hidden);
                Initialize(twin, generator);
            }
        }
        HardCopy(actor, actorTarget);
        HardCopy(critic, criticTarget);
        if (twin is not null) HardCopy(twin, twinTarget!);
        actorOptimizer = new ScalarSafeOptimizers.Adam(actor.parameters(), options.ActorLearningRate);
        // One optimizer for both critics: Adam is per parameter and each critic's gradient comes from
        // its own loss term only, so this is two optimizers, with one state to save for a resume.
        var criticParameters = twin is null ? critic.parameters() : critic.parameters().Concat(twin.parameters());
        criticOptimizer = new ScalarSafeOptimizers.Adam(criticParameters, options.CriticLearningRate);
        Replay = new ReplayBuffer(replayCapacity);
    }

    /// <summary>The actor's deterministic action for a state.</summary>
    public double Act(float[] state)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        actor.eval();
        return actor.call(tensor(state).unsqueeze(0)).item<float>();
    }

    /// <summary>One DDPG gradient step on a minibatch from the replay buffer; returns what it saw (for the episode log).</summary>
    /// <param name="moveActor">False: the critics learn but the actor and the targets stay (<see cref="DdpgOptions.ActorDelay"/>).</param>
    public UpdateStats Update(SearchRandom rng, bool moveActor = true)
    {
        if (Replay.Count == 0) return new UpdateStats(0, 0, 0, 0);
        var batch = Replay.Sample(options.BatchSize, rng);
        using var scope = NewDisposeScope();
        var s = Stack(batch.Select(t => t.State));
        var s2 = Stack(batch.Select(t => t.Next));
        var a = tensor(batch.Select(t => t.Action).ToArray()).unsqueeze(1);
        var r = tensor(batch.Select(t => t.Reward).ToArray()).unsqueeze(1);
        var notDone = tensor(batch.Select(t => t.Done ? 0f : 1f).ToArray()).unsqueeze(1);

        double mean = batch.Average(t => (double)t.Reward);
        Baseline = Baseline is double b ? b + options.BaselineRate * (mean - b) : mean;
        var advantage = r.Minus(Baseline.Value);

        Tensor target;
        using (no_grad())
        {
            var a2 = actorTarget.call(s2);
            if (options.TargetNoise is double sigma)
            {
                var noise = batch.Select(_ => (float)Math.Clamp(sigma * rng.Normal(), -2.5 * sigma, 2.5 * sigma)).ToArray();
                a2 = a2.Plus(tensor(noise).unsqueeze(1)).ClampToUnit();
            }
            var next = criticTarget.call(s2, a2);
            if (twinTarget is not null) next = minimum(next, twinTarget.call(s2, a2));
            target = advantage.Plus(notDone.Times(options.Discount) * next);
        }

        critic.train();
        criticOptimizer.zero_grad();
        var q = critic.call(s, a);
        var criticLoss = nn.functional.mse_loss(q, target);
        var fitted = criticLoss;
        if (twin is not null)
        {
            twin.train();
            fitted = criticLoss.Plus(nn.functional.mse_loss(twin.call(s, a), target));
        }
        fitted.backward();
        criticOptimizer.step();

        actor.train();
        actorOptimizer.zero_grad();
        var actorLoss = -critic.call(s, actor.call(s)).mean();
        if (moveActor)
        {
            actorLoss.backward();
            actorOptimizer.step();
            SoftUpdate(actor, actorTarget, options.Tau);
            SoftUpdate(critic, criticTarget, options.Tau);
            if (twin is not null) SoftUpdate(twin, twinTarget!, options.Tau);
        }
        return new UpdateStats(criticLoss.item<float>(), actorLoss.item<float>(), q.mean().item<float>(), target.mean().item<float>());
    }

    /// <summary>PyTorch's default Linear initialisation, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), drawn from <paramref name="generator"/>.</summary>
    static void Initialize(nn.Module network, Generator generator)
    {
        using var _ = no_grad();
        foreach (var linear in network.modules().OfType<TorchSharp.Modules.Linear>())
        {
            double bound = 1.0 / Math.Sqrt(linear.weight!.shape[1]);
            linear.weight.uniform_(-bound, bound, generator);
            linear.bias?.uniform_(-bound, bound, generator);
        }
    }

    static Tensor Stack(IEnumerable<float[]> rows) => stack(rows.Select(x => tensor(x)).ToList());

    static void HardCopy(nn.Module source, nn.Module target) => SoftUpdate(source, target, 1.0);

    static void SoftUpdate(nn.Module source, nn.Module target, double tau)
    {
        using var _ = no_grad();
        // One pair of Scalars for every tensor, alive through each call (Amc.Torch.Scalars).
        using var keep = (1 - tau).ToScalar();
        using var take = tau.ToScalar();
        foreach (var (sp, tp) in source.parameters().Zip(target.parameters()))
            tp.mul_(keep).add_(sp, take);
    }

    /// <summary>Every network's tensors by a stable name, for the search state file.</summary>
    public Dictionary<string, Tensor> Tensors()
    {
        var result = new Dictionary<string, Tensor>();
        foreach (var (prefix, m) in Networks())
            foreach (var (name, p) in m.named_parameters()) result[$"{prefix}.{name}"] = p;
        return result;
    }

    public void LoadTensors(IReadOnlyDictionary<string, Tensor> tensors)
    {
        using var _ = no_grad();
        foreach (var (key, p) in Tensors()) p.copy_(tensors[key]);
    }

    IEnumerable<(string, nn.Module)> Networks()
    {
        IEnumerable<(string, nn.Module)> networks = [("actor", actor), ("actor_target", actorTarget), ("critic", critic), ("critic_target", criticTarget)];
        return twin is null ? networks : networks.Append(("critic2", twin)).Append(("critic2_target", twinTarget!));
    }

    /// <summary>Adam moments and step counts, so a resumed search updates exactly as before.</summary>
    public (byte[] Actor, byte[] Critic) OptimizerStates() => (Save(actorOptimizer), Save(criticOptimizer));

    /// <summary>Null when both states fit this agent's optimizers (see <see cref="Amc.Torch.OptimizerStateCheck"/>); otherwise which does not and why.</summary>
    public string? OptimizerStatesProblem(byte[] actorState, byte[] criticState) =>
        Amc.Torch.OptimizerStateCheck.Problem(actorState, actorOptimizer) is { } actorProblem ? $"the actor's optimizer state {actorProblem}"
        : Amc.Torch.OptimizerStateCheck.Problem(criticState, criticOptimizer) is { } criticProblem ? $"the critic's optimizer state {criticProblem}"
        : null;

    /// <summary>Loads states that <see cref="OptimizerStatesProblem"/> found fitting.</summary>
    public void LoadOptimizerStates(byte[] actorState, byte[] criticState)
    {
        Load(actorOptimizer, actorState);
        Load(criticOptimizer, criticState);
    }

    static byte[] Save(TorchSharp.Modules.Adam o)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) o.save_state_dict(w);
        return ms.ToArray();
    }

    static void Load(TorchSharp.Modules.Adam o, byte[] state)
    {
        using var r = new BinaryReader(new MemoryStream(state));
        o.load_state_dict(r);
    }

    public void Dispose()
    {
        actor.Dispose(); actorTarget.Dispose(); critic.Dispose(); criticTarget.Dispose();
        twin?.Dispose(); twinTarget?.Dispose();
        actorOptimizer.Dispose(); criticOptimizer.Dispose();
    }
}
