using System.CommandLine;
using System.Text;
using PeerTyped.Cli;

// Console.Out writes stdout in 256-byte chunks; a 64 KiB buffer flushed after every write call prints a document in one
// write(2) and still shows each line of `watch` (and every OK) as soon as it is written.
var stdout = TextWriter.Synchronized(new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16) { AutoFlush = true });
return await CliApp.RunAsync(args, stdout, Console.Error);
