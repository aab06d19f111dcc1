using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace PeerTyped.Client.Jq;

/// <summary>
/// jq 1.6 through libjq: compiled on the first run (libjq spends ~23 ms compiling its builtins), then every run is
/// <c>jq_start</c> + <c>jq_next</c> on the same state. Arguments are bound as jq's main.c binds them: named values in an
/// object (first occurrence wins), plus <c>$ARGS</c> = {positional: [], named: …}. Results are printed with
/// <c>jv_dump_string(…, 0)</c>, which is what <c>jq -c</c> prints, so both engines give the same bytes.
/// </summary>
internal sealed unsafe class InProcessJqFilter : JqFilter
{
    /// <summary>Compile errors reach libjq's error callback on the compiling thread; they are collected here.</summary>
    [ThreadStatic] private static List<string>? _compileMessages;

    private readonly Lock _gate = new();
    private nint _state;
    private JqResult? _compileFailure;

    public InProcessJqFilter(string filter, IReadOnlyList<JqArgument> arguments, JqOptions options)
        : base(filter, arguments, options)
    {
    }

    public override string EngineName => "libjq";

    // Deeply nested results are printed and freed by recursion in C; 256 MiB is reserved, touched only as needed.
    private protected override int StackSize => 256 << 20;

    private protected override long MemoryInUse(Run run) => ResidentBytes("/proc/self/statm") - run.BaselineResidentBytes;

    private protected override void Stop(Run run)
    {
        // No interrupt in libjq 1.6: the running thread keeps the state it took; the next run compiles a new one.
    }

    private protected override JqResult Evaluate(Run run)
    {
        run.BaselineResidentBytes = ResidentBytes("/proc/self/statm");
        nint state;
        lock (_gate)
        {
            if (_compileFailure is not null) return _compileFailure;
            state = _state;
            _state = 0; // taken by this run; given back only if the run is not abandoned
        }
        if (state == 0)
        {
            var (compiled, failure) = Compile();
            if (failure is not null)
            {
                lock (_gate) _compileFailure = failure;
                return failure;
            }
            state = compiled;
        }
        var result = Execute(state, run.Input.Span);
        lock (_gate)
        {
            // A run stopped at its second result leaves jq mid-execution, and jq 1.6's reset of such a state leaks
            // (~2.6 KB a run, measured): such a state is torn down and the next run compiles afresh.
            if (run.Stopped || _state != 0 || _disposed || result.Outcome == JqOutcome.SeveralDocuments)
            {
                // Abandoned (or another state took its place): this thread still owns the state and frees it.
                LibJq.jq_teardown(&state);
            }
            else
            {
                _state = state;
            }
        }
        return result;
    }

    private bool _disposed;

    private (nint State, JqResult? Failure) Compile()
    {
        var state = LibJq.jq_init();
        if (state == 0) return (0, JqResult.Failed(JqOutcome.RuntimeError, 2, "jq: error: cannot allocate memory"));
        _compileMessages = [];
        try
        {
            // jq 1.6's jq_init leaves the debug callback, the input callback and the out-of-memory handler
            // uninitialised (it mallocs the state), and `debug`/`input` call through them: set all three.
            LibJq.jq_set_error_cb(state, &OnError, 0);
            LibJq.jq_set_debug_cb(state, &OnDebug, 0);
            LibJq.jq_set_input_cb(state, 0, 0); // no reader: `input` reports "No more inputs", as jq does after the one document
            LibJq.jq_set_nomem_handler(state, 0, 0);
            var named = LibJq.jv_object();
            foreach (var argument in Arguments)
            {
                if (LibJq.jv_object_has(LibJq.jv_copy(named), LibJq.String(argument.Name)) != 0) continue;
                Jv value;
                switch (argument.Kind)
                {
                    case JqArgumentKind.Arg:
                        value = LibJq.String(argument.Value);
                        break;
                    case JqArgumentKind.ArgJson:
                        var json = Encoding.UTF8.GetBytes(argument.Value);
                        fixed (byte* text = json) value = LibJq.jv_parse_sized(text, json.Length);
                        if (LibJq.jv_get_kind(value) == JvKind.Invalid)
                        {
                            LibJq.jv_free(value);
                            return (Teardown(state, named), JqResult.Failed(JqOutcome.CompileError, 2, "jq: invalid JSON text passed to --argjson"));
                        }
                        break;
                    default:
                        value = LibJq.jv_load_file(argument.Value, 0);
                        if (LibJq.jv_get_kind(value) == JvKind.Invalid)
                        {
                            var why = LibJq.TakeText(LibJq.jv_invalid_get_msg(value));
                            return (Teardown(state, named), JqResult.Failed(JqOutcome.CompileError, 2, $"jq: Bad JSON in --slurpfile {argument.Name} {argument.Value}: {why}"));
                        }
                        break;
                }
                named = LibJq.jv_object_set(named, LibJq.String(argument.Name), value);
            }
            var args = LibJq.jv_object_set(LibJq.jv_object(), LibJq.String("positional"), LibJq.jv_array());
            args = LibJq.jv_object_set(args, LibJq.String("named"), LibJq.jv_copy(named));
            named = LibJq.jv_object_set(named, LibJq.String("ARGS"), args);
            var program = Encoding.UTF8.GetBytes(Program + "\0");
            int compiled;
            fixed (byte* text = program) compiled = LibJq.jq_compile_args(state, text, named); // consumes named
            if (compiled == 0)
            {
                var message = _compileMessages.Count > 0 ? Clean(_compileMessages[0]) : "jq: error: the filter does not compile";
                LibJq.jq_teardown(&state);
                return (0, JqResult.Failed(JqOutcome.CompileError, 3, message));
            }
            return (state, null);
        }
        finally
        {
            _compileMessages = null;
        }
    }

