"""Reports: the tracking book of received dossiers (form 07)."""
