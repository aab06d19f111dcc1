using System.Text;

namespace PeerTyped.Cli.Commands;

/// <summary>Plain aligned columns, as kubectl prints them.</summary>
internal static class Table
{
    public static string Render(IReadOnlyList<string> headers, IReadOnlyList<string[]> rows)
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        var builder = new StringBuilder();
        void Line(IReadOnlyList<string> cells)
        {
            for (var i = 0; i < cells.Count; i++)
            {
                builder.Append(i == cells.Count - 1 ? cells[i] : cells[i].PadRight(widths[i] + 2));
            }
            builder.Append('\n');
        }
        Line(headers);
        foreach (var row in rows) Line(row);
        return builder.ToString().TrimEnd('\n');
    }
}
