using System.Text;
using Microsoft.Extensions.Logging;

namespace PeerTyped.Client;

public sealed partial class PeerStateStore
{
    // ---- logging -------------------------------------------------------------------------------------------------

    private const int FullJsonLimit = 5000;
    private const int PreviewLength = 1000;
    private const int ChangeLogLimit = 1000;

    internal void LogWrite(string key, ulong baseRevision, byte[] json, IReadOnlyList<JsonChange> changes)
    {
        if (!_logger.IsEnabled(LogLevel.Information)) return;
        LogWriting(key, baseRevision, json.Length, changes.Count);
        // A change line quotes old and new values; one large value would otherwise log the document twice over.
        foreach (var change in changes) LogChange(key, change.ToString() is { Length: > ChangeLogLimit } line ? line[..ChangeLogLimit] + $"… ({line.Length} chars)" : change.ToString());
        var text = Encoding.UTF8.GetString(json);
        if (json.Length < FullJsonLimit) LogFullJson(key, text);
        else LogJsonPreview(key, PreviewLength, text[..Math.Min(PreviewLength, text.Length)]);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Writing {Key} based on revision {BaseRevision}: {Size} bytes, {ChangeCount} change(s)")]
    private partial void LogWriting(string key, ulong baseRevision, int size, int changeCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Key} change {Change}")]
    private partial void LogChange(string key, string change);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Key} full JSON: {Json}")]
    private partial void LogFullJson(string key, string json);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Key} JSON preview (first {Length} chars): {Json}")]
    private partial void LogJsonPreview(string key, int length, string json);

    [LoggerMessage(Level = LogLevel.Information, Message = "Wrote {Key} at revision {Revision}")]
    internal partial void LogWritten(string key, ulong revision);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Key} unchanged at revision {Revision}; nothing written")]
    private partial void LogUnchanged(string key, ulong revision);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Key} changed underneath revision {Revision} (attempt {Attempt}); re-reading and re-applying")]
    private partial void LogConflict(string key, ulong revision, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Key}: the write based on revision {Revision} was not answered; resolving its outcome (attempt id {AttemptId})")]
    private partial void LogUnanswered(string key, ulong revision, string attemptId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Key}: the write based on revision {BaseRevision} had landed as revision {Revision} (attempt id {AttemptId})")]
    private partial void LogRecognised(string key, ulong baseRevision, ulong revision, string attemptId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Hardened bucket {Bucket}: deny_delete and deny_purge on, rollup headers refused")]
    private partial void LogHardened(string bucket);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bucket {Bucket} could not be hardened (deny_delete, deny_purge, no rollup headers) with this user: {Reason}; `bucket info` lists what stays open")]
    private partial void LogNotHardened(string bucket, string reason);
}
