namespace PushCompare.UnitTests.Metering;

/// <summary>
/// A fresh metered app on real Kestrel per test, and an HttpClient whose every connection the test counts itself,
/// so server figures can be compared with the bytes the client really moved.
/// </summary>
public abstract class MeteredWireTest : IAsyncLifetime
{
    private protected readonly MeteredApp _app = new();
    private protected readonly CountingConnections _wire = new();
    private protected HttpClient _client = null!;

    public Task InitializeAsync()
    {
        _client = new HttpClient(_wire.CreateHandler()) { BaseAddress = _app.BaseAddress };
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }
}
