"""Reading CSV and XLSX uploads, and writing CSV and XLSX that are safe to open."""

import codecs
import datetime as dt
import io

import openpyxl
import pytest

from datamarket_governance_tools import tabular
from datamarket_governance_tools.tabular import (
    CsvRowReader,
    CsvRowWriter,
    Table,
    TableError,
    read_table,
    write_csv,
    write_xlsx,
)

HEADER_AND_ROWS = "姓名,手机,城市\n张三,13800138000,深圳\n李四,13900139000,北京\n"
ROWS = [{"姓名": "张三", "手机": "13800138000", "城市": "深圳"},
        {"姓名": "李四", "手机": "13900139000", "城市": "北京"}]


def xlsx(*lines) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for line in lines:
        sheet.append(list(line))
    book.create_sheet("second").append(["not", "read"])
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


@pytest.mark.parametrize("content", [
    HEADER_AND_ROWS.encode(),
    codecs.BOM_UTF8 + HEADER_AND_ROWS.encode(),
    HEADER_AND_ROWS.encode("gb18030"),
    HEADER_AND_ROWS.encode("utf-16"),
    HEADER_AND_ROWS.replace(",", ";").encode(),
    HEADER_AND_ROWS.replace(",", "\t").encode(),
    HEADER_AND_ROWS.replace("\n", "\r\n").encode(),
    ("\n" + HEADER_AND_ROWS + "\n\n,,\n").encode(),  # blank lines and empty rows are skipped
])
def test_csv_in_every_encoding_and_delimiter_reads_the_same(content):
    assert read_table(content, "people.csv") == Table(["姓名", "手机", "城市"], ROWS, "csv")


def test_quoted_cells_may_hold_delimiters_and_line_breaks():
    content = 'name,note\n张三,"a, b"\n李四,"line one\nline two"\n'.encode()
    assert read_table(content, "x.csv").rows[1]["note"] == "line one\nline two"


def test_a_header_without_rows_is_an_empty_table():
    assert read_table(b"a,b\n", "x.txt") == Table(["a", "b"], [], "csv")


def test_unnamed_empty_columns_at_the_end_of_the_header_are_dropped():
    table = read_table(b"a,b,,\n1,2,,\n", "x.csv")
    assert table.columns == ["a", "b"] and table.rows == [{"a": "1", "b": "2"}]
    with pytest.raises(TableError, match="line 2 of 'x.csv' has a value in a column that has no "
                                         "name in the header"):
        read_table(b"a,b,,\n1,2,3,\n", "x.csv")


