using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace PushCompare.Web.Messaging;

/// <summary>Limits shared by every transport (section "Messaging" in appsettings.json).</summary>
public sealed class MessagingOptions
{
    public const string Section = "Messaging";

    /// <summary>Largest message accepted, in bytes of UTF-8 text or binary payload (default 64 KiB).</summary>
    [Range(1, 16 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 64 * 1024;

    /// <summary>Shortest interval a client may ask for with <c>?push=ms</c>, so one client cannot make the server spin.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan MinPushInterval { get; set; } = TimeSpan.FromMilliseconds(10);
}

[OptionsValidator]
public sealed partial class MessagingOptionsValidator : IValidateOptions<MessagingOptions>;
