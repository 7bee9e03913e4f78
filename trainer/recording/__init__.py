"""Session directories (format v1): writer, crash-safe reader, CSV import/export, replay."""
