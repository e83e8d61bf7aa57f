"""What people read: money and labels, charts, the report, the workbook, files written safely."""
