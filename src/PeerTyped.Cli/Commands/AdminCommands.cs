using System.CommandLine;
using System.Globalization;
using PeerTyped.Cli.Console;
using PeerTyped.Client;
using PeerTyped.Contracts;
using PeerTyped.Runtime;

namespace PeerTyped.Cli.Commands;

internal sealed partial class CommandFactory
{
    private Command Bucket()
    {
        var history = new Option<int>("--history") { Description = "Revisions kept per key (1-64)", DefaultValueFactory = _ => 64 };
        var replicas = new Option<int>("--replicas") { Description = "Replicas (1 on a single server, 3 on a cluster)", DefaultValueFactory = _ => 1 };
        var storage = new Option<string>("--storage") { Description = "file or memory", DefaultValueFactory = _ => "file" }.AcceptOnlyFromAmong("file", "memory");
        var maxValueSize = new Option<int>("--max-value-size") { Description = "Largest document in bytes", DefaultValueFactory = _ => 1024 * 1024 };
        var init = Define("init", "Create the bucket if it is missing, or harden an existing one (deny delete and purge, no rollup headers); other differing settings are reported, not changed", async invocation =>
        {
            // One command's connection, as OpenStoreAsync makes them: no pings, no OpenSSL, no orderly shutdown at exit.
            var connection = invocation.Options.ConnectionOptions(invocation.Parse) with { PingInterval = TimeSpan.Zero, ShortLived = true };
            var storeOptions = invocation.Options.StoreOptions(invocation.Parse) with
            {
                History = invocation.Get(history),
                Replicas = invocation.Get(replicas),
                Storage = invocation.Get(storage) == "memory" ? PeerBucketStorage.Memory : PeerBucketStorage.File,
                MaxValueSize = invocation.Get(maxValueSize),
            };
            await using var store = await PeerStateStore.ConnectAsync(connection, storeOptions, invocation.Terminal.Logger, invocation.CancellationToken).ConfigureAwait(false);
            var info = await store.EnsureBucketAsync(invocation.CancellationToken).ConfigureAwait(false);
            PrintBucket(invocation, info);
            return 0;
        }, history, replicas, storage, maxValueSize);
        var info = Define("info", "Show the bucket's settings and size, with warnings about risky settings", async invocation =>
        {
            await using var store = await invocation.OpenStoreAsync().ConfigureAwait(false);
            var bucket = await store.TryGetBucketInfoAsync(invocation.CancellationToken).ConfigureAwait(false)
                ?? throw new PeerNotFoundException($"bucket {store.Options.Bucket} does not exist on {invocation.Options.ConnectionOptions(invocation.Parse).DisplayServers}; create it with `peer-typed bucket init`");
            PrintBucket(invocation, bucket);
            return 0;
        });
        var command = new Command("bucket", "Create or show the KV bucket");
        command.Subcommands.Add(init);
        command.Subcommands.Add(info);
        return command;
    }

