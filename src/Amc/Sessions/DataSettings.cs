using Amc.Data;

namespace Amc.Sessions;

/// <summary>Where a session's images come from and how its training set is split.</summary>
/// <param name="Source">fashion-mnist, fashion-mnist-subset or a path (IDX, CIFAR-10 binary, image folders): <see cref="DataSource.Load"/>.</param>
/// <param name="HeldOut">Training images held out for scoring, never trained on; null: <see cref="HeldOutSplit.DefaultSize"/>.</param>
/// <param name="SplitSeed">Seed of the held-out split; equal between training and search, so the search scores on unseen images.</param>
/// <param name="Images">How image folders are read (a resize); null: as they are.</param>
public sealed record DataSettings(string Source = DataSource.FashionMnist, int? HeldOut = null, int SplitSeed = 2018, ImageFolderOptions? Images = null);
