"""Exports: a dataset delivered as a file (CSV, XLSX or Parquet) under an entitlement.

- :mod:`.engine` — :func:`export`: record batches through the output policy and the
  watermark into a writer, one batch at a time;
- :mod:`.policy` — the output policy (columns in scope, masking) on record batches;
- :mod:`.watermark` — the per-entitlement mark in the decimals, and its score;
- :mod:`.writers` — CSV, XLSX and Parquet writers, formula injection neutralised;
- :mod:`.identify` — naming the entitlement a file was issued under;
- :mod:`.commands` — ``datamarket watermark identify FILE``.
"""