    private static void PrintBucket(Invocation invocation, PeerBucketInfo info)
    {
        var warnings = new List<string>();
        if (info.History <= 1) warnings.Add("history is 1: no earlier revision to restore after a bad write");
        if (info.IsCluster && info.Replicas < 3) warnings.Add($"replicas {info.Replicas} on a cluster: one server's loss loses the state");
        if (info.MaxValueSize <= 0) warnings.Add("no max value size: an oversized document is only stopped by the server's max_payload");
        if (info.AllowRollup) warnings.Add("rollup headers allowed: one publish with Nats-Rollup: all erases every key, Nats-Rollup: sub a key's whole history (`peer-typed bucket init` turns them off)");
        if (!info.DenyPurge) warnings.Add("purge allowed: a user permitted $JS.API.STREAM.PURGE can erase the history (`peer-typed bucket init` sets deny_purge)");
        if (!info.DenyDelete) warnings.Add("message delete allowed: a user permitted $JS.API.STREAM.MSG.DELETE can remove revisions (`peer-typed bucket init` sets deny_delete)");
        if (info.MaxAge > TimeSpan.Zero) warnings.Add($"max age {info.MaxAge}: revisions older than that disappear, good ones included");
        foreach (var warning in warnings) invocation.Terminal.Warn(warning);
        if (invocation.JsonOutput)
        {
            invocation.Terminal.Data(Json.Object(w =>
            {
                w.WriteString("bucket", info.Bucket);
                w.WriteNumber("history", info.History);
                w.WriteNumber("replicas", info.Replicas);
                w.WriteString("storage", info.Storage);
                w.WriteNumber("max_value_size", info.MaxValueSize);
                w.WriteNumber("values", info.Values);
                w.WriteNumber("bytes", info.Bytes);
                w.WriteBoolean("cluster", info.IsCluster);
                w.WriteBoolean("deny_delete", info.DenyDelete);
                w.WriteBoolean("deny_purge", info.DenyPurge);
                w.WriteBoolean("allow_rollup_hdrs", info.AllowRollup);
                w.WriteNumber("max_age_seconds", info.MaxAge.TotalSeconds);
                w.WriteStartArray("warnings");
                foreach (var warning in warnings) w.WriteStringValue(warning);
                w.WriteEndArray();
            }, indented: true));
            return;
        }
        invocation.Terminal.Data(string.Join('\n',
            $"bucket:          {info.Bucket}",
            $"history:         {info.History}",
            $"replicas:        {info.Replicas}",
            $"storage:         {info.Storage}",
            $"max value size:  {info.MaxValueSize}",
            $"values:          {info.Values}",
            $"bytes:           {info.Bytes}",
            $"deny delete:     {(info.DenyDelete ? "yes" : "NO")}",
            $"deny purge:      {(info.DenyPurge ? "yes" : "NO")}",
            $"rollup headers:  {(info.AllowRollup ? "ALLOWED" : "refused")}",
            $"max age:         {(info.MaxAge > TimeSpan.Zero ? info.MaxAge.ToString() : "none")}"));
    }

    private Command Cycle()
    {
        var prefix = new Argument<string>("prefix") { Description = "peer.spec.<name>, peer.instruction.<name> or peer.global" };
        var next = Define("next", "Allocate the next cycle number for a prefix, atomically (CAS on <prefix>.cycle.current)", async invocation =>
        {
            await using var store = await invocation.OpenStoreAsync().ConfigureAwait(false);
            var number = await store.NextCycleNumberAsync(invocation.Get(prefix)!, invocation.CancellationToken).ConfigureAwait(false);
            invocation.Terminal.Data(number.ToString(CultureInfo.InvariantCulture));
            if (invocation.DryRun) invocation.Terminal.Success($"Dry run: {number} is the number cycle next would allocate; nothing allocated");
            return 0;
        }, prefix, options.DryRun);
        var latestOf = new Argument<string>("prefix") { Description = "peer.spec.<name>, peer.instruction.<name> or peer.global" };
        var current = Define("current", "Print the latest cycle number of a prefix without allocating (the counter or the highest existing <prefix>.cycle.<N>); exit 5 when there is none", async invocation =>
        {
            var checkedPrefix = PeerKey.CheckPrefix(invocation.Get(latestOf));
            await using var store = await invocation.OpenStoreAsync().ConfigureAwait(false);
            var number = await store.CurrentCycleNumberAsync(checkedPrefix, invocation.CancellationToken).ConfigureAwait(false)
                ?? throw new PeerNotFoundException($"{checkedPrefix}: no cycle yet (no {PeerKey.CounterKey(checkedPrefix)} and no {checkedPrefix}.cycle.<N>)");
            invocation.Terminal.Data(number.ToString(CultureInfo.InvariantCulture));
            return 0;
        }, latestOf);
        var command = new Command("cycle", "Cycle numbers");
        command.Subcommands.Add(next);
        command.Subcommands.Add(current);
        return command;
    }

