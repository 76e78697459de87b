using System.Text.Json;

namespace PushCompare.Bench.Clients.Raw;

/// <summary>Takes one message of a poll batch as UTF-8 bytes (valid only during the call); false stops the poll loop.</summary>
internal delegate bool Utf8MessageHandler(ReadOnlySpan<byte> message);

/// <summary>
/// Reads a poll batch <c>{"cursor":N,"messages":["…",…]}</c> with <see cref="Utf8JsonReader"/>, without a string per
/// message: once for the cursor and count (checked before any message is used), once to hand each message over.
/// </summary>
internal static class PollBatchReader
{
    private const int MaxStackMessage = 256;

    /// <summary>The batch's cursor and message count; throws <see cref="JsonException"/> when it is not a batch.</summary>
    public static (long Cursor, int Count) ReadHeader(ReadOnlySpan<byte> json)
    {
        long? cursor = null;
        int count = -1;
        var reader = Start(json);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("cursor"u8))
            {
                reader.Read();
                cursor = reader.GetInt64();
            }
            else if (reader.ValueTextEquals("messages"u8))
            {
                count = 0;
                reader.Read();
                Expect(reader.TokenType == JsonTokenType.StartArray);
                while (reader.Read() && reader.TokenType == JsonTokenType.String) count++;
                Expect(reader.TokenType == JsonTokenType.EndArray);
            }
            else reader.Skip();
        }
        Expect(cursor is not null && count >= 0);
        return (cursor!.Value, count);
    }

    /// <summary>Hands each message to <paramref name="handler"/> in order; adds their UTF-8 lengths to <paramref name="payloadBytes"/>.</summary>
    public static bool Deliver(ReadOnlySpan<byte> json, Utf8MessageHandler handler, ref long payloadBytes)
    {
        Span<byte> scratch = stackalloc byte[MaxStackMessage];
        var reader = Start(json);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.ValueTextEquals("messages"u8))
            {
                reader.Skip();
                continue;
            }
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.String)
            {
                scoped ReadOnlySpan<byte> message;
                if (!reader.ValueIsEscaped) message = reader.ValueSpan;
                else if (reader.ValueSpan.Length <= MaxStackMessage) message = scratch[..reader.CopyString(scratch)];
                else message = System.Text.Encoding.UTF8.GetBytes(reader.GetString()!); // rare: a long escaped message
                payloadBytes += message.Length;
                if (!handler(message)) return false;
            }
        }
        return true;
    }

    private static Utf8JsonReader Start(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        Expect(reader.Read() && reader.TokenType == JsonTokenType.StartObject);
        return reader;
    }

    private static void Expect(bool ok)
    {
        if (!ok) throw new JsonException("the poll response is not {\"cursor\":N,\"messages\":[…]}");
    }
}
