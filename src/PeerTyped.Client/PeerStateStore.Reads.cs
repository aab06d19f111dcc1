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
    public async Task EnsureOpenAsync(CancellationToken cancellationToken = default) => await StoreAsync(cancellationToken).ConfigureAwait(false);

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
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        if (_serializeOnStream) return await ReadFromLeaderAsync(key, revision, cancellationToken).ConfigureAwait(false);
        try
        {
            var entry = await Nats(() => store.GetEntryAsync(key, revision, Raw, cancellationToken), cancellationToken).ConfigureAwait(false);
            // Asked for a revision the bucket's history no longer holds, the server answers with a later one.
            if (revision != 0 && entry.Revision != revision) throw new PeerNotFoundException($"{key}: revision {revision} not found in bucket {Options.Bucket} on {_servers} (no longer in the bucket's history of {Options.History} revisions per key?)");
            return ToRaw(entry);
        }
        catch (NatsKVKeyDeletedException)
        {
            throw new PeerNotFoundException(revision == 0 ? $"{key}: not found in bucket {Options.Bucket} on {_servers} (the key was deleted)" : $"{key}: revision {revision} in bucket {Options.Bucket} on {_servers} is a delete marker");
        }
        catch (NatsKVKeyNotFoundException)
        {
            throw NotFound(key, revision);
        }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404)
        {
            throw NotFound(key, revision);
        }
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
