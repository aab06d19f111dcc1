using System.Globalization;
using System.Runtime.CompilerServices;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Client.KeyValueStore;
using PeerTyped.Contracts;

namespace PeerTyped.Client;

public sealed partial class PeerStateStore
{
    /// <summary>Opens the bucket (it must exist) so that the first request does not pay for it.</summary>
    public async Task EnsureOpenAsync(CancellationToken cancellationToken = default) => await OpenAsync(cancellationToken).ConfigureAwait(false);

    // ---- reads ---------------------------------------------------------------------------------------------------

    /// <summary>Reads the current document and its revision from one entry read.</summary>
    public async Task<PeerEntry> ReadAsync(string key, CancellationToken cancellationToken = default) =>
        Typed(await ReadRawAsync(key, 0, cancellationToken).ConfigureAwait(false));

    /// <summary>Reads the document as it was at <paramref name="revision"/>.</summary>
    public async Task<PeerEntry> ReadAsync(string key, ulong revision, CancellationToken cancellationToken = default) =>
        Typed(await ReadRawAsync(key, revision, cancellationToken).ConfigureAwait(false));

    /// <summary>Reads a stored value as it is, valid or not (revision 0: the latest).</summary>
    public async Task<PeerRawEntry> ReadRawAsync(string key, ulong revision = 0, CancellationToken cancellationToken = default)
    {
        PeerKey.CheckNatsKey(key);
        await OpenAsync(cancellationToken).ConfigureAwait(false);
        if (_serializeOnStream || !_stream!.AllowDirect) return await ReadFromLeaderAsync(key, revision, cancellationToken).ConfigureAwait(false);
        return await DirectGetAsync(key, revision, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One direct get (any replica answers, without a JetStream API round of its own), parsed the way the KV layer
    /// defines it: the revision is the stream sequence, a <c>KV-Operation</c> header marks a delete or purge.
    /// </summary>
    private async Task<PeerRawEntry> DirectGetAsync(string key, ulong revision, CancellationToken cancellationToken)
    {
        var subject = Subject(key);
        var message = await Nats(() => DirectGetRequestAsync(key, revision, cancellationToken), cancellationToken).ConfigureAwait(false);
        if (message.Headers is not { } headers) throw new PeerUnavailableException($"NATS at {_servers}: a direct get of {key} was answered without headers");
        if (headers.Code == 404) throw NotFound(key, revision);
        if (headers.Code >= 400) throw new PeerUnavailableException($"NATS at {_servers}: a direct get of {key} failed: {headers.Code} {headers.MessageText}");
        if (!headers.TryGetLastValue("Nats-Subject", out var stored) || !headers.TryGetLastValue("Nats-Sequence", out var sequenceText)
            || !ulong.TryParse(sequenceText, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            || !headers.TryGetLastValue("Nats-Time-Stamp", out var timeText)
            || !DateTimeOffset.TryParse(timeText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var created))
        {
            throw new PeerUnavailableException($"NATS at {_servers}: a direct get of {key} was answered without its subject, sequence or time");
        }
        // Asked for a revision the bucket's history no longer holds, the server answers with a later one.
        if (stored != subject || (revision != 0 && sequence != revision)) throw NotFound(key, revision);
        if (headers.TryGetLastValue("KV-Operation", out var operation) && operation is "DEL" or "PURGE")
        {
            throw new PeerNotFoundException(revision == 0 ? $"{key}: not found in bucket {Options.Bucket} on {_servers} (the key was deleted)" : $"{key}: revision {revision} in bucket {Options.Bucket} on {_servers} is a delete marker");
        }
        return new PeerRawEntry(key, sequence, created, PeerOperation.Put, message.Data ?? []);
    }

    /// <summary>
    /// Reads through the stream leader. A KV get may be answered by any replica, and a replica may lag; the writes of a
    /// replicated bucket are serialized on the leader's stream sequence, so the document they start from must be the leader's.
    /// </summary>
    private async Task<PeerRawEntry> ReadFromLeaderAsync(string key, ulong revision, CancellationToken cancellationToken)
    {
        var request = revision == 0 ? new StreamMsgGetRequest { LastBySubj = Subject(key) } : new StreamMsgGetRequest { Seq = revision };
        var stored = await GetMessageAsync(key, request, cancellationToken).ConfigureAwait(false) ?? throw NotFound(key, revision);
        if (revision == 0 && stored.Entry.Operation != PeerOperation.Put) throw new PeerNotFoundException($"{key}: not found in bucket {Options.Bucket} on {_servers} (the key was deleted)");
        return stored.Entry;
    }

    private PeerNotFoundException NotFound(string key, ulong revision) =>
        new(revision == 0 ? $"{key}: not found in bucket {Options.Bucket} on {_servers}" : $"{key}: revision {revision} not found in bucket {Options.Bucket} on {_servers}");

    /// <summary>Every revision of <paramref name="key"/> still in the bucket's history, oldest first.</summary>
    public async IAsyncEnumerable<PeerRawEntry> HistoryAsync(string key, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        PeerKey.CheckNatsKey(key);
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        var any = false;
        await using var entries = store.HistoryAsync(key, Raw, cancellationToken: cancellationToken).GetAsyncEnumerator(cancellationToken);
        // MoveNextAsync goes through the same error mapping as every other call; yield cannot sit inside that try.
        while (await Nats(() => entries.MoveNextAsync(), cancellationToken).ConfigureAwait(false))
        {
            any = true;
            yield return ToRaw(entries.Current);
        }
        if (!any) throw NotFound(key, 0);
    }

    /// <summary>The current value and then every change to it, until cancelled.</summary>
    public async IAsyncEnumerable<PeerRawEntry> WatchAsync(string key, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        PeerKey.CheckNatsKey(key);
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var entry in store.WatchAsync(key, Raw, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return ToRaw(entry);
        }
    }

    private static PeerEntry Typed(PeerRawEntry raw)
    {
        // The one place reads turn stored bytes into the current version: older ones upgraded in memory, newer ones exit 8.
        var current = PeerDocumentVersions.ToCurrent(raw.Key, raw.Value);
        var validation = PeerDocumentCheck.Check(raw.Key, current.Span, out var document);
        if (document is null)
        {
            throw new PeerValidationException(raw.Key, validation.Violations, $"stored revision {raw.Revision} is not schema-valid (inspect with `peer-typed doctor {raw.Key}`)");
        }
        return new PeerEntry(raw.Key, raw.Revision, raw.Created, document, current);
    }

    private static PeerRawEntry ToRaw(NatsKVEntry<byte[]> entry) => new(
        entry.Key,
        entry.Revision,
        entry.Created,
        entry.Operation switch { NatsKVOperation.Del => PeerOperation.Delete, NatsKVOperation.Purge => PeerOperation.Purge, _ => PeerOperation.Put },
        entry.Value ?? []);

}
