"""Backup and restore of the database and its files (`portal backup`, `portal restore`)."""
