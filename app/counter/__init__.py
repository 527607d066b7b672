"""Counter services (SPEC §15): appointments booked in time bands and queue tickets called to
the counters, with the calling screen."""
