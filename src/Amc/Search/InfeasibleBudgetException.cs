namespace Amc.Search;

/// <summary>The budget cannot be met even with every group at its smallest width; says the smallest feasible value.</summary>
internal sealed class InfeasibleBudgetException(string message) : Exception(message);
