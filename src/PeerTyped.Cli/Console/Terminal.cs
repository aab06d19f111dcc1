using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using PeerTyped.Runtime;

namespace PeerTyped.Cli.Console;

/// <summary>
/// The CLI's two channels: stdout carries only data (JSON, a value, or OK); stderr carries logs and ERROR lines,
/// in the seed scripts' INFO:/WARN:/ERROR: style, or as JSON lines with --log-format json. What reaches stderr is
/// chosen by one threshold (--log-level, PEER_LOG_LEVEL, -q): a line is printed when its level is at or above it.
/// </summary>
internal sealed class Terminal
{
    private readonly TextWriter _out;
    private readonly TextWriter _error;

    public Terminal(TextWriter output, TextWriter error, bool jsonLogs, LogLevel threshold)
    {
        _out = output;
        _error = error;
        JsonLogs = jsonLogs;
        Threshold = threshold;
    }

    public bool JsonLogs { get; }

    /// <summary>The lowest level printed; <see cref="LogLevel.None"/> prints nothing on stderr, not even ERROR lines.</summary>
    public LogLevel Threshold { get; }

    /// <summary>The key the command works on, once known: every JSON log line of the command carries it.</summary>
    public string? Key { get; set; }

    /// <summary>The role the command writes as (--as, PEER_ROLE), when one is given.</summary>
    public string? Role { get; set; }

    public bool IsEnabled(LogLevel level) => Threshold != LogLevel.None && level >= Threshold;

    public void Data(string text) => _out.WriteLine(text);

    public void Data(ReadOnlySpan<byte> utf8) => _out.WriteLine(Encoding.UTF8.GetString(utf8));

    /// <summary>
    /// Exactly these bytes on stdout, no newline added and no re-encoding (get --raw: what is stored, valid or not,
    /// empty or not). Through the process's stdout stream when the writer is the console's.
    /// </summary>
    public void RawData(ReadOnlySpan<byte> bytes)
    {
        if (!ReferenceEquals(_out, System.Console.Out))
        {
            _out.Write(Encoding.UTF8.GetString(bytes));
            return;
        }
        _out.Flush();
        using var stdout = System.Console.OpenStandardOutput();
        stdout.Write(bytes);
        stdout.Flush();
    }

    public void Ok() => _out.WriteLine("OK");

    public void Debug(string message) => Log(LogLevel.Debug, "DEBUG", message, LogFields.None);

    public void Info(string message) => Log(LogLevel.Information, "INFO", message, LogFields.None);

    public void Success(string message) => Log(LogLevel.Information, "SUCCESS", message, LogFields.None);

    public void Warn(string message) => Log(LogLevel.Warning, "WARN", message, LogFields.None);

    public void Error(string message) => Log(LogLevel.Error, "ERROR", message, LogFields.None);

    /// <summary>The ERROR line that ends a failed command: in JSON logs it carries the exit code and the first pointer.</summary>
    public void Error(string message, int exitCode, string? pointer) => Log(LogLevel.Error, "ERROR", message, new LogFields { ExitCode = exitCode, Pointer = pointer });

    /// <summary>Indented detail under an error (further violations); not an ERROR line of its own.</summary>
    public void Detail(string message)
    {
        if (!IsEnabled(LogLevel.Error)) return;
        if (JsonLogs) Log(LogLevel.Error, "DETAIL", message, LogFields.None);
        else _error.WriteLine("  " + message);
    }

    /// <summary>What a log line knows besides its message; unknown fields are left out of the JSON line.</summary>
    internal readonly record struct LogFields
    {
        public static readonly LogFields None = default;

        public string? Key { get; init; }

        public ulong? Revision { get; init; }

        public ulong? BaseRevision { get; init; }

        public int? Attempt { get; init; }

        public int? ExitCode { get; init; }

        public string? Pointer { get; init; }

        public string? Event { get; init; }
    }

