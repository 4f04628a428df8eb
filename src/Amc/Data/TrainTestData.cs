namespace Amc.Data;

/// <summary>
/// A training set and its test set, ready to use: Test carries the training set's Mean/Std, so
/// both are normalised alike. Origin says where the data came from, for result files.
/// </summary>
public sealed record TrainTestData(Dataset Train, Dataset Test, string Origin);