    private static nint Teardown(nint state, Jv named)
    {
        LibJq.jv_free(named);
        LibJq.jq_teardown(&state);
        return 0;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnError(nint data, Jv message)
    {
        try
        {
            var text = LibJq.TakeString(LibJq.jq_format_error(message));
            _compileMessages?.Add(text);
        }
        catch (Exception)
        {
            // Nothing may unwind into C; a lost message only makes the report vaguer.
        }
    }

    /// <summary>`debug` messages are dropped, as the CLI dropped the jq binary's stderr; the result is unchanged.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnDebug(nint data, Jv message) => LibJq.jv_free(message);

    private JqResult Execute(nint state, ReadOnlySpan<byte> input)
    {
        Jv document;
        fixed (byte* text = input) document = LibJq.jv_parse_sized(text, input.Length);
        if (LibJq.jv_get_kind(document) == JvKind.Invalid)
        {
            // The jq binary prints "parse error: …" and exits 4; jv_parse_sized adds "(while parsing …)" with the whole text.
            var why = LibJq.TakeText(LibJq.jv_invalid_get_msg(document));
            var quoted = why.IndexOf(" (while parsing", StringComparison.Ordinal);
            return JqResult.Failed(JqOutcome.RuntimeError, 4, "parse error: " + (quoted < 0 ? why : why[..quoted]));
        }
        LibJq.jq_start(state, document, 0); // consumes document
        Jv first = default;
        var haveFirst = false;
        try
        {
            while (true)
            {
                var next = LibJq.jq_next(state);
                if (LibJq.jv_get_kind(next) != JvKind.Invalid)
                {
                    if (haveFirst)
                    {
                        // One document is the contract; stopping at the second also ends `repeat(.)` at once.
                        LibJq.jv_free(next);
                        return JqResult.Failed(JqOutcome.SeveralDocuments, 0, "the jq filter produced more than one document");
                    }
                    first = next;
                    haveFirst = true;
                    continue;
                }
                if (LibJq.jq_halted(state) != 0)
                {
                    LibJq.jv_free(next);
                    var exitCode = HaltExitCode(state);
                    if (exitCode != 0)
                    {
                        var message = LibJq.jq_get_error_message(state);
                        string text;
                        if (LibJq.jv_get_kind(message) is JvKind.Invalid or JvKind.Null)
                        {
                            LibJq.jv_free(message);
                            text = string.Empty;
                        }
                        else
                        {
                            text = LibJq.TakeText(message);
                        }
                        return JqResult.Failed(JqOutcome.RuntimeError, exitCode, Clean(text));
                    }
                    break;
                }
                if (LibJq.jv_invalid_has_msg(LibJq.jv_copy(next)) != 0)
                {
                    var message = LibJq.jv_invalid_get_msg(next);
                    var text = LibJq.jv_get_kind(message) == JvKind.String
                        ? "jq: error (at <stdin>:0): " + LibJq.TakeString(message)
                        : "jq: error (at <stdin>:0) (not a string): " + LibJq.TakeText(message);
                    return JqResult.Failed(JqOutcome.RuntimeError, 5, Clean(text));
                }
                LibJq.jv_free(next);
                break;
            }
            if (!haveFirst) return JqResult.Failed(JqOutcome.NoDocument, 0, "the jq filter produced no document");
            var dump = LibJq.jv_dump_string(first, 0); // consumes first
            haveFirst = false;
            var length = LibJq.jv_string_length_bytes(LibJq.jv_copy(dump));
            if (length > Options.MaxOutputBytes)
            {
                LibJq.jv_free(dump);
                return JqResult.Failed(JqOutcome.OutputTooLarge, 0, $"the jq filter's result is larger than {Options.MaxOutputBytes >> 20} MiB");
            }
            var bytes = new ReadOnlySpan<byte>(LibJq.jv_string_value(dump), length).ToArray();
            LibJq.jv_free(dump);
            return JqResult.Document(bytes);
        }
        finally
        {
            if (haveFirst) LibJq.jv_free(first);
        }
    }

    /// <summary>The exit code the jq binary would use after <c>halt</c>/<c>halt_error</c> (main.c's process()).</summary>
    private static int HaltExitCode(nint state)
    {
        var code = LibJq.jq_get_exit_code(state);
        var kind = LibJq.jv_get_kind(code);
        var exitCode = kind switch
        {
            JvKind.Invalid => 0,
            JvKind.Number => (int)LibJq.jv_number_value(code) & 0xFF, // exit() keeps the low byte
            _ => 5,
        };
        LibJq.jv_free(code);
        return exitCode;
    }

    protected override void Dispose(bool disposing)
    {
        lock (_gate)
        {
            _disposed = true;
            if (_state == 0) return;
            var state = _state;
            _state = 0;
            LibJq.jq_teardown(&state);
        }
    }
}