    private Command Server()
    {
        var port = new Option<int>("--port") { Description = "Port on 127.0.0.1", DefaultValueFactory = _ => 4222 };
        var command = new Command("server", "The local JetStream nats-server under ~/.agent-os/nats (AGENT_OS_HOME relocates ~/.agent-os)");
        var secure = new Option<bool>("--secure") { Description = "One NATS user per role plus the gate's and an admin's (random passwords), the gate started alongside, and a nats context peer-<role> per role in $XDG_CONFIG_HOME/nats/context: agents write only through the gate" };
        command.Subcommands.Add(Define("start", "Start it, unless a server already answers", async invocation =>
        {
            var status = invocation.Get(secure)
                ? await SecureServer.StartAsync(invocation.Get(port), invocation.Options.StoreOptions(invocation.Parse).Bucket, invocation.Terminal, invocation.CancellationToken).ConfigureAwait(false)
                : await LocalServer.StartAsync(invocation.Get(port), invocation.CancellationToken).ConfigureAwait(false);
            invocation.Terminal.Info(status.Message);
            invocation.Terminal.Data(invocation.JsonOutput ? ServerJson(status) : status.Url);
            return 0;
        }, port, secure));
        command.Subcommands.Add(Define("stop", "Stop it (and the gate that --secure started)", async invocation =>
        {
            var message = await LocalServer.StopAsync(invocation.CancellationToken).ConfigureAwait(false);
            invocation.Terminal.Data(invocation.JsonOutput ? Json.Object(w => w.WriteString("message", message)) : message);
            return 0;
        }));
        command.Subcommands.Add(Define("status", "Whether it runs (exit 0) or not (exit 1)", async invocation =>
        {
            var status = await LocalServer.StatusAsync(invocation.Get(port), invocation.CancellationToken).ConfigureAwait(false);
            invocation.Terminal.Data(invocation.JsonOutput ? ServerJson(status) : status.Message);
            return status.Running ? 0 : 1;
        }, port));
        return command;
    }

    private static string ServerJson(LocalServer.Status status) => Json.Object(w =>
    {
        w.WriteBoolean("running", status.Running);
        w.WriteString("url", status.Url);
        w.WriteString("message", status.Message);
    });

