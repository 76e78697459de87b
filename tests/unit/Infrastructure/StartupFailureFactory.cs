using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace PushCompare.UnitTests.Infrastructure;

/// <summary>
/// Hosts the app for tests that expect start-up to fail. WebApplicationFactory races the app here: if the app's
/// Host.StartAsync fails and disposes the host before the factory subscribes to ApplicationStarted, the factory
/// throws ObjectDisposedException and the real error is lost. The app's IHostLifetime (awaited before options
/// validation) is held until the factory has subscribed, so the real exception always comes out of Start.
/// </summary>
public sealed class StartupFailureFactory(params (string Key, string Value)[] settings) : AppFactory(settings)
{
    private readonly HeldLifetime _lifetime = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<IHostLifetime>(_lifetime));
    }

    protected override IHost CreateHost(IHostBuilder builder)
    {
        var host = builder.Build();          // the app now runs towards app.Run() and waits in HeldLifetime
        var started = host.StartAsync();     // subscribes to ApplicationStarted synchronously, then awaits the app
        _lifetime.Release();
        started.GetAwaiter().GetResult();    // rethrows the app's own start-up exception
        return host;
    }

    private sealed class HeldLifetime : IHostLifetime
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _released.TrySetResult();

        public Task WaitForStartAsync(CancellationToken cancellationToken) => _released.Task.WaitAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
