"""Data in and out: imports of the office's spreadsheets, exports for partners, open data."""