    private Command Demo()
    {
        var spec = new Option<string>("--spec") { Description = "Spec name of the demo cycle", DefaultValueFactory = _ => "peer-typed-demo" };
        return Define("demo", "Run one whole PEER cycle (create, plan, execute, express, review, complete) and print its history", async invocation =>
        {
            await using var store = await invocation.OpenStoreAsync().ConfigureAwait(false);
            await store.EnsureBucketAsync(invocation.CancellationToken).ConfigureAwait(false);
            var prefix = "peer.spec." + invocation.Get(spec);
            var number = await store.NextCycleNumberAsync(prefix, invocation.CancellationToken).ConfigureAwait(false);
            var key = $"{prefix}.cycle.{number}";
            var ct = invocation.CancellationToken;
            DateTimeOffset Now() => FieldText.ParseDateTime("now");

            await store.CreateAsync(key, PeerCycles.New(key, "create-spec", invocation.Get(spec), "Show one PEER cycle end to end."), PeerCycleRoles.Orchestrator, ct).ConfigureAwait(false);
            await store.UpdateAsync<PlannerView>(key, v => v
                .WithPlan(p => p with { Status = PhaseStatus.Completed, StartedAt = Now(), CompletedAt = Now(), Output = new PlanOutput { InstructionType = "spec-aware", Phases = ["preparation", "execution", "finalization"], SuccessCriteria = "Spec documentation created" } })
                .WithMetadata(m => m with { Status = CycleStatus.Executing, CurrentPhase = PhaseName.Execute, UpdatedAt = Now() }), ct).ConfigureAwait(false);
            await store.UpdateAsync<ExecutorView>(key, v => v
                .WithExecute(e => e with { Status = PhaseStatus.Completed, StartedAt = Now(), CompletedAt = Now(), Output = new ExecuteOutput { Progress = "Spec files written", CurrentStep = 3, TotalSteps = 3, FilesCreated = ["spec.md", "tasks.md"], FilesModified = ["roadmap.md"], Results = RawJson.Parse("{\"spec_created\":true}") } })
                .WithMetadata(m => m with { Status = CycleStatus.Expressing, CurrentPhase = PhaseName.Express, UpdatedAt = Now() }), ct).ConfigureAwait(false);
            await store.UpdateAsync<ExpressView>(key, v => v
                .WithExpress(e => e with { Status = PhaseStatus.Completed, StartedAt = Now(), CompletedAt = Now(), Output = new ExpressOutput { Summary = "Created the demo spec.", KeyAchievements = ["Spec written"], Deliverables = ["spec.md"], FormattedOutput = "## Demo\n\nDone." } })
                .WithMetadata(m => m with { Status = CycleStatus.Reviewing, CurrentPhase = PhaseName.Review, UpdatedAt = Now() }), ct).ConfigureAwait(false);
            await store.UpdateAsync<ReviewView>(key, v => v
                .WithReview(r => r with { Status = PhaseStatus.Completed, StartedAt = Now(), CompletedAt = Now(), Output = new ReviewOutput { QualityScore = 92, Strengths = ["Complete"], Recommendations = ["Ship it"] } })
                .WithCycleSummary(_ => new CycleSummary { Success = true, Instruction = "create-spec", Summary = "Demo cycle completed.", Highlights = ["Validated", "Owned", "Compare-and-set"], Completion = 100, NextAction = "Review the spec, then run /peer --instruction=execute-tasks" }), ct).ConfigureAwait(false);
            await store.UpdateAsync<OrchestratorView>(key, v => v
                .WithMetadata(m => m with { Status = CycleStatus.Completed, CompletedAt = Now(), UpdatedAt = Now() }), ct).ConfigureAwait(false);

            invocation.Terminal.Success($"Demo cycle {key} completed; its history:");
            var reports = await HistoryReportsAsync(store, key, ct).ConfigureAwait(false);
            if (invocation.JsonOutput)
            {
                PrintHistoryJson(invocation, reports);
                return 0;
            }
            invocation.Terminal.Data(Table.Render(["REVISION", "OP", "SIZE", "SCHEMA", "CHANGED"], reports.Select(r => new[]
            {
                r.Entry.Revision.ToString(CultureInfo.InvariantCulture), r.Entry.Operation.ToString().ToLowerInvariant(),
                r.Entry.Value.Length.ToString(CultureInfo.InvariantCulture), r.Validation.IsValid ? "valid" : "INVALID", string.Join(",", r.ChangedSections),
            }).ToList()));
            return 0;
        }, spec);
    }

