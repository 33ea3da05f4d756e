"""KPI workbook helpers."""
