using PeerTyped.Client;

namespace PeerTyped.Cli.Commands;

/// <summary>
/// Reads a file a command documents as input (create FILE, validate FILE, patch --merge @FILE). A path that cannot be
/// read is a usage error (exit 2) with a sentence saying why, not an IOException's text.
/// </summary>
internal static class InputFile
{
    public static async Task<byte[]> ReadAsync(string path, string what, CancellationToken cancellationToken)
    {
        if (path.Length == 0) throw new PeerUsageException($"{what}: no file name given");
        if (Directory.Exists(path)) throw new PeerUsageException($"{what}: {path} is a directory, not a file");
        try
        {
            return await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            throw new PeerUsageException($"{what}: {path} does not exist");
        }
        catch (DirectoryNotFoundException)
        {
            throw new PeerUsageException($"{what}: {path} does not exist (no such directory)");
        }
        catch (UnauthorizedAccessException)
        {
            throw new PeerUsageException($"{what}: {path} cannot be read (permission denied)");
        }
        catch (IOException ex)
        {
            throw new PeerUsageException($"{what}: {path} cannot be read ({ex.GetType().Name}, HRESULT 0x{ex.HResult:X8})");
        }
    }
}
