using Amc.Search;
using static TorchSharp.torch;

namespace Amc.Tests.Search;

/// <summary>
/// One <see cref="DdpgAgent.Update"/> against an independent plain-C# double-precision DDPG step
/// with the same known weights and transitions (amc-spec.md §4-§5): baseline b += 0.5 (mean - b)
/// (the first minibatch's mean when there is none), critic target y = (r - b) + γ (1 - done)
/// Q'(s', μ'(s')) from the TARGET networks, critic loss mean (Q(s, a) - y)², one Adam step on the
/// critic, actor loss -mean Q(s, μ(s)) with the UPDATED critic, one Adam step on the actor, then
/// θ' ← τ θ + (1 - τ) θ' with τ = 0.01. The first Adam step moves every weight by
/// lr · g / (|g| + 1e-8), i.e. lr against the sign of its gradient.
/// </summary>
public class DdpgUpdateTests
{
    const double Eps = 1e-8; // Adam's default epsilon

    /// <summary>A linear layer: W[out, in], b[out].</summary>
    sealed record Lin(double[,] W, double[] B)
    {
        public int Out => W.GetLength(0);
        public int In => W.GetLength(1);
        public double[] Apply(double[] x)
        {
            var y = (double[])B.Clone();
            for (int o = 0; o < Out; o++)
                for (int i = 0; i < In; i++) y[o] += W[o, i] * x[i];
            return y;
        }
        public Lin ZeroLike() => new(new double[Out, In], new double[Out]);
    }

