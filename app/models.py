"""Imports every domain's models so that Base.metadata knows all tables (Alembic, tests)."""

from app import leases, ratelimit
from app.accounts import models as accounts_models
from app.agencies import models as agencies_models
from app.audit import models as audit_models
from app.calendar import models as calendar_models
from app.catalog import models as catalog_models
from app.counter import models as counter_models
from app.db import Base
from app.docstore import models as docstore_models
from app.documents import models as documents_models
from app.dossiers import models as dossiers_models
from app.feedback import models as feedback_models
from app.national import models as national_models
from app.notifications import channel_models as notification_channel_models
from app.notifications import models as notifications_models
from app.par import models as par_models
from app.payments import models as payments_models
from app.postal import models as postal_models
from app.ratings import models as ratings_models
from app.receipts import models as receipts_models
from app.signing import models as signing_models
from app.stats import models as stats_models

__all__ = [
    "Base",
    "accounts_models",
    "agencies_models",
    "audit_models",
    "calendar_models",
    "catalog_models",
    "counter_models",
    "docstore_models",
    "documents_models",
    "dossiers_models",
    "feedback_models",
    "leases",
    "national_models",
    "notification_channel_models",
    "notifications_models",
    "par_models",
    "payments_models",
    "postal_models",
    "ratelimit",
    "ratings_models",
    "receipts_models",
    "signing_models",
    "stats_models",
]
