"""The yearly administrative reform index (Chỉ số cải cách hành chính, PAR index; SPEC §13)."""
