// Each test class is a collection, and two run at a time: a bench test spends much of its time starting and stopping
// servers and waiting on emulated links, so a second lane uses what the first leaves idle (one lane took 14 minutes of
// the suite's 15). The figures these tests check are counts and bytes, exact at any load; the bench runs in-process,
// and nothing it shares between runs (the SSE request heads cache, the loopback source-address counter) is per run.
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerClass, MaxParallelThreads = 2)]
