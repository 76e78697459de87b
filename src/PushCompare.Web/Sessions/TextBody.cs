using System.Buffers;
using System.IO.Pipelines;
using System.Net.Http.Headers;
using System.Text;
using PushCompare.Web.Http;

namespace PushCompare.Web.Sessions;

/// <summary>Reads one message from a <c>text/plain; charset=utf-8</c> request body, refusing each bad case with its own status.</summary>
internal static class TextBody
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static async Task<(string? Text, IResult? Problem)> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancel)
    {
        if (!IsPlainUtf8Text(request.ContentType))
        {
            return (null, Problems.Create(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type",
                $"Content-Type '{request.ContentType}' is not accepted: send the message as 'text/plain; charset=utf-8'."));
        }
        if (request.ContentLength > maxBytes) return (null, TooLarge(maxBytes));

        PipeReader reader = request.BodyReader;
        ReadResult read;
        while (true)
        {
            read = await reader.ReadAsync(cancel);
            // Stop at limit + 1 bytes: a chunked body that never ends cannot make the server buffer it.
            if (read.Buffer.Length > maxBytes)
            {
                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                return (null, TooLarge(maxBytes));
            }
            if (read.IsCompleted) break;
            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }

        try
        {
            if (read.Buffer.Length == 0)
            {
                return (null, Problems.Create(StatusCodes.Status400BadRequest, "Empty message",
                    "The request body is empty: put the message text in the body; empty messages are not accepted."));
            }
            return (StrictUtf8.GetString(read.Buffer), null);
        }
        catch (DecoderFallbackException)
        {
            return (null, Problems.Create(StatusCodes.Status400BadRequest, "Invalid UTF-8",
                "The request body is not valid UTF-8: encode the message text as UTF-8 (the only charset accepted)."));
        }
        finally
        {
            reader.AdvanceTo(read.Buffer.End);
        }
    }

    private static IResult TooLarge(int maxBytes) => Problems.Create(StatusCodes.Status413PayloadTooLarge, "Message too large",
        $"The message is larger than the {maxBytes}-byte limit: split it into smaller messages.");

    // text/plain with no charset (UTF-8 is assumed, RFC 8259-style) or charset=utf-8.
    private static bool IsPlainUtf8Text(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed)
        && string.Equals(parsed.MediaType, "text/plain", StringComparison.OrdinalIgnoreCase)
        && (parsed.CharSet is null || string.Equals(parsed.CharSet.Trim('"'), "utf-8", StringComparison.OrdinalIgnoreCase));
}
