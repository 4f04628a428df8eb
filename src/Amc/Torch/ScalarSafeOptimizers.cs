using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Amc.Torch;

/// <summary>
/// TorchSharp's Adam and SGD with steps whose Scalars stay alive through their native calls (see
/// <see cref="Scalars"/>); their own steps make them inline. The arithmetic is theirs, op for op,
/// so the updates are bit for bit the same; so are the state and the class names, which
/// <c>save_state_dict</c> writes and <c>load_state_dict</c> checks, so state files saved before
/// load unchanged. Each supports only what amc uses.
/// </summary>
public static class ScalarSafeOptimizers
{
    /// <summary>Adam without weight decay, AMSGrad or maximize (the DDPG agent's).</summary>
    public sealed class Adam(IEnumerable<Parameter> parameters, double lr) : TorchSharp.Modules.Adam(parameters, lr)
    {
        public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
        {
            var options = group.Options;
            double beta1 = options.beta1!.Value, beta2 = options.beta2!.Value, lr = options.LearningRate!.Value;
            using var keep1 = beta1.ToScalar();
            using var take1 = (1 - beta1).ToScalar();
            using var keep2 = beta2.ToScalar();
            using var take2 = (1 - beta2).ToScalar();
            foreach (var param in group.Parameters)
            {
                if (param.grad is not { } grad) continue;
                var state = (State)_state[param.Handle];
                state.step += 1;
                double correction1 = 1 - Math.Pow(beta1, state.step), correction2 = 1 - Math.Pow(beta2, state.step);
                state.exp_avg.mul_(keep1).add_(grad, take1);
                state.exp_avg_sq.mul_(keep2).addcmul_(grad, grad, take2);
                var denominator = state.exp_avg_sq.sqrt().DividedBy(Math.Sqrt(correction2)).PlusInPlace(options.eps!.Value);
                using var stepSize = (-lr / correction1).ToScalar();
                param.addcdiv_(state.exp_avg, denominator, stepSize);
            }
        }, closure);
    }

    /// <summary>SGD with momentum (no dampening, no Nesterov) and weight decay (training's).</summary>
    public sealed class SGD(IEnumerable<Parameter> parameters, double lr, double momentum, double weightDecay)
            : TorchSharp.Modules.SGD(parameters, lr, momentum, weight_decay: weightDecay)
    {
        public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
        {
            var options = group.Options;
            double momentum = options.momentum!.Value, weightDecay = options.weight_decay!.Value;
            using var keep = momentum.ToScalar();
            using var decay = weightDecay.ToScalar();
            using var descent = (-options.LearningRate!.Value).ToScalar();
            foreach (var param in group.Parameters)
            {
                if (param.grad is not { } grad) continue;
                var state = (State)_state[param.Handle];
                if (weightDecay != 0) grad = grad.add(param, decay);
                if (momentum != 0)
                {
                    if (state.momentum_buffer is not { } buffer)
                        state.momentum_buffer = grad.clone().detach().DetachFromDisposeScope();
                    else
                        buffer.mul_(keep).PlusInPlace(grad);
                    grad = state.momentum_buffer;
                }
                param.add_(grad, descent);
            }
        }, closure);
    }
}
