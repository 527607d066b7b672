"""What happens to a payment, as events. ``app.payments`` publishes them in the payment's
transaction; receipts (the e-receipt of Decree 123/2020), notifications and audit subscribe."""

from __future__ import annotations

from dataclasses import dataclass

from app.accounts.models import User
from app.dossiers.models import Dossier
from app.payments.models import Payment, Refund


@dataclass(frozen=True)
class PaymentSettled:
    """``payment`` of ``dossier`` is paid (``collector``: the cashier; None online), once."""

    payment: Payment
    dossier: Dossier
    collector: User | None


@dataclass(frozen=True)
class RefundRecorded:
    """``refund`` of ``payment`` (of ``dossier``) was paid back by ``actor``, once: the
    receipt is cancelled with the refund's reason, the applicant told, the audit log appended."""

    refund: Refund
    payment: Payment
    dossier: Dossier
    actor: User
