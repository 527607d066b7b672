"""Administration home and navigation; each admin screen lives with the domain it edits."""
