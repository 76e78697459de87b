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
}

[OptionsValidator]
public sealed partial class MessagingOptionsValidator : IValidateOptions<MessagingOptions>;
