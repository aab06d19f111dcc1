using System.CommandLine;
using System.Runtime.InteropServices;
using PeerTyped.Client;

namespace PeerTyped.Cli.Commands;

internal sealed partial class CommandFactory
{
    private Command Gate() => Define("gate",
        "Run the gate service: every write to the bucket, validated and ownership-checked with the role taken from the request subject (peer.gate.<role>.<operation>), by compare-and-set. Runs until SIGINT/SIGTERM; start several for load sharing and fail-over (one queue group). Connect as the gate's NATS user.",
        async invocation =>
        {
            var connection = invocation.Options.ConnectionOptions(invocation.Parse) with { ClientName = PeerGateProtocol.ServiceName };
            var storeOptions = invocation.Options.StoreOptions(invocation.Parse) with { WriteMode = PeerWriteMode.Direct };
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(invocation.CancellationToken);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                stop.Cancel();
            });
            await using var store = await PeerStateStore.ConnectAsync(connection, storeOptions, invocation.Terminal.Logger, stop.Token).ConfigureAwait(false);
            await using var gate = await PeerGateService.StartAsync(store, invocation.Terminal.Logger, stop.Token).ConfigureAwait(false);
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped on purpose: leave the queue group and exit 0.
            }
            invocation.Terminal.Info("gate stopped");
            return 0;
        });
}
