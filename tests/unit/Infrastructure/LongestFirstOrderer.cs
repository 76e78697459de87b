using Xunit.Abstractions;

[assembly: TestCollectionOrderer("PushCompare.UnitTests.Infrastructure.LongestFirstOrderer", "PushCompare.UnitTests")]

namespace PushCompare.UnitTests.Infrastructure;

/// <summary>Marks a collection definition whose tests take minutes: it starts first, so the rest run beside it rather than after it.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class LongRunningAttribute : Attribute;

/// <summary>
/// Collections run three at a time (xunit.runner.json); the run lasts at least as long as its longest collection, so the
/// long ones start first and the short ones share the remaining slot meanwhile (longest-first scheduling). The rest keep
/// their order.
/// </summary>
public sealed class LongestFirstOrderer : ITestCollectionOrderer
{
    private static readonly string Marker = typeof(LongRunningAttribute).AssemblyQualifiedName!;

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(c => c.CollectionDefinition?.GetCustomAttributes(Marker).Any() == true ? 0 : 1); // OrderBy is stable
}
