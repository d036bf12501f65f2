"""Reports: self-contained HTML (maps, charts, tables, provenance) and file exports."""
