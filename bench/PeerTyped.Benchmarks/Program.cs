using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using PeerTyped.Benchmarks;

if (args.Length > 0 && args[0] == "scaling") return await Scaling.RunAsync(args.Skip(1).ToArray());
if (args.Length > 0 && args[0] == "contention") return await Contention.RunAsync(args.Skip(1).ToArray());

// Short but stable: 3 warm-ups, 15 measured iterations, one process per benchmark class.
var config = DefaultConfig.Instance.AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(15).WithLaunchCount(1));
BenchmarkSwitcher.FromAssembly(typeof(ValidationBenchmarks).Assembly).Run(args, config);
return 0;
