"""The receipt builders' fixtures (a commune of its own, its cashier, a citizen's dossier),
shared by the receipt test modules."""

from tests.receipts.test_receipts import agency, cashier, dossier, owner

__all__ = ["agency", "cashier", "dossier", "owner"]
