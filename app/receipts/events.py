"""What happens to a receipt after it was issued, as events. ``app.receipts`` publishes them in
the transaction that voids the receipt; the audit log subscribes (a receipt is cancelled or
replaced, never deleted: Decree 123/2020 Art. 32)."""

from __future__ import annotations

from dataclasses import dataclass

from app.accounts.models import User
from app.receipts.models import Receipt


@dataclass(frozen=True)
class ReceiptCancelled:
    """``receipt`` was cancelled by ``actor`` for ``reason``."""

    receipt: Receipt
    actor: User | None
    reason: str


@dataclass(frozen=True)
class ReceiptReplaced:
    """``original`` was replaced by ``replacement`` (a new number) by ``actor`` for ``reason``."""

    original: Receipt
    replacement: Receipt
    actor: User | None
    reason: str
