"""The run date is a daily partition: backfilling a past day is a partition backfill."""

from dagster import DailyPartitionsDefinition

# end_offset=1 so today's date exists as a partition for a manual run of today's landings.
DAILY = DailyPartitionsDefinition(start_date="2024-01-01", end_offset=1, timezone="UTC")
