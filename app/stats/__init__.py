"""Statistics: the service indicators of Decision 766/QĐ-TTg, ranking and dashboards (§7)."""
