using System.Runtime.CompilerServices;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using PeerTyped.Client;

namespace PeerTyped.Cli;

/// <summary>
/// Exports the client library's span and instruments (<see cref="PeerTelemetry"/>) over OTLP, only when
/// OTEL_EXPORTER_OTLP_ENDPOINT is set: otherwise nothing of OpenTelemetry runs, so a plain call pays nothing for it.
/// The exporter reads the standard variables itself (OTEL_EXPORTER_OTLP_PROTOCOL grpc or http/protobuf,
/// OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES …). Disposing flushes both providers,
/// so the spans and metrics of a short command are sent before the process exits.
/// </summary>
internal static class TelemetryExport
{
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static IDisposable? StartIfConfigured() =>
        Environment.GetEnvironmentVariable(EndpointVariable) is { Length: > 0 } ? Start() : null;

    // Not inlined: the OpenTelemetry types are touched only on this path.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Providers Start()
    {
        var version = typeof(TelemetryExport).Assembly.GetName().Version?.ToString();
        void Resource(ResourceBuilder resource) => resource.AddService("peer-typed", serviceVersion: version);
        var tracer = Sdk.CreateTracerProviderBuilder().ConfigureResource(Resource).AddSource(PeerTelemetry.Name).AddOtlpExporter().Build();
        var meter = Sdk.CreateMeterProviderBuilder().ConfigureResource(Resource).AddMeter(PeerTelemetry.Name).AddOtlpExporter().Build();
        return new Providers(tracer, meter);
    }

    private sealed class Providers(TracerProvider? tracer, MeterProvider? meter) : IDisposable
    {
        public void Dispose()
        {
            // Dispose shuts each provider down, which exports what is pending (bounded by the exporter's own timeout).
            tracer?.Dispose();
            meter?.Dispose();
        }
    }
}
