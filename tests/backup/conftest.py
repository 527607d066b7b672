"""The S3-protocol server on loopback, for restores into a bucket."""

from tests.s3server import s3_server

__all__ = ["s3_server"]