    static double[] Relu(double[] z) => z.Select(v => Math.Max(0, v)).ToArray();
    static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));

    sealed record Actor(Lin Fc1, Lin Fc2, Lin Fc3)
    {
        public (double A, double[] H1, double[] H2, double[] Z1, double[] Z2, double Z3) Forward(double[] s)
        {
            var z1 = Fc1.Apply(s); var h1 = Relu(z1);
            var z2 = Fc2.Apply(h1); var h2 = Relu(z2);
            double z3 = Fc3.Apply(h2)[0];
            return (Sigmoid(z3), h1, h2, z1, z2, z3);
        }
    }

    sealed record Critic(Lin FcState, Lin FcAction, Lin Fc2, Lin Fc3)
    {
        public (double Q, double[] H1, double[] H2, double[] Z1, double[] Z2) Forward(double[] s, double a)
        {
            var z1 = FcState.Apply(s);
            var za = FcAction.Apply([a]);
            for (int i = 0; i < z1.Length; i++) z1[i] += za[i];
            var h1 = Relu(z1);
            var z2 = Fc2.Apply(h1); var h2 = Relu(z2);
            return (Fc3.Apply(h2)[0], h1, h2, z1, z2);
        }

        /// <summary>Accumulates dQ/dθ · dq into <paramref name="g"/>; returns dQ/da · dq.</summary>
        public double Backward(double[] s, double a, double dq, Critic g)
        {
            var (_, h1, h2, z1, z2) = Forward(s, a);
            int hidden = h1.Length;
            var dz2 = new double[hidden];
            for (int j = 0; j < hidden; j++)
            {
                g.Fc3.W[0, j] += dq * h2[j];
                dz2[j] = z2[j] > 0 ? dq * Fc3.W[0, j] : 0;
            }
            g.Fc3.B[0] += dq;
            var dz1 = new double[hidden];
            for (int j = 0; j < hidden; j++)
            {
                g.Fc2.B[j] += dz2[j];
                for (int i = 0; i < hidden; i++)
                {
                    g.Fc2.W[j, i] += dz2[j] * h1[i];
                    dz1[i] += dz2[j] * Fc2.W[j, i];
                }
            }
            double da = 0;
            for (int i = 0; i < hidden; i++)
            {
                if (z1[i] <= 0) continue;
                g.FcState.B[i] += dz1[i];
                for (int k = 0; k < s.Length; k++) g.FcState.W[i, k] += dz1[i] * s[k];
                g.FcAction.W[i, 0] += dz1[i] * a;
                g.FcAction.B[i] += dz1[i];
                da += dz1[i] * FcAction.W[i, 0];
            }
            return da;
        }
    }

    static void ActorBackward(Actor net, double[] s, double dA, Actor g)
    {
        var (a, h1, h2, z1, z2, _) = net.Forward(s);
        double dz3 = dA * a * (1 - a);
        int hidden = h1.Length;
        var dz2 = new double[hidden];
        for (int j = 0; j < hidden; j++)
        {
            g.Fc3.W[0, j] += dz3 * h2[j];
            dz2[j] = z2[j] > 0 ? dz3 * net.Fc3.W[0, j] : 0;
        }
        g.Fc3.B[0] += dz3;
        var dz1 = new double[hidden];
        for (int j = 0; j < hidden; j++)
        {
            g.Fc2.B[j] += dz2[j];
            for (int i = 0; i < hidden; i++)
            {
                g.Fc2.W[j, i] += dz2[j] * h1[i];
                dz1[i] += dz2[j] * net.Fc2.W[j, i];
            }
        }
        for (int i = 0; i < hidden; i++)
        {
            if (z1[i] <= 0) continue;
            g.Fc1.B[i] += dz1[i];
            for (int k = 0; k < s.Length; k++) g.Fc1.W[i, k] += dz1[i] * s[k];
        }
    }

    // --- Known weights: smooth but irregular, float32-exact, different per tensor and network. ---

    static Lin Known(int outputs, int inputs, double phase)
    {
        double scale = 1 / Math.Sqrt(inputs);
        var w = new double[outputs, inputs];
        var b = new double[outputs];
        for (int o = 0; o < outputs; o++)
        {
            for (int i = 0; i < inputs; i++) w[o, i] = (float)(scale * Math.Sin(phase + 1.37 * o + 0.71 * i + 0.113 * o * i));
            b[o] = (float)(0.15 + 0.1 * Math.Cos(phase + 2.3 * o)); // mostly positive: few dead ReLUs
        }
        return new Lin(w, b);
    }

    static Actor KnownActor(int state, int hidden, double phase) =>
        new(Known(hidden, state, phase), Known(hidden, hidden, phase + 1), Known(1, hidden, phase + 2));

    static Critic KnownCritic(int state, int hidden, double phase) =>
        new(Known(hidden, state, phase), Known(hidden, 1, phase + 1), Known(hidden, hidden, phase + 2), Known(1, hidden, phase + 3));

    static IEnumerable<(string Name, Lin Layer)> Named(string prefix, Actor a) =>
        [($"{prefix}.fc1", a.Fc1), ($"{prefix}.fc2", a.Fc2), ($"{prefix}.fc3", a.Fc3)];

    static IEnumerable<(string Name, Lin Layer)> Named(string prefix, Critic c) =>
        [($"{prefix}.fcState", c.FcState), ($"{prefix}.fcAction", c.FcAction), ($"{prefix}.fc2", c.Fc2), ($"{prefix}.fc3", c.Fc3)];

    static Tensor ToTensor(double[,] w) =>
        tensor(w.Cast<double>().Select(v => (float)v).ToArray()).reshape(w.GetLength(0), w.GetLength(1));

    static float[] Read(DdpgAgent agent, string key) => agent.Tensors()[key].detach().cpu().data<float>().ToArray();

    static double[] Flat(double[,] w) => w.Cast<double>().ToArray();

    public static TheoryData<int, int, int, int, double, double?> Cases => new()
    {
        // state size, hidden, batch, transitions, discount, baseline before the update
        { 3, 4, 5, 6, 1.0, null },   // AMC's γ = 1, first update: the baseline starts at the batch mean
        { 11, 300, 64, 40, 0.9, -0.4 }, // AMC's 300-300 networks and batch 64; γ ≠ 1 so γ is visible
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void One_update_matches_a_hand_computed_ddpg_step(int stateSize, int hidden, int batchSize, int count, double discount, double? baseline)
    {
        var options = new DdpgOptions { Hidden = hidden, BatchSize = batchSize, Discount = discount };
        Assert.Equal(0.01, options.Tau);
        Assert.Equal(1e-3, options.CriticLearningRate);
        Assert.Equal(1e-5, options.ActorLearningRate);
        Assert.Equal(0.5, options.BaselineRate);
        using var agent = new DdpgAgent(stateSize, count, options, seed: 1);

        // Online and target networks all different, so a target computed with the online networks
        // (or a soft update with τ and 1 - τ swapped) shows.
        var actor = KnownActor(stateSize, hidden, 0.3);
        var actorTarget = KnownActor(stateSize, hidden, 2.9);
        var critic = KnownCritic(stateSize, hidden, 5.1);
        var criticTarget = KnownCritic(stateSize, hidden, 7.7);
        var all = Named("actor", actor).Concat(Named("actor_target", actorTarget))
            .Concat(Named("critic", critic)).Concat(Named("critic_target", criticTarget)).ToList();
        var load = new Dictionary<string, Tensor>();
        foreach (var (name, layer) in all)
        {
            load[$"{name}.weight"] = ToTensor(layer.W);
            load[$"{name}.bias"] = tensor(layer.B.Select(v => (float)v).ToArray());
        }
        Assert.Equal(load.Keys.Order(), agent.Tensors().Keys.Order());
        agent.LoadTensors(load);
        foreach (var t in load.Values) t.Dispose();

        // Known transitions: rewards per "episode", some terminal.
        var data = new Random(17);
        float[] RandomState() => Enumerable.Range(0, stateSize).Select(_ => (float)data.NextDouble()).ToArray();
        var transitions = Enumerable.Range(0, count).Select(i =>
            new Transition(RandomState(), (float)data.NextDouble(), (float)(-0.2 - 0.1 * (i % 4)), RandomState(), i % 3 == 2)).ToList();
        foreach (var t in transitions) agent.Replay.Add(t);
        agent.Baseline = baseline;

        // The minibatch the seeded sampler draws (uniform with replacement).
        var sampler = new SearchRandom(42);
        var batch = Enumerable.Range(0, batchSize).Select(_ => transitions[sampler.Next(count)]).ToArray();
        Assert.Contains(batch, t => t.Done);
        Assert.Contains(batch, t => !t.Done);

        static double[] D(float[] x) => x.Select(v => (double)v).ToArray();

        // Baseline, then the critic's targets from the target networks.
        double mean = batch.Average(t => (double)t.Reward);
        double b = baseline is double b0 ? b0 + 0.5 * (mean - b0) : mean;
        var y = batch.Select(t =>
        {
            var s2 = D(t.Next);
            double next = criticTarget.Forward(s2, actorTarget.Forward(s2).A).Q;
            return t.Reward - b + discount * (t.Done ? 0 : 1) * next;
        }).ToArray();
        var q = batch.Select(t => critic.Forward(D(t.State), t.Action).Q).ToArray();
        double criticLoss = q.Zip(y, (qi, yi) => (qi - yi) * (qi - yi)).Average();

        // Critic gradient and its first Adam step.
        var criticGrad = new Critic(critic.FcState.ZeroLike(), critic.FcAction.ZeroLike(), critic.Fc2.ZeroLike(), critic.Fc3.ZeroLike());
        for (int i = 0; i < batchSize; i++) critic.Backward(D(batch[i].State), batch[i].Action, 2 * (q[i] - y[i]) / batchSize, criticGrad);
        var criticNew = AdamStep(critic, criticGrad, 1e-3);

        // Actor loss with the updated critic, its gradient and first Adam step.
        double actorLoss = -batch.Average(t => criticNew.Forward(D(t.State), actor.Forward(D(t.State)).A).Q);
        var actorGrad = new Actor(actor.Fc1.ZeroLike(), actor.Fc2.ZeroLike(), actor.Fc3.ZeroLike());
        foreach (var t in batch)
        {
            var s = D(t.State);
            double dA = criticNew.Backward(s, actor.Forward(s).A, -1.0 / batchSize, NewCriticSink(criticNew));
            ActorBackward(actor, s, dA, actorGrad);
        }
        var actorNew = AdamStep(actor, actorGrad, options.ActorLearningRate);

        var (criticLossActual, actorLossActual, _, _) = agent.Update(new SearchRandom(42));

        Assert.Equal(b, agent.Baseline!.Value, 12);
        AssertRelative(criticLoss, criticLossActual, 1e-4, "critic loss");
        AssertRelative(actorLoss, actorLossActual, 1e-4, "actor loss");

        // Every online weight moved by lr against its gradient's sign (where the gradient is not
        // so small that float32 and double may disagree on it).
        int checkedCount = 0, total = 0;
        void AssertAdam(string prefix, IEnumerable<(string, Lin)> before, IEnumerable<(string, Lin)> grads, double lr)
        {
            foreach (var ((name, old), (_, g)) in before.Zip(grads))
            {
                foreach (var (suffix, o, gr) in new[] { ("weight", Flat(old.W), Flat(g.W)), ("bias", old.B, g.B) })
                {
                    var actual = Read(agent, $"{name}.{suffix}");
                    for (int i = 0; i < o.Length; i++)
                    {
                        double step = actual[i] - o[i];
                        total++;
                        // 1e-7: a step read back from float32 weights is off by up to an ulp of the weight.
                        Assert.True(Math.Abs(step) <= lr * (1 + 1e-3) + 1e-7, $"{name}.{suffix}[{i}] moved {step}, more than lr {lr}");
                        if (Math.Abs(gr[i]) < 1e-5) continue;
                        checkedCount++;
                        double expected = -lr * gr[i] / (Math.Abs(gr[i]) + Eps);
                        Assert.True(Math.Abs(step - expected) < 1e-3 * lr + 1e-7,
                            $"{prefix} {name}.{suffix}[{i}]: gradient {gr[i]}, expected step {expected}, got {step}");
                    }
                }
            }
        }
        AssertAdam("critic", Named("critic", critic), Named("critic", criticGrad), 1e-3);
        AssertAdam("actor", Named("actor", actor), Named("actor", actorGrad), options.ActorLearningRate);
        Assert.True(checkedCount > total / 2, $"only {checkedCount} of {total} weights had a gradient large enough to check");

        // Soft target update with τ = 0.01 from the updated online weights.
        foreach (var (online, target, prefix) in new[]
                 {
                     (Named("actor", actorNew).ToList(), Named("actor_target", actorTarget).ToList(), "actor"),
                     (Named("critic", criticNew).ToList(), Named("critic_target", criticTarget).ToList(), "critic"),
                 })
        {
            foreach (var ((_, on), (name, tg)) in online.Zip(target))
            {
                foreach (var (suffix, onv, tgv) in new[] { ("weight", Flat(on.W), Flat(tg.W)), ("bias", on.B, tg.B) })
                {
                    var actual = Read(agent, $"{name}.{suffix}");
                    for (int i = 0; i < actual.Length; i++)
                    {
                        double expected = 0.01 * onv[i] + 0.99 * tgv[i];
                        Assert.True(Math.Abs(expected - actual[i]) < 1e-6,
                            $"{name}.{suffix}[{i}]: expected {expected}, got {actual[i]} (online {onv[i]}, old target {tgv[i]})");
                    }
                }
            }
        }
    }

    /// <summary>A throw-away gradient sink: the actor step only needs dQ/da, not the critic's own gradient.</summary>
    static Critic NewCriticSink(Critic c) => new(c.FcState.ZeroLike(), c.FcAction.ZeroLike(), c.Fc2.ZeroLike(), c.Fc3.ZeroLike());

    static Lin AdamStep(Lin p, Lin g, double lr)
    {
        var w = (double[,])p.W.Clone();
        for (int o = 0; o < p.Out; o++)
            for (int i = 0; i < p.In; i++) w[o, i] -= lr * g.W[o, i] / (Math.Abs(g.W[o, i]) + Eps);
        var b = p.B.Select((v, o) => v - lr * g.B[o] / (Math.Abs(g.B[o]) + Eps)).ToArray();
        return new Lin(w, b);
    }

    static Critic AdamStep(Critic c, Critic g, double lr) =>
        new(AdamStep(c.FcState, g.FcState, lr), AdamStep(c.FcAction, g.FcAction, lr), AdamStep(c.Fc2, g.Fc2, lr), AdamStep(c.Fc3, g.Fc3, lr));

    static Actor AdamStep(Actor a, Actor g, double lr) =>
        new(AdamStep(a.Fc1, g.Fc1, lr), AdamStep(a.Fc2, g.Fc2, lr), AdamStep(a.Fc3, g.Fc3, lr));

    static void AssertRelative(double expected, double actual, double tolerance, string what) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance * Math.Max(1e-3, Math.Abs(expected)),
            $"{what}: expected {expected}, got {actual}");
}
