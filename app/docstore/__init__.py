"""The citizen's personal document store (kho dữ liệu cá nhân, SPEC §11): earlier results and
accepted components kept for reuse in new dossiers."""
