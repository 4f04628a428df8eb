using TorchSharp;
using static TorchSharp.torch;

namespace Amc.Search;

/// <summary>The actor: state -> keep ratio in (0, 1). Two hidden layers of 300, sigmoid output (AMC).</summary>
internal sealed class ActorNetwork : nn.Module<Tensor, Tensor>
{
    readonly TorchSharp.Modules.Linear fc1, fc2, fc3;

    public ActorNetwork(int stateSize, int hidden) : base("actor")
    {
        fc1 = nn.Linear(stateSize, hidden);
        fc2 = nn.Linear(hidden, hidden);
        fc3 = nn.Linear(hidden, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor state) =>
        sigmoid(fc3.call(nn.functional.relu(fc2.call(nn.functional.relu(fc1.call(state))))));
}
