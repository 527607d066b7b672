"""What happens to a dossier, as events (SPEC §3 actions). ``app.workflow`` publishes one per
action taken, in the action's transaction; audit, notifications and (later) the national
sync subscribe to ``DossierChanged`` or to one kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from app.accounts.models import User
from app.dossiers.models import Dossier


@dataclass(frozen=True)
class DossierChanged:
    """An action was taken on ``dossier`` by ``actor`` (None: the system, e.g. a time limit);
    ``before`` is the status it had, ``comment`` what the actor wrote."""

    action: ClassVar[str] = ""
    dossier: Dossier
    actor: User | None
    before: str
    comment: str = ""


@dataclass(frozen=True)
class DossierSubmitted(DossierChanged):
    action = "submit"


@dataclass(frozen=True)
class DossierResubmitted(DossierChanged):
    """The applicant sent the supplement asked for (the clock restarts)."""

    action = "resubmit"


@dataclass(frozen=True)
class DossierReceived(DossierChanged):
    action = "receive"


@dataclass(frozen=True)
class SupplementRequested(DossierChanged):
    action = "request_supplement"


@dataclass(frozen=True)
class DossierRejected(DossierChanged):
    action = "reject"


@dataclass(frozen=True)
class DossierForwarded(DossierChanged):
    action = "forward"


@dataclass(frozen=True)
class DossierApproved(DossierChanged):
    action = "approve"


@dataclass(frozen=True)
class DossierSentBack(DossierChanged):
    action = "send_back"


@dataclass(frozen=True)
class ResultAttached(DossierChanged):
    action = "attach_result"


@dataclass(frozen=True)
class ResultReturned(DossierChanged):
    action = "return_result"


@dataclass(frozen=True)
class DossierWithdrawn(DossierChanged):
    action = "withdraw"


@dataclass(frozen=True)
class WithdrawalRequested(DossierChanged):
    """The applicant asked to withdraw a received dossier; its reception is to accept."""

    action = "request_withdrawal"


@dataclass(frozen=True)
class WithdrawalAccepted(DossierChanged):
    """The agency accepted the withdrawal (form 05): the dossier is withdrawn."""

    action = "accept_withdrawal"


@dataclass(frozen=True)
class DossierStopped(DossierChanged):
    action = "stop"


@dataclass(frozen=True)
class DeadlineExtended(DossierChanged):
    action = "extend"


@dataclass(frozen=True)
class PaymentRequested(DossierChanged):
    action = "request_payment"


@dataclass(frozen=True)
class SupplementTimedOut(DossierChanged):
    """The supplement never came within its limit: the dossier was stopped (form 05)."""

    action = "supplement_timeout"


KINDS: dict[str, type[DossierChanged]] = {
    kind.action: kind
    for kind in (
        DossierSubmitted,
        DossierResubmitted,
        DossierReceived,
        SupplementRequested,
        DossierRejected,
        DossierForwarded,
        DossierApproved,
        DossierSentBack,
        ResultAttached,
        ResultReturned,
        DossierWithdrawn,
        WithdrawalRequested,
        WithdrawalAccepted,
        DossierStopped,
        DeadlineExtended,
        PaymentRequested,
        SupplementTimedOut,
    )
}


def for_action(
    action: str, dossier: Dossier, actor: User | None, before: str, comment: str = ""
) -> DossierChanged:
    """The event of one action (a ``DossierChanged`` of its kind)."""
    return KINDS[action](dossier=dossier, actor=actor, before=before, comment=comment)


@dataclass(frozen=True)
class AppointmentMoved:
    """A change of the working calendar moved the appointment (``due_at``) of a dossier the
    agency holds; ``reason`` says what changed. Not an action: no status changes."""

    dossier: Dossier
    old_due_at: datetime
    new_due_at: datetime
    reason: str
