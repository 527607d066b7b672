"""Một cửa — online one-stop-shop portal."""
