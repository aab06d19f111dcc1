using System.CommandLine;
using PeerTyped.Cli;

return await CliApp.RunAsync(args, Console.Out, Console.Error);
