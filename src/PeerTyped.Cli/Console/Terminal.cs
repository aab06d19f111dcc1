using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using PeerTyped.Runtime;

namespace PeerTyped.Cli.Console;

/// <summary>
/// The CLI's two channels: stdout carries only data (JSON, a value, or OK); stderr carries logs and ERROR lines,
/// in the seed scripts' INFO:/WARN:/ERROR: style, or as JSON lines with --log-format json.
/// </summary>
internal sealed class Terminal
{
    private readonly TextWriter _out;
    private readonly TextWriter _error;

    public Terminal(TextWriter output, TextWriter error, bool jsonLogs, bool quiet)
    {
        _out = output;
        _error = error;
        JsonLogs = jsonLogs;
        Quiet = quiet;
    }

    public bool JsonLogs { get; }

    public bool Quiet { get; }

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

    public void Info(string message) => Log("INFO", message);

    public void Success(string message) => Log("SUCCESS", message);

    public void Warn(string message) => Log("WARN", message, always: true);

    public void Error(string message) => Log("ERROR", message, always: true);

    /// <summary>Indented detail under an error (further violations); not an ERROR line of its own.</summary>
    public void Detail(string message)
    {
        if (JsonLogs) Log("DETAIL", message, always: true);
        else _error.WriteLine("  " + message);
    }

    private void Log(string level, string message, bool always = false)
    {
        if (Quiet && !always) return;
        if (!JsonLogs)
        {
            _error.WriteLine(level + ": " + message);
            return;
        }
        _error.WriteLine(Json.Object(w =>
        {
            w.WriteString("time", Timestamp.Format(DateTimeOffset.UtcNow));
            w.WriteString("level", level.ToLowerInvariant());
            w.WriteString("message", message);
        }));
    }

    public ILogger Logger => new TerminalLogger(this);

    private sealed class TerminalLogger(Terminal terminal) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information && (!terminal.Quiet || logLevel >= LogLevel.Warning || FaultInjection.Active);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var message = formatter(state, exception);
            FaultInjection.FromLog(message);
            if (terminal.Quiet && logLevel < LogLevel.Warning) return;
            if (logLevel >= LogLevel.Error) terminal.Error(message);
            else if (logLevel == LogLevel.Warning) terminal.Warn(message);
            else terminal.Info(message);
        }
    }
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
