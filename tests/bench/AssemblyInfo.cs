// Each test starts servers and load clients; one at a time keeps them from competing for the machine's 2 cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