    private void Log(LogLevel level, string label, string message, LogFields fields)
    {
        if (!IsEnabled(level)) return;
        if (!JsonLogs)
        {
            _error.WriteLine(label + ": " + message);
            return;
        }
        _error.WriteLine(Json.Object(w =>
        {
            w.WriteString("time", Timestamp.Format(DateTimeOffset.UtcNow));
            w.WriteString("level", label.ToLowerInvariant());
            w.WriteString("message", message);
            if ((fields.Key ?? Key) is { } key) w.WriteString("key", key);
            if (fields.Revision is { } revision) w.WriteNumber("revision", revision);
            if (fields.BaseRevision is { } baseRevision) w.WriteNumber("base_revision", baseRevision);
            if (Role is { } role) w.WriteString("role", role);
            if (fields.Attempt is { } attempt) w.WriteNumber("attempt", attempt);
            if (fields.Pointer is { } pointer) w.WriteString("pointer", pointer);
            if (fields.ExitCode is { } exitCode) w.WriteNumber("exit_code", exitCode);
            if (fields.Event is { } name) w.WriteString("event", name);
        }));
    }

    public ILogger Logger => new TerminalLogger(this);

    /// <summary>The store's structured log messages, printed with their key, revisions and attempt as JSON fields.</summary>
    private sealed class TerminalLogger(Terminal terminal) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        // Fault injection recognises the write's points from the store's INFO lines, so it needs them even when they are not printed.
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && (terminal.IsEnabled(logLevel) || (FaultInjection.Active && logLevel >= LogLevel.Information));

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var message = formatter(state, exception);
            FaultInjection.FromLog(message);
            var fields = new LogFields { Event = eventId.Name };
            if (state is IReadOnlyList<KeyValuePair<string, object?>> values)
            {
                foreach (var (name, value) in values)
                {
                    switch (name)
                    {
                        case "Key" when value is string key: fields = fields with { Key = key }; break;
                        case "Revision" when value is ulong revision: fields = fields with { Revision = revision }; break;
                        case "BaseRevision" when value is ulong baseRevision: fields = fields with { BaseRevision = baseRevision }; break;
                        case "Attempt" when value is int attempt: fields = fields with { Attempt = attempt }; break;
                    }
                }
            }
            var label = logLevel switch
            {
                >= LogLevel.Error => "ERROR",
                LogLevel.Warning => "WARN",
                LogLevel.Information => "INFO",
                LogLevel.Debug => "DEBUG",
                _ => "TRACE",
            };
            terminal.Log(logLevel, label, message, fields);
        }
    }

    /// <summary>trace, debug, info, warn, error, none: the names --log-level and PEER_LOG_LEVEL take.</summary>
    public static readonly string[] LevelNames = ["trace", "debug", "info", "warn", "error", "none"];

    public static LogLevel? ParseLevel(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "info" or "information" => LogLevel.Information,
        "warn" or "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "none" or "off" => LogLevel.None,
        _ => null,
    };
}

/// <summary>Reflection-free JSON output.</summary>
internal static class Json
{
    public static string Object(Action<Utf8JsonWriter> body, bool indented = false)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, indented ? JsonText.IndentedWriterOptions : JsonText.CompactWriterOptions))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static string Array<T>(IEnumerable<T> items, Action<Utf8JsonWriter, T> item, bool indented = true)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, indented ? JsonText.IndentedWriterOptions : JsonText.CompactWriterOptions))
        {
            writer.WriteStartArray();
            foreach (var value in items)
            {
                writer.WriteStartObject();
                item(writer, value);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes a property whose value is raw JSON text, or null.</summary>
    public static void WriteRaw(this Utf8JsonWriter writer, string name, string? json)
    {
        writer.WritePropertyName(name);
        if (json is null) writer.WriteNullValue();
        else writer.WriteRawValue(json, skipInputValidation: true);
    }

    /// <summary>Pretty-prints a JSON document as jq does (two-space indent, UTF-8 kept).</summary>
    public static string Pretty(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(JsonText.Reformat(utf8, indented: true));

    /// <summary>A JSON string literal for <paramref name="text"/>.</summary>
    public static string Quote(string text)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, JsonText.CompactWriterOptions)) writer.WriteStringValue(text);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