    private Command Doctor()
    {
        return DefineForKey("doctor", "Find the last schema-valid revision, explain every bad one after it, and print the restore command", async (invocation, resolved, store) =>
        {
            var reports = await HistoryReportsAsync(store, resolved, invocation.CancellationToken).ConfigureAwait(false);
            var lastGood = reports.LastOrDefault(r => r.Validation.IsValid && !r.Newer);
            var latest = reports[^1];
            var bad = reports.SkipWhile(r => r != lastGood).Skip(lastGood is null ? 0 : 1).Where(r => !r.Validation.IsValid).ToList();
            var healthy = latest.Validation.IsValid && !latest.Newer;
            // A document of a newer schema version is not corrupt: restoring an older revision would undo a migration.
            var restore = !healthy && !latest.Newer && lastGood is not null ? $"PEER_ROLE=operator peer-typed restore {resolved} --revision {lastGood.Entry.Revision}" : null;
            if (invocation.JsonOutput)
            {
                invocation.Terminal.Data(Json.Object(w =>
                {
                    w.WriteString("key", resolved);
                    w.WriteBoolean("healthy", healthy);
                    w.WriteNumber("latest_revision", latest.Entry.Revision);
                    if (lastGood is null) w.WriteNull("last_valid_revision");
                    else w.WriteNumber("last_valid_revision", lastGood.Entry.Revision);
                    w.WriteStartArray("bad_revisions");
                    foreach (var report in bad)
                    {
                        w.WriteStartObject();
                        w.WriteNumber("revision", report.Entry.Revision);
                        w.WriteNumber("size", report.Entry.Value.Length);
                        w.WriteString("problem", Problem(report));
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    if (restore is null) w.WriteNull("restore_command");
                    else w.WriteString("restore_command", restore);
                }, indented: true));
                if (latest.Newer) return NewerVersion(invocation, resolved, latest);
                if (!healthy) invocation.Terminal.Error($"{resolved}: latest revision {latest.Entry.Revision} is not schema-valid");
                return healthy ? 0 : PeerExitCodes.Invalid;
            }
            var lines = new List<string>();
            lines.Add(lastGood is null
                ? $"{resolved}: no schema-valid revision in the bucket's history"
                : $"{resolved}: last schema-valid revision is {lastGood.Entry.Revision} ({lastGood.Entry.Value.Length} bytes, {Timestamp.Format(lastGood.Entry.Created)})");
            foreach (var report in bad) lines.Add($"revision {report.Entry.Revision}: {report.Entry.Value.Length} bytes: {Problem(report)}");
            if (restore is not null) lines.Add("restore with: " + restore);
            if (latest.Newer)
            {
                lines.Add($"latest revision {latest.Entry.Revision} was written by schema version {latest.SchemaVersion}, newer than this peer-typed knows: it is not corrupt; read it with a newer peer-typed");
                foreach (var line in lines) invocation.Terminal.Data(line);
                return NewerVersion(invocation, resolved, latest);
            }
            if (healthy) lines.Add($"latest revision {latest.Entry.Revision} is schema-valid; nothing to do");
            foreach (var line in lines) invocation.Terminal.Data(line);
            if (!healthy) invocation.Terminal.Error($"{resolved}: latest revision {latest.Entry.Revision} is not schema-valid");
            return healthy ? 0 : PeerExitCodes.Invalid;
        });
    }

    private static int NewerVersion(Invocation invocation, string key, RevisionReport latest)
    {
        invocation.Terminal.Error(new PeerNewerVersionException(key, latest.SchemaVersion!.Value, PeerDocumentVersions.Current).Message);
        return PeerExitCodes.NewerVersion;
    }

    private static string Problem(RevisionReport report) =>
        report.Entry.Operation != PeerOperation.Put ? report.Entry.Operation.ToString().ToLowerInvariant() + " marker"
        : report.JsonError ?? string.Join("; ", report.Validation.Violations.Take(3)) + (report.Validation.Violations.Count > 3 ? $" (and {report.Validation.Violations.Count - 3} more)" : string.Empty);

    private Command Restore()
    {
        var key = KeyArgument();
        var keyOption = KeyOption();
        var revision = new Option<ulong>("--revision", "-r") { Description = "The revision whose exact bytes become the new latest", Required = true };
        var force = new Option<bool>("--force") { Description = "Restore even a revision that is not schema-valid" };
        return Define("restore", "Operator recovery: write the exact bytes of an earlier revision as a new revision, by CAS against the latest", async invocation =>
        {
            var resolved = ResolveKey(invocation, key, keyOption);
            var user = invocation.Options.ConnectionOptions(invocation.Parse).User;
            var role = RoleOrNull(invocation) ?? (user is not null && PeerCycle.Roles.Contains(user) ? user : null)
                ?? throw new PeerUsageException($"restore is for the {PeerCycle.Superuser} role: pass --as {PeerCycle.Superuser} or set PEER_ROLE={PeerCycle.Superuser}");
            await using var store = await invocation.OpenStoreAsync().ConfigureAwait(false);
            var result = await store.RestoreAsync(resolved, invocation.Get(revision), role, invocation.Get(force), invocation.CancellationToken).ConfigureAwait(false);
            if (invocation.DryRun)
            {
                PrintWrite(invocation, result);
                return 0;
            }
            invocation.Terminal.Success($"Restored {resolved} to the content of revision {invocation.Get(revision)} as revision {result.Revision}");
            if (invocation.JsonOutput) PrintWrite(invocation, result);
            else invocation.Terminal.Ok();
            return 0;
        }, key, keyOption, revision, force, options.DryRun);
    }
}
