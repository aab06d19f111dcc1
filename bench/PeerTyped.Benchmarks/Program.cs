using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using PeerTyped.Benchmarks;

if (args.Length > 0 && args[0] == "scaling") return await Scaling.RunAsync(args.Skip(1).ToArray());
if (args.Length > 0 && args[0] == "loops") return await ProfileLoop.RunAsync(args.Skip(1).ToArray());
if (args.Length > 0 && args[0] == "contention") return await Contention.RunAsync(args.Skip(1).ToArray());

// Short but stable: 3 warm-ups, 15 measured iterations, one process per benchmark class. With --inProcess the same
// short job runs inside this process instead of a separately built one (whose build can pass BenchmarkDotNet's
// two-minute limit on a loaded machine); BenchmarkDotNet's own --inProcess would add its default job beside it.
var inProcess = args.Contains("--inProcess", StringComparer.OrdinalIgnoreCase);
var job = Job.Default.WithWarmupCount(3).WithIterationCount(15).WithLaunchCount(1);
if (inProcess) job = job.WithToolchain(InProcessEmitToolchain.Instance);
var config = DefaultConfig.Instance.AddJob(job);
BenchmarkSwitcher.FromAssembly(typeof(ValidationBenchmarks).Assembly).Run(args.Where(a => !a.Equals("--inProcess", StringComparison.OrdinalIgnoreCase)).ToArray(), config);
return 0;
