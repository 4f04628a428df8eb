namespace Amc.Search;

/// <summary>A FIFO ring of transitions (AMC: 100 episodes' worth), sampled uniformly with replacement.</summary>
internal sealed class ReplayBuffer(int capacity)
{
    readonly List<Transition> items = [];
    int next;

    public int Count => items.Count;
    public int Capacity => capacity;

    public void Add(Transition t)
    {
        if (items.Count < capacity) items.Add(t);
        else items[next] = t;
        next = (next + 1) % capacity;
    }

    public Transition[] Sample(int n, SearchRandom rng)
    {
        var batch = new Transition[n];
        for (int i = 0; i < n; i++) batch[i] = items[rng.Next(items.Count)];
        return batch;
    }

    /// <summary>Oldest first, for saving; <see cref="Restore"/> rebuilds the same ring.</summary>
    public IReadOnlyList<Transition> InOrder() =>
        items.Count < capacity ? items.ToList() : items.Skip(next).Concat(items.Take(next)).ToList();

    public void Restore(IEnumerable<Transition> inOrder)
    {
        items.Clear();
        next = 0;
        foreach (var t in inOrder) Add(t);
    }
}
