using System.Text.Json;
using Microsoft.Playwright;

namespace PushCompare.E2ETests;

/// <summary>
/// compare.js driven directly in the browser with a scripted socket, so a reply can be made late (after the waiter's
/// timeout) or wrong on purpose: no message is swallowed, and the run fails naming the step instead of going on.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class CompareModuleTests(BrowserFixture browser) : IAsyncLifetime
{
    // A WebSocket-shaped stand-in the test drives by hand: open() and deliver() fire the events a real socket would.
    private const string FakeSocket = """
        class FakeSocket extends EventTarget {
          readyState = 0;
          sent = [];
          onmessage = null;
          sessionKey = 'fake';
          constructor() { super(); this.addEventListener('message', (e) => this.onmessage?.(e)); }
          send(text) { this.sent.push(text); this.onsend?.(text); }
          close(code = 1000, reason = '') {
            this.readyState = 3;
            this.dispatchEvent(new CloseEvent('close', { code, reason, wasClean: true }));
          }
          open() { this.readyState = 1; this.dispatchEvent(new Event('open')); }
          deliver(data) { this.dispatchEvent(new MessageEvent('message', { data })); }
        }
        """;

    private IPage _page = null!;

    public async Task InitializeAsync()
    {
        _page = await browser.NewPageAsync();
        await _page.GotoAsync("/?transport=websocket");
    }

    public Task DisposeAsync() => _page.Context.CloseAsync();

    [Fact]
    public async Task A_message_that_comes_after_its_waiter_timed_out_goes_to_the_next_call()
    {
        var result = await _page.EvaluateAsync<JsonElement>($$"""
            async () => {
              {{FakeSocket}}
              const { openSocket } = await import('/js/compare.js');
              const socket = new FakeSocket();
              const opening = openSocket(socket, 50);
              socket.open();
              const stream = await opening;
              // The reply is late by construction: it is delivered only once the first next() has given up.
              const timedOut = await stream.next().then((data) => `resolved with ${data}`, (e) => e.message);
              socket.deliver('late reply');
              socket.deliver('next reply');
              const received = [await stream.next(), await stream.next()];
              // And a waiter that is still waiting gets the next message as before.
              const onTime = stream.next();
              socket.deliver('on time');
              const third = await onTime;
              await stream.close();
              const afterClose = await stream.next().then(() => 'resolved', (e) => e.message);
              return { timedOut, received, third, afterClose };
            }
            """);

        Assert.Equal("no message within 50 ms", result.GetProperty("timedOut").GetString());
        Assert.Equal(["late reply", "next reply"], result.GetProperty("received").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("on time", result.GetProperty("third").GetString());
        Assert.Equal("the connection closed (code 1000 “Comparison step done”)", result.GetProperty("afterClose").GetString());
    }

    [Fact]
    public async Task A_run_whose_echo_reply_is_late_fails_naming_the_step_and_closes_its_connection()
    {
        var result = await _page.EvaluateAsync<JsonElement>($$"""
            async () => {
              {{FakeSocket}}
              const { runComparison } = await import('/js/compare.js');
              const sockets = [];
              let releaseLate = null;
              // Answers every echo at once, except echo 2: its reply is released only after the run gave up.
              const createSocket = () => {
                const s = new FakeSocket();
                s.onsend = (text) => {
                  const reply = () => s.deliver(`Received: ${text}`);
                  if (text === 'echo 2') releaseLate = reply; else queueMicrotask(reply);
                };
                queueMicrotask(() => s.open());
                sockets.push(s);
                return s;
              };
              const error = await runComparison({
                transports: [{ id: 'fake', label: 'Fake' }], createSocket, echoes: 3, pushSeconds: 1, pushIntervalMs: 100, messageSlackMs: 50,
              }).then(() => 'the run succeeded', (e) => e.message);
              releaseLate();
              return { error, sockets: sockets.length, sent: sockets[0].sent, readyState: sockets[0].readyState };
            }
            """);

        // The timeout is the slack plus the push interval; the run stops at the step that failed.
        Assert.Equal("Fake, echo 2 of 3: no message within 150 ms", result.GetProperty("error").GetString());
        Assert.Equal(1, result.GetProperty("sockets").GetInt32()); // the push connection was never opened
        Assert.Equal(["echo 1", "echo 2"], result.GetProperty("sent").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(3, result.GetProperty("readyState").GetInt32());
    }

    [Fact]
    public async Task A_run_that_gets_another_echos_reply_fails_instead_of_timing_the_wrong_message()
    {
        var result = await _page.EvaluateAsync<string>($$"""
            async () => {
              {{FakeSocket}}
              const { runComparison } = await import('/js/compare.js');
              // Answers echo 1 twice, so the reply that comes while echo 2 waits is echo 1's.
              const createSocket = () => {
                const s = new FakeSocket();
                s.onsend = (text) => queueMicrotask(() => {
                  s.deliver(`Received: ${text}`);
                  if (text === 'echo 1') s.deliver(`Received: ${text}`);
                });
                queueMicrotask(() => s.open());
                return s;
              };
              return runComparison({
                transports: [{ id: 'fake', label: 'Fake' }], createSocket, echoes: 3, pushSeconds: 1, pushIntervalMs: 100, messageSlackMs: 50,
              }).then(() => 'the run succeeded', (e) => e.message);
            }
            """);

        Assert.Equal("Fake: expected “Received: echo 2”, got “Received: echo 1”.", result);
    }
}
