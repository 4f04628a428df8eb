using Amc.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Amc.Search;

/// <summary>
/// The critic: (state, action) -> Q. Two hidden layers of 300. The action joins at the first
/// hidden layer (summed with the state's projection) as in the official code; the paper is said
/// to join it at the second, which we could not verify, so we keep the code's verified design.
/// </summary>
internal sealed class CriticNetwork : nn.Module<Tensor, Tensor, Tensor>
{
    readonly TorchSharp.Modules.Linear fcState, fcAction, fc2, fc3;

    public CriticNetwork(int stateSize, int hidden) : base("critic")
    {
        fcState = nn.Linear(stateSize, hidden);
        fcAction = nn.Linear(1, hidden);
        fc2 = nn.Linear(hidden, hidden);
        fc3 = nn.Linear(hidden, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor state, Tensor action) =>
        fc3.call(nn.functional.relu(fc2.call(nn.functional.relu(fcState.call(state).Plus(fcAction.call(action))))));
}
