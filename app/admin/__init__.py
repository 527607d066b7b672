"""Administration: agencies, staff, the procedure designer, calendar, series, certificates."""