@pytest.mark.parametrize("content, filename, message", [
    (b"", "x.csv", "'x.csv' is empty"),
    (b"\n\n\n", "x.csv", "'x.csv' has no header: its first row must name the columns"),
    (b"a,b,a\n", "x.csv", r"names 'a' twice \(columns 1 and 3\)"),
    (b"a, ,c\n", "x.csv", "column 2 of the header in 'x.csv' has no name"),
    (b"a,b\n1,2\n3\n", "x.csv", "line 3 of 'x.csv' has 1 values but the header has 2"),
    (b'a,b\n"1\n2",3\n4,5,6\n', "x.csv", "line 4 of 'x.csv' has 3 values"),
    (b"a,b\n1,2\n", "x.xls", "legacy Excel .xls workbook; open it in Excel and save it as .xlsx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "x.csv", "legacy Excel .xls"),
    (b"%PDF-1.4", "x.pdf", "'x.pdf' is neither CSV nor XLSX"),
    (b"a,b\n1,2\n", "noextension", "neither CSV nor XLSX"),
    (b"a,b\x00\x01", "x.csv", "is not a text file, so it cannot be CSV"),
    (b"PK\x03\x04 not really a zip", "x.xlsx", "is not a readable XLSX workbook"),
    (HEADER_AND_ROWS.encode(), "x.xlsx", "is not a readable XLSX workbook"),
])
def test_files_that_cannot_be_read_say_why(content, filename, message):
    with pytest.raises(TableError, match=message):
        read_table(content, filename)


def test_the_size_limits(monkeypatch):
    monkeypatch.setattr(tabular, "MAX_BYTES", 10)
    with pytest.raises(TableError, match="at most 0 MB can be uploaded"):
        read_table(b"a,b\n1,2\n3,4\n", "x.csv")
    monkeypatch.undo()
    monkeypatch.setattr(tabular, "MAX_ROWS", 2)
    assert len(read_table(b"a\n1\n2\n", "x.csv").rows) == 2
    with pytest.raises(TableError, match="has more than 2 rows; split it into smaller files"):
        read_table(b"a\n1\n2\n3\n", "x.csv")
    wide = ",".join(f"c{n}" for n in range(201)).encode()
    with pytest.raises(TableError, match="has 201 columns; at most 200 are allowed"):
        read_table(wide, "x.csv")


def test_xlsx_first_sheet_with_dates_as_iso_text():
    content = xlsx(["name", "birth", "visit", "amount", "note"],
                   ["张三", dt.date(1990, 3, 7), dt.datetime(2024, 5, 1, 8, 30), 12.5, None],
                   [None, None, None, None, None],
                   ["李四", dt.datetime(1978, 6, 15), "2024-05-02", 3, "  "])

    table = read_table(content, "People.XLSX")

    assert table == Table(["name", "birth", "visit", "amount", "note"], [
        {"name": "张三", "birth": "1990-03-07", "visit": "2024-05-01T08:30:00", "amount": 12.5,
         "note": None},
        {"name": "李四", "birth": "1978-06-15", "visit": "2024-05-02", "amount": 3,
         "note": None},
    ], "xlsx")


def test_xlsx_errors_name_the_row():
    with pytest.raises(TableError, match="row 3 of 'x.xlsx' has a value in a column that has "
                                         "no name in the header"):
        read_table(xlsx(["a", "b"], [1, 2], [1, 2, 3]), "x.xlsx")
    with pytest.raises(TableError, match="has no header: its first sheet is empty"):
        read_table(xlsx(), "x.xlsx")
    with pytest.raises(TableError, match="names 'a' twice"):
        read_table(xlsx(["a", "a"]), "x.xlsx")


def test_csv_is_written_with_a_bom_and_reads_back():
    content = write_csv(["姓名", "手机", "城市"], ROWS)
    assert content.startswith(codecs.BOM_UTF8)
    assert read_table(content, "out.csv").rows == ROWS


@pytest.mark.parametrize("cell, written", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+86 138 0013 8000", "'+86 138 0013 8000"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tcmd", "'\tcmd"),
    ("\rcmd", "'\rcmd"),
    ("-12.5", "-12.5"),
    ("+3", "+3"),
    ("a=b", "a=b"),
    (-7, "-7"),
])
def test_csv_cells_that_could_run_as_formulas_are_quoted(cell, written):
    rows = read_table(write_csv(["x"], [{"x": cell}]), "out.csv").rows
    assert rows == [{"x": written}]


def test_csv_writes_missing_and_none_as_empty_and_dates_as_iso():
    content = write_csv(["a", "b", "c"], [{"a": None, "c": dt.date(2024, 5, 1)}])
    assert content.decode("utf-8-sig") == "a,b,c\r\n,,2024-05-01\r\n"


def test_xlsx_stores_text_as_text_never_as_a_formula():
    content = write_xlsx(["name", "note", "day"], [
        {"name": "张三", "note": "=1+1", "day": dt.date(2024, 5, 1)},
        {"name": "bad\x01char", "note": "+86", "day": None},
    ])
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    assert sheet["B2"].value == "=1+1" and sheet["B2"].data_type == "s"
    assert sheet["A3"].value == "badchar"
    assert read_table(content, "out.xlsx").rows[0] == {"name": "张三", "note": "=1+1",
                                                         "day": "2024-05-01"}


def test_streaming_reader_and_writer_round_trip():
    source = io.StringIO(HEADER_AND_ROWS, newline="")
    reader = CsvRowReader(source)
    target = io.StringIO(newline="")
    assert reader.columns == ["姓名", "手机", "城市"]
    assert CsvRowWriter(target, reader.columns, bom=False).write_rows(reader) == 2
    assert target.getvalue().replace("\r\n", "\n") == HEADER_AND_ROWS
