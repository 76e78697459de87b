using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace PushCompare.Hosting;

/// <summary>
/// A process started for a local set-up (the app, a peer, redis-server, the gateway): waits for its "ready" line, keeps the tail of its output for
/// error messages, and on dispose stops it with SIGTERM (then SIGKILL after <see cref="StopTimeout"/>).
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private const int TailLines = 40;
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _tail = new();

    private ChildProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    /// <summary>How long dispose waits after SIGTERM before it kills the process (a draining app needs its grace and drain).</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the process printed (stdout and stderr interleaved).</summary>
    public string Tail => string.Join(Environment.NewLine, _tail);

    /// <param name="onLine">told every line the process prints (stdout and stderr), e.g. to show it prefixed</param>
    /// <param name="stopTimeout">see <see cref="StopTimeout"/>; 5 s when null</param>
    public static async Task<(ChildProcess Child, Match Ready)> StartAsync(string name, ProcessStartInfo start, Regex ready,
        TimeSpan timeout, CancellationToken cancel, Action<string>? onLine = null, TimeSpan? stopTimeout = null)
    {
        var (child, readySignal) = Launch(name, start, ready, onLine, stopTimeout);
        return (child, await child.AwaitReadyAsync(readySignal.Task, "print its ready line", timeout, cancel));
    }

    /// <summary>
    /// For a program that prints nothing when it is ready (nginx, HAProxy): ready once <paramref name="isReady"/>
    /// answers true (asked every 50 ms, e.g. "does its port accept a connection"); failed when it exits first.
    /// </summary>
    public static async Task<ChildProcess> StartAsync(string name, ProcessStartInfo start, Func<CancellationToken, Task<bool>> isReady,
        TimeSpan timeout, CancellationToken cancel, Action<string>? onLine = null, TimeSpan? stopTimeout = null)
    {
        var (child, readySignal) = Launch(name, start, ready: null, onLine, stopTimeout);
        async Task AskAsync()
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            stop.CancelAfter(timeout);
            try
            {
                while (!readySignal.Task.IsCompleted)
                {
                    if (await isReady(stop.Token)) readySignal.TrySetResult(Match.Empty);
                    else await Task.Delay(50, stop.Token);
                }
            }
            catch (OperationCanceledException)
            {
                // The wait below reports the timeout or the cancellation.
            }
        }
        _ = AskAsync();
        await child.AwaitReadyAsync(readySignal.Task, "become ready", timeout, cancel);
        return child;
    }

    private static (ChildProcess Child, TaskCompletionSource<Match> Ready) Launch(string name, ProcessStartInfo start, Regex? ready,
        Action<string>? onLine, TimeSpan? stopTimeout)
    {
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true; // the child must not read the bench's terminal
        var child = new ChildProcess(name, new Process { StartInfo = start, EnableRaisingEvents = true })
        {
            StopTimeout = stopTimeout ?? TimeSpan.FromSeconds(5),
        };
        var readySignal = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);

        void OnLine(object? sender, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            child.Remember(e.Data);
            onLine?.Invoke(e.Data);
            if (ready is not null && !readySignal.Task.IsCompleted && ready.Match(e.Data) is { Success: true } match) readySignal.TrySetResult(match);
        }

        child._process.OutputDataReceived += OnLine;
        child._process.ErrorDataReceived += OnLine;
        child._process.Exited += (_, _) => readySignal.TrySetException(new ProcessSetupException(
            $"{name} exited (code {child._process.ExitCode}) before it was ready. Its last output:{Environment.NewLine}{child.Tail}"));
        try
        {
            if (!child._process.Start()) throw new ProcessSetupException($"{name} could not be started ({start.FileName}).");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new ProcessSetupException($"{name} could not be started: '{start.FileName}' was not found or is not executable ({ex.Message}).", ex);
        }
        child._process.BeginOutputReadLine();
        child._process.BeginErrorReadLine();
        return (child, readySignal);
    }

    private async Task<Match> AwaitReadyAsync(Task<Match> ready, string what, TimeSpan timeout, CancellationToken cancel)
    {
        try
        {
            return await ready.WaitAsync(timeout, cancel);
        }
        catch (TimeoutException)
        {
            await DisposeAsync();
            throw new ProcessSetupException($"{Name} did not {what} within {timeout.TotalSeconds:0} s. Its last output:{Environment.NewLine}{Tail}");
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    private void Remember(string line)
    {
        _tail.Enqueue(line);
        while (_tail.Count > TailLines) _tail.TryDequeue(out _);
    }

    /// <summary>SIGKILL (<c>kill -9</c>) without waiting: the process dies at once, closing nothing gracefully.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>SIGTERM without waiting: the process shuts down as in production.</summary>
    public bool Terminate() => Native.Terminate(_process.Id);

    /// <summary>SIGSTOP: the process hangs with its connections open (what a frozen server looks like to its clients) until <see cref="Thaw"/>.</summary>
    public bool Freeze() => Native.Freeze(_process.Id);

    /// <summary>SIGCONT after <see cref="Freeze"/>.</summary>
    public bool Thaw() => Native.Thaw(_process.Id);

    /// <summary>Completes when the process has exited.</summary>
    public Task WaitForExitAsync(CancellationToken cancel = default) => _process.WaitForExitAsync(cancel);

    public int ExitCode => _process.ExitCode;

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                // SIGTERM first so the app shuts down as in production (and releases its port at once).
                Native.Terminate(_process.Id);
                try
                {
                    await _process.WaitForExitAsync().WaitAsync(StopTimeout);
                }
                catch (TimeoutException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync();
                }
            }
        }
        catch (InvalidOperationException)
        {
            // Never started, or already reaped.
        }
        _process.Dispose();
    }
}
