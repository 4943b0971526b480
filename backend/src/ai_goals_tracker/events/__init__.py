"""The event log: recorded with every change, followed by workers, archived to Parquet, replayed."""

# Events per archive transaction and part file set (`aigt events archive --batch-size`).
DEFAULT_ARCHIVE_BATCH_SIZE = 100_000
