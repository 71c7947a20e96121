using System.Globalization;
using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using ReferralNetwork.Application.Features.Statistics;

namespace ReferralNetwork.Api.Reports;

/// <summary>
/// A report as one table of text and numbers, the shape both exports write: CSV (RFC 4180, through
/// <see cref="StatisticsCsv"/>'s formula-injection guard) and XLSX (Open XML SDK; text as inline strings, which a
/// spreadsheet never evaluates, numbers as numbers). An empty cell is withheld, not measured, or none.
/// </summary>
public sealed record ReportTable(string Name, IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<object?>> Rows)
{
    public const string CsvMediaType = "text/csv";
    public const string XlsxMediaType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    public string ToCsv()
    {
        var csv = new StringBuilder();
        csv.Append(StatisticsCsv.Line([.. Header]));
        foreach (var row in Rows)
            csv.Append(StatisticsCsv.Line([.. row.Select(Text)]));
        return csv.ToString();
    }

    public byte[] ToXlsx()
    {
        using var stream = new MemoryStream();
        using (var document = SpreadsheetDocument.Create(stream, SpreadsheetDocumentType.Workbook))
        {
            var workbook = document.AddWorkbookPart();
            workbook.Workbook = new Workbook();
            var sheet = workbook.AddNewPart<WorksheetPart>();
            var data = new SheetData();
            data.Append(RowOf(Header.Cast<object?>()));
            foreach (var row in Rows) data.Append(RowOf(row));
            sheet.Worksheet = new Worksheet(data);
            workbook.Workbook.AppendChild(new Sheets(new Sheet { Id = workbook.GetIdOfPart(sheet), SheetId = 1, Name = Name }));
            workbook.Workbook.Save();
        }
        return stream.ToArray();
    }

    private static Row RowOf(IEnumerable<object?> values)
    {
        var row = new Row();
        foreach (var value in values)
            row.Append(value switch
            {
                null => new Cell(),
                int or double => new Cell { DataType = CellValues.Number, CellValue = new CellValue(Text(value)) },
                _ => new Cell { DataType = CellValues.InlineString, InlineString = new InlineString(new Text(Text(value))) },
            });
        return row;
    }

    private static string Text(object? value) => value switch
    {
        null => "",
        double d => StatisticsCsv.Number(d),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
