using System.Globalization;
using System.Text.Json;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using PeerTyped.Runtime;

namespace PeerTyped.Client;

/// <summary>The settings of the bucket's stream that reads and writes depend on, from one STREAM.INFO.</summary>
internal sealed record BucketStream(bool AllowDirect, int Replicas, long MaxMsgSize, long MaxMsgsPerSubject, ulong LastSeq);

/// <summary>What the stream answered to a publish: the sequence it stored, or its error.</summary>
internal readonly record struct PublishAck(ulong Seq, ApiError? Error);

/// <summary>
/// The JetStream requests of every read and write, sent as plain NATS requests and read with <see cref="Utf8JsonReader"/>
/// for the few fields they use. NATS.Net's JetStream layer deserializes the whole of each response through
/// System.Text.Json's source-generated metadata, whose first use in a process (a STREAM.INFO response has a hundred
/// members) cost a CLI call more than everything else it did after connecting. Admin paths (bucket create, info,
/// history, watch) keep using NATS.Net's layer.
/// </summary>
public sealed partial class PeerStateStore
{
    /// <summary>
    /// The connection as its class: its generic methods called through <see cref="INatsConnection"/> are generic virtual
    /// methods, which NativeAOT resolves at run time on first use (about 1.5 ms of a CLI call); on the class they are
    /// plain calls. The store is always built on a <see cref="NatsConnection"/>.
    /// </summary>
    private NatsConnection Core => (NatsConnection)_connection;

    private string ApiPrefix => _kv.JetStreamContext.Opts.Prefix;

    private string StreamName => "KV_" + Options.Bucket;

    /// <summary>One JetStream API request; an error response is thrown as NATS.Net's <see cref="NatsJSApiException"/>, so one mapping covers both layers.</summary>
    private async Task<byte[]> ApiRequestAsync(string subject, byte[] body, CancellationToken cancellationToken)
    {
        var reply = await Core.RequestAsync<byte[], byte[]>(subject, body, requestSerializer: Raw, replySerializer: Raw, cancellationToken: cancellationToken).ConfigureAwait(false);
        var data = reply.Data ?? [];
        if (ApiErrorOf(data) is { } error) throw new NatsJSApiException(error);
        return data;
    }

    /// <summary>The stream's settings and last sequence.</summary>
    internal async Task<BucketStream> StreamInfoAsync(CancellationToken cancellationToken)
    {
        var json = await Nats(async () => await ApiRequestAsync($"{ApiPrefix}.STREAM.INFO.{StreamName}", [], cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var config = root.TryGetProperty("config", out var c) ? c : default;
        bool Flag(string name) => config.ValueKind == JsonValueKind.Object && config.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;
        long Number(JsonElement parent, string name, long absent) =>
            parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) && v.TryGetInt64(out var n) ? n : absent;
        var state = root.TryGetProperty("state", out var s) ? s : default;
        return new BucketStream(
            Flag("allow_direct"),
            (int)Number(config, "num_replicas", 1),
            Number(config, "max_msg_size", -1),
            Number(config, "max_msgs_per_subject", -1),
            (ulong)Math.Max(0, Number(state, "last_seq", 0)));
    }

    /// <summary>A direct get (any replica answers): the message, or a 404 status when there is none.</summary>
    private ValueTask<NatsMsg<byte[]>> DirectGetRequestAsync(string key, ulong revision, CancellationToken cancellationToken)
    {
        var request = revision == 0 ? new StreamMsgGetRequest { LastBySubj = Subject(key) } : new StreamMsgGetRequest { Seq = revision, NextBySubj = Subject(key) };
        return Core.RequestAsync<byte[], byte[]>($"{ApiPrefix}.DIRECT.GET.{StreamName}", GetRequestBody(request), requestSerializer: Raw, replySerializer: Raw, cancellationToken: cancellationToken);
    }

    /// <summary>The JSON of a message get, direct or through the leader: the members that are set, nothing else.</summary>
    private static byte[] GetRequestBody(StreamMsgGetRequest request) => JsonText.Write(request, static (r, w) =>
    {
        w.WriteStartObject();
        if (r.Seq != 0) w.WriteNumber("seq", r.Seq);
        if (r.LastBySubj is { } last) w.WriteString("last_by_subj", last);
        if (r.NextBySubj is { } next) w.WriteString("next_by_subj", next);
        w.WriteEndObject();
    });

    /// <summary>STREAM.MSG.GET from the stream leader: the stored message with its headers, or null when there is none.</summary>
    private async Task<StoredMessage?> MessageGetAsync(StreamMsgGetRequest request, CancellationToken cancellationToken)
    {
        byte[] json;
        try
        {
            json = await ApiRequestAsync($"{ApiPrefix}.STREAM.MSG.GET.{StreamName}", GetRequestBody(request), cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404)
        {
            return null;
        }
        using var document = JsonDocument.Parse(json);
        if (!document.RootElement.TryGetProperty("message", out var message)) return null;
        string? Text(string name) => message.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        return new StoredMessage(
            Text("subject") ?? string.Empty,
            message.TryGetProperty("seq", out var seq) && seq.TryGetUInt64(out var n) ? n : 0,
            Text("time") is { } time && DateTimeOffset.TryParse(time, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : default,
            Text("hdrs"),
            message.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.String ? data.GetBytesFromBase64() : []);
    }

    /// <summary>Publishes to the key's subject and reads the stream's answer (sequence, or error) without NATS.Net's JetStream layer.</summary>
    private async Task<PublishAck> PublishAsync(string key, byte[] value, NatsHeaders headers)
    {
        var reply = await Core.RequestAsync<byte[], byte[]>(Subject(key), value, headers, Raw, Raw, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        var data = reply.Data ?? [];
        if (data.Length == 0) throw new NatsJSPublishNoResponseException();
        if (ApiErrorOf(data) is { } error) return new PublishAck(0, error);
        var reader = new Utf8JsonReader(data);
        ulong seq = 0;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("seq"u8) && reader.Read()) seq = reader.GetUInt64();
        }
        return seq == 0 ? throw new NatsJSException($"the stream's answer to a write of {key} has no sequence") : new PublishAck(seq, null);
    }

    /// <summary>The <c>error</c> member of a JetStream response, if it has one.</summary>
    private static ApiError? ApiErrorOf(ReadOnlySpan<byte> json)
    {
        // Successful answers are far more common: look for the member's name before parsing anything.
        if (json.IndexOf("\"error\""u8) < 0) return null;
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isError = reader.ValueTextEquals("error"u8);
            reader.Read();
            if (!isError || reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }
            var error = new ApiError();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("code"u8) && reader.Read()) error.Code = reader.GetInt32();
                else if (reader.ValueTextEquals("err_code"u8) && reader.Read()) error.ErrCode = reader.GetInt32();
                else if (reader.ValueTextEquals("description"u8) && reader.Read()) error.Description = reader.GetString();
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            return error;
        }
        return null;
    }
}

/// <summary>A message read from the stream: <see cref="Headers"/> is the base64 of its NATS headers block.</summary>
internal sealed record StoredMessage(string Subject, ulong Seq, DateTimeOffset Time, string? Headers, byte[] Data);
