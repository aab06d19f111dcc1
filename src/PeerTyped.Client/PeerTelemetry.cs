using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace PeerTyped.Client;

/// <summary>
/// The store's traces and metrics, named as OpenTelemetry's conventions ask: one <see cref="ActivitySource"/> and one
/// <see cref="Meter"/>, both called <c>PeerTyped</c>, instruments under <c>peertyped.</c>, durations in seconds. The
/// library only emits them (at the cost of a null check when nobody listens); an application exports them by adding
/// the source and the meter to its OpenTelemetry set-up (<c>AddSource("PeerTyped")</c>, <c>AddMeter("PeerTyped")</c>),
/// as <c>peer-typed</c> does when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
/// </summary>
public static class PeerTelemetry
{
    /// <summary>The name of the activity source and of the meter.</summary>
    public const string Name = "PeerTyped";

    private static readonly string? Version = typeof(PeerTelemetry).Assembly.GetName().Version?.ToString();

    /// <summary>One span per write (update, create, restore, cycle_next), from the first read to the answer.</summary>
    public static readonly ActivitySource Source = new(Name, Version);

    /// <summary>The meter of the write instruments below.</summary>
    public static readonly Meter Meter = new(Name, Version);

    /// <summary>Writes finished, by <c>peertyped.operation</c> and <c>peertyped.outcome</c> (written, unchanged or the error kind).</summary>
    public static readonly Counter<long> Writes = Meter.CreateCounter<long>("peertyped.writes", "{write}", "Writes finished, by operation and outcome");

    /// <summary>Compare-and-set refusals: the key had moved past the revision the write was computed from.</summary>
    public static readonly Counter<long> Conflicts = Meter.CreateCounter<long>("peertyped.write.conflicts", "{conflict}", "Compare-and-set conflicts: the key changed underneath a write");

    /// <summary>Attempts after the first: a re-read and re-apply after a conflict, or a re-send of an unanswered publish.</summary>
    public static readonly Counter<long> Retries = Meter.CreateCounter<long>("peertyped.write.retries", "{retry}", "Write attempts after the first (conflicts re-applied, unanswered publishes re-sent)");

    /// <summary>Writes refused because the resulting document broke the schema (nothing written).</summary>
    public static readonly Counter<long> ValidationFailures = Meter.CreateCounter<long>("peertyped.validation.failures", "{failure}", "Writes refused as schema-invalid");

    /// <summary>How long a write took, from its first read to its outcome, whatever the outcome.</summary>
    public static readonly Histogram<double> WriteDuration = Meter.CreateHistogram<double>("peertyped.write.duration", "s", "Duration of a write, first read to outcome");

    internal static string OutcomeOf(PeerErrorKind kind) => kind switch
    {
        PeerErrorKind.Usage => "usage",
        PeerErrorKind.Conflict => "conflict",
        PeerErrorKind.Invalid => "invalid",
        PeerErrorKind.NotFound => "not_found",
        PeerErrorKind.AlreadyExists => "already_exists",
        PeerErrorKind.Ownership => "ownership",
        PeerErrorKind.Unavailable => "unavailable",
        PeerErrorKind.NotPermitted => "not_permitted",
        PeerErrorKind.OutcomeUnknown => "outcome_unknown",
        PeerErrorKind.NewerVersion => "newer_version",
        _ => "other",
    };
}

/// <summary>
/// The telemetry of one write: its span, the conflicts and retries it met, and at the end one <c>peertyped.writes</c>
/// count and one duration. Created by <see cref="PeerStateStore"/> around each public write method.
/// </summary>
internal sealed class WriteTelemetry
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly string _operation;
    private readonly string? _role;
    private readonly string _bucket;
    private readonly Activity? _activity;

    public WriteTelemetry(string operation, string key, string? role, string bucket)
    {
        _operation = operation;
        _role = role;
        _bucket = bucket;
        _activity = PeerTelemetry.Source.StartActivity($"{operation} {bucket}", ActivityKind.Client);
        if (_activity is { IsAllDataRequested: true } activity)
        {
            activity.SetTag("messaging.system", "nats");
            activity.SetTag("messaging.operation.type", "send");
            activity.SetTag("messaging.operation.name", operation);
            activity.SetTag("messaging.destination.name", $"$KV.{bucket}.{key}");
            activity.SetTag("peertyped.bucket", bucket);
            activity.SetTag("peertyped.key", key);
            activity.SetTag("peertyped.operation", operation);
            if (role is not null) activity.SetTag("peertyped.role", role);
        }
    }

    /// <summary>The revision the current attempt was computed from.</summary>
    public void Attempt(int attempt, ulong baseRevision)
    {
        if (_activity is null) return;
        _activity.SetTag("peertyped.base_revision", (long)baseRevision);
        _activity.SetTag("peertyped.attempts", attempt);
    }

    public void Conflict(ulong currentRevision)
    {
        PeerTelemetry.Conflicts.Add(1, Tags());
        _activity?.AddEvent(new ActivityEvent("peertyped.conflict", tags: new ActivityTagsCollection { ["peertyped.revision"] = (long)currentRevision }));
    }

    /// <summary>Another attempt after a conflict (<c>peertyped.retry.reason</c> = conflict, or taken for cycle_next: the number's cycle exists).</summary>
    public void Retry(string reason = "conflict")
    {
        var tags = Tags();
        tags.Add("peertyped.retry.reason", reason);
        PeerTelemetry.Retries.Add(1, tags);
    }

    public void Succeeded(ulong revision, bool changed, int attempts)
    {
        if (_activity is not null)
        {
            _activity.SetTag("peertyped.revision", (long)revision);
            _activity.SetTag("peertyped.changed", changed);
            _activity.SetTag("peertyped.attempts", attempts);
        }
        Finish(changed ? "written" : "unchanged");
    }

    /// <summary>Records a failed write; returns false so it can sit in an exception filter without catching anything.</summary>
    public bool Failed(Exception exception)
    {
        var outcome = exception is PeerStateException peer ? PeerTelemetry.OutcomeOf(peer.Kind) : exception is OperationCanceledException ? "cancelled" : "other";
        if (outcome == "invalid") PeerTelemetry.ValidationFailures.Add(1, Tags());
        if (_activity is not null)
        {
            _activity.SetStatus(ActivityStatusCode.Error, exception.Message);
            _activity.SetTag("error.type", outcome);
        }
        Finish(outcome);
        return false;
    }

    private void Finish(string outcome)
    {
        var tags = Tags();
        tags.Add("peertyped.outcome", outcome);
        PeerTelemetry.Writes.Add(1, tags);
        PeerTelemetry.WriteDuration.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, Tags());
        _activity?.Dispose();
    }

    private TagList Tags()
    {
        var tags = new TagList { { "peertyped.operation", _operation }, { "peertyped.bucket", _bucket } };
        if (_role is not null) tags.Add("peertyped.role", _role);
        return tags;
    }
}
