"""A receipt as data for the tax authority: XML signed by the collecting agency (SPEC §6).

Decree 123/2020 Art. 32 (as amended by Decree 70/2025) and Circular 32/2025/TT-BTC list what a
receipt holds; the element names follow the abbreviations of the tax authority's e-invoice data
format (Decision 1450/QĐ-TCT and its successors): names the invoice format has (``TTChung``,
``NLap``, ``DVTTe``, ``HTTToan``, ``Ten``, ``MST``, ``DChi``, ``DSHHDVu``, ``ThTien``,
``TgTTTBSo``, ``TgTTTBChu``, ``TTKhac``, ``DSCKS``) are used as they are, and "hóa đơn" (HDon)
becomes "biên lai" (BLai) in the others. What is assumed and why:
docs/decisions/0024-receipts-as-signed-xml.md.
"""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree
from sqlalchemy.orm import Session

from app.config import get_settings
from app.dossiers.models import Dossier
from app.receipts import service
from app.receipts.models import Receipt
from app.signing import xmldsig

FORMAT_VERSION = "1.0.0"  # of this portal's receipt data, PBan
DATA_ID = "DLBLai"
REPLACES = "1"  # TCBLai: 1 = replaces the receipt named in TTBLLQuan
# Characters XML 1.0 does not allow in text (lxml refuses them): dropped, never escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str:
    return _NOT_XML.sub("", str(value if value is not None else ""))


def _add(parent: etree._Element, tag: str, value: Any = None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    if value is not None:
        element.text = _text(value)
    return element


def _other(parent: etree._Element, rows: list[tuple[str, str, Any]]) -> None:
    """``TTKhac``: named fields the format has no element for (``TTin`` of name, type, value)."""
    shown = [(name, kind, value) for name, kind, value in rows if value not in (None, "")]
    if not shown:
        return
    other = _add(parent, "TTKhac")
    for name, kind, value in shown:
        row = _add(other, "TTin")
        _add(row, "TTruong", name)
        _add(row, "KDLieu", kind)
        _add(row, "DLieu", value)


def _local(moment: Any) -> Any:
    return moment.astimezone(ZoneInfo(get_settings().timezone))


def receipt_element(session: Session, receipt: Receipt) -> etree._Element:
    """The unsigned document: ``BLai`` with the receipt's data in ``DLBLai`` and an empty
    signature list ``DSCKS`` for the collecting agency (``TCThu``)."""
    dossier = session.get(Dossier, receipt.dossier_id) if receipt.dossier_id else None
    root = etree.Element("BLai")
    data = _add(root, DATA_ID)
    data.set("Id", DATA_ID)

    general = _add(data, "TTChung")
    _add(general, "PBan", FORMAT_VERSION)
    _add(general, "TBLai", receipt.receipt_name)
    _add(general, "KHMSBLai", receipt.template_symbol)
    _add(general, "KHBLai", receipt.series)
    _add(general, "SBLai", service.number_text(receipt.number))
    _add(general, "NLap", _local(receipt.issued_at).date().isoformat())
    _add(general, "DVTTe", "VND")
    _add(general, "HTTToan", service.method_label(receipt.payment_method))
    original = receipt.replaces
    if original is not None:
        related = _add(general, "TTBLLQuan")
        _add(related, "TCBLai", REPLACES)
        _add(related, "KHMSBLCLQuan", original.template_symbol)
        _add(related, "KHBLCLQuan", original.series)
        _add(related, "SBLCLQuan", service.number_text(original.number))
        _add(related, "NLBLCLQuan", _local(original.issued_at).date().isoformat())
        _add(related, "GChu", original.cancel_reason)
    _other(
        general,
        [
            ("Thời điểm lập", "dateTime", _local(receipt.issued_at).isoformat(timespec="seconds")),
            ("Mã hồ sơ", "string", dossier.code if dossier else ""),
            ("Thủ tục", "string", dossier.version.name if dossier else ""),
            ("Người thu tiền", "string", receipt.collector_name),
        ],
    )

    content = _add(data, "NDBLai")
    collector = _add(content, "TCThu")
    _add(collector, "Ten", receipt.agency_name)
    _add(collector, "MST", receipt.agency_tax_code)
    _add(collector, "DChi", receipt.agency_address)
    payer = _add(content, "NNop")
    _add(payer, "Ten", receipt.payer_name)
    if receipt.payer_tax_code:
        _add(payer, "MST", receipt.payer_tax_code)
    _add(payer, "DChi", receipt.payer_address)
    if receipt.payer_id_number:
        _add(payer, "CCCDan", receipt.payer_id_number)
    lines = _add(content, "DSHHDVu")
    for index, item in enumerate(receipt.items, start=1):
        line = _add(lines, "HHDVu")
        _add(line, "STT", index)
        _add(line, "THHDVu", item.get("name", ""))
        _add(line, "ThTien", int(item.get("amount", 0)))
    total = _add(content, "TToan")
    _add(total, "TgTTTBSo", receipt.amount)
    _add(total, "TgTTTBChu", receipt.amount_in_words)

    state = _add(data, "TTBLai")
    _add(state, "TThai", receipt.status)
    _add(state, "MTTThai", service.STATUS_LABELS.get(receipt.status, receipt.status))
    if receipt.status != "issued" and receipt.cancelled_at is not None:
        _add(state, "NHuy", _local(receipt.cancelled_at).isoformat(timespec="seconds"))
        _add(state, "LDo", receipt.cancel_reason)
    successor = service.replacement_of(session, receipt) if receipt.status == "replaced" else None
    if successor is not None:
        by = _add(state, "BLTThe")
        _add(by, "KHMSBLai", successor.template_symbol)
        _add(by, "KHBLai", successor.series)
        _add(by, "SBLai", service.number_text(successor.number))

    signatures = _add(root, "DSCKS")
    _add(signatures, "TCThu").append(xmldsig.signature_placeholder())
    return root


def signed_xml(session: Session, receipt: Receipt) -> bytes:
    """The receipt as XML (UTF-8) with an enveloped XMLDSig signature over ``DLBLai`` by the
    collecting agency's active certificate."""
    root = receipt_element(session, receipt)
    return xmldsig.sign_enveloped(session, receipt.agency_id, root, DATA_ID).data


def file_name(receipt: Receipt) -> str:
    return f"bien-lai-{receipt.series}-{service.number_text(receipt.number)}.xml"
