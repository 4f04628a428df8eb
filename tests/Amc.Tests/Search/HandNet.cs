using Amc.Graph;

namespace Amc.Tests.Search;

/// <summary>
/// A network small enough to work the RL core out by hand (the numbers in the tests are written
/// out, not recomputed by the code under test). Input 3x9x6, no padding, so the input heights
/// (9, 7, 3) and widths (6, 4, 1) of the three convs scale differently and h, w cannot be swapped
/// unnoticed:
/// <code>
/// c1  conv 3->16, 3x3, stride 1 -> 16x7x4   MACs 16*3*9*28 = 12096 = 756*w1
/// c2  conv 16->32, 3x3, stride 2 -> 32x3x1  MACs 32*16*9*3 = 13824 = 27*w1*w2
/// c3  conv 32->8, 1x1            -> 8x3x1   MACs 8*32*3    = 768   = 3*w2*w3
/// gap, flatten, fc 8->4                     MACs 8*4       = 32    = 4*w3
/// total 26720 MACs
/// </code>
/// The three prunable groups (steps) are the outputs of c1, c2, c3 (w1, w2, w3 channels).
/// </summary>
static class HandNet
{
    public const long TotalMacs = 26720;

    public static Network Build()
    {
        var b = new NetworkBuilder("hand", new TensorShape(3, 9, 6));
        var x = b.Conv("c1", Network.InputName, 16, 3);
        x = b.ReLU("r1", x);
        x = b.Conv("c2", x, 32, 3, stride: 2);
        x = b.ReLU("r2", x);
        x = b.Conv("c3", x, 8, 1);
        x = b.ReLU("r3", x);
        x = b.GlobalAvgPool("gap", x);
        x = b.Flatten("flat", x);
        b.Linear("fc", x, 4);
        return b.Build();
    }

    /// <summary>MACs at widths w1, w2, w3 of the three groups, from the table above.</summary>
    public static long Macs(long w1, long w2, long w3) => 756 * w1 + 27 * w1 * w2 + 3 * w2 * w3 + 4 * w3;

    /// <summary>Group ids of the c1, c2, c3 groups, to read and write a widths-by-group-id array.</summary>
    public static (int G1, int G2, int G3) Ids(ChannelGraph graph) => (graph["c1"].Id, graph["c2"].Id, graph["c3"].Id);
}
