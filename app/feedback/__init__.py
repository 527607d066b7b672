"""Feedback and complaints (phản ánh, kiến nghị, SPEC §12)."""
