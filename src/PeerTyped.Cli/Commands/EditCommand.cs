using System.CommandLine;
using System.Diagnostics;
using System.Text;
using PeerTyped.Cli.Console;
using PeerTyped.Client;

namespace PeerTyped.Cli.Commands;

internal sealed partial class CommandFactory
{
    private const string EditErrorPrefix = "# ERROR: ";

    /// <summary>
    /// kubectl edit for one cycle: the document in $VISUAL/$EDITOR, then the same write path as every other command,
    /// compare-and-set on the revision that was opened. Errors reopen the editor with the error as comment lines at the
    /// top (and on stderr); saving it unchanged gives up with that error's exit code.
    /// </summary>
    private Command Edit()
    {
        return DefineForKey("edit", "Edit the document in $VISUAL or $EDITOR (default vi): validated and ownership-checked on save, written by compare-and-set on the revision opened; errors reopen the editor", async (invocation, resolved, store) =>
        {
            var opened = await store.ReadAsync(resolved, invocation.CancellationToken).ConfigureAwait(false);
            var original = opened.Document.ToUtf8Bytes();
            var directory = Directory.CreateTempSubdirectory("peer-typed-edit-");
            var file = Path.Combine(directory.FullName, resolved + ".json");
            try
            {
                var text = Json.Pretty(original) + "\n";
                await File.WriteAllTextAsync(file, text, invocation.CancellationToken).ConfigureAwait(false);
                while (true)
                {
                    var before = await File.ReadAllTextAsync(file, invocation.CancellationToken).ConfigureAwait(false);
                    await RunEditorAsync(file, invocation.CancellationToken).ConfigureAwait(false);
                    var after = await File.ReadAllTextAsync(file, invocation.CancellationToken).ConfigureAwait(false);
                    var edited = WithoutErrorComments(after);
                    if (after == before)
                    {
                        // Saved as it was shown: nothing to do, or (after an error) the user gave up on it.
                        if (!before.StartsWith(EditErrorPrefix, StringComparison.Ordinal))
                        {
                            invocation.Terminal.Success($"Edit of {resolved} cancelled: no changes, nothing written");
                            if (!invocation.JsonOutput) invocation.Terminal.Ok();
                            return 0;
                        }
                    }
                    if (string.IsNullOrWhiteSpace(edited)) throw new CliException(PeerErrorKind.Invalid, $"{resolved}: the edited document is empty; nothing written");
                    try
                    {
                        var result = await store.UpdateJsonAsync(resolved, RoleOrNull(invocation), (current, _) =>
                        {
                            // Compare-and-set on what was opened: a change by anyone else since then is not overwritten.
                            if (!current.Span.SequenceEqual(original)) throw new CliException(PeerErrorKind.Conflict, $"{resolved}: changed by another writer since revision {opened.Revision} was opened for editing; nothing written (run edit again; your version is in {file})");
                            return ValueTask.FromResult(Encoding.UTF8.GetBytes(edited));
                        }, invocation.CancellationToken).ConfigureAwait(false);
                        PrintWrite(invocation, result);
                        File.Delete(file);
                        directory.Delete(recursive: true);
                        return 0;
                    }
                    catch (PeerStateException ex) when (ex.Kind is PeerErrorKind.Invalid or PeerErrorKind.Ownership or PeerErrorKind.Usage && after != before)
                    {
                        // Reopen with the error on top; an unchanged save next time ends with this error.
                        // A warning, not an ERROR line: the command has not failed yet.
                        invocation.Terminal.Warn(ex.Message + " (reopening the editor)");
                        var comments = string.Concat(new[] { ex.Message }.Concat(ex.Details).Select(line => EditErrorPrefix + line.ReplaceLineEndings(" ") + "\n"));
                        await File.WriteAllTextAsync(file, comments + "# Fix the document below and save; save it unchanged to give up.\n" + edited, invocation.CancellationToken).ConfigureAwait(false);
                    }
                    catch (PeerStateException ex) when (ex.Kind is PeerErrorKind.Invalid or PeerErrorKind.Ownership or PeerErrorKind.Usage)
                    {
                        directory.Delete(recursive: true);
                        throw;
                    }
                }
            }
            catch (PeerStateException ex) when (ex.Kind is not (PeerErrorKind.Conflict or PeerErrorKind.Other) && Directory.Exists(directory.FullName))
            {
                directory.Delete(recursive: true);
                throw;
            }
        }, options.DryRun);
    }

    /// <summary>The file without the "# ..." lines edit put at its top (JSON has no comments, so none are the user's).</summary>
    private static string WithoutErrorComments(string text)
    {
        var lines = text.Split('\n');
        var skip = lines.TakeWhile(line => line.StartsWith('#')).Count();
        return string.Join('\n', lines.Skip(skip));
    }

    /// <summary>$VISUAL, else $EDITOR, else vi, through sh so that "code --wait" works; a failing editor writes nothing.</summary>
    private static async Task RunEditorAsync(string file, CancellationToken cancellationToken)
    {
        var editor = Environment.GetEnvironmentVariable("VISUAL") is { Length: > 0 } visual ? visual
            : Environment.GetEnvironmentVariable("EDITOR") is { Length: > 0 } configured ? configured : "vi";
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var argument in new[] { "-c", editor + " \"$1\"", "sh", file }) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new CliException(PeerErrorKind.Other, $"cannot start the editor '{editor}'");
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0) throw new CliException(PeerErrorKind.Other, $"the editor '{editor}' exited with {process.ExitCode}; nothing written (the edited file is {file})");
    }
}
