"""Agency signing certificates and PAdES signatures.

- A certificate arrives as a PKCS#12 bundle (``import_pkcs12``). It is checked (private key
  present and matching the certificate, certificate valid now), re-exported *without* a
  passphrase and stored encrypted with AES-256-GCM under a key derived from
  ``PORTAL_SECRET_KEY`` (HKDF-SHA256, info ``motcua-signing-v1``); the row's fingerprint is
  the associated data, so a blob cannot be moved to another row. The import passphrase is
  never stored. Importing a new certificate for an agency deactivates its previous one.
- ``sign_pdf`` adds a visible PAdES baseline B-B signature (no timestamp server, no network)
  with a stamp in DejaVu Serif, which covers Vietnamese. The CMS embeds the whole chain.
- ``validate_pdf`` checks every signature of a PDF with pyHanko's validator against the demo
  root CA and any roots the caller passes (``trust_roots_pem(session)`` gives the roots of
  every stored chain).

Signing and validation are synchronous and CPU-bound (pyHanko runs its own event loop with
``asyncio.run``): call them from a worker thread or a sync endpoint, never from ``async`` code.
"""

from __future__ import annotations

import asyncio
import binascii
import concurrent.futures
import functools
import io
import logging
import os
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from asn1crypto import pkcs12 as asn1_pkcs12
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.content import PdfContent
from pyhanko.pdf_utils.font.api import FontEngine, FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import AxisAlignment, BoxConstraints, Margins, SimpleBoxLayoutRule
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko.stamp import NoOpStampStyle, StaticStampStyle, TextStampStyle
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.agencies.models import Agency
from app.config import get_settings
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound
from app.i18n_markers import N_
from app.signing.models import SigningCertificate

log = logging.getLogger(__name__)

KDF_INFO = b"motcua-signing-v1"
_BLOB_VERSION = b"\x01"
_NONCE_SIZE = 12
MAX_PKCS12_BYTES = 256 * 1024
FONT_FILE = Path(__file__).resolve().parent.parent / "static" / "fonts" / "DejaVuSerif.ttf"
DEMO_ROOT_FILE = Path("signing") / "demo-root-ca.pem"
STAMP_TEXT = "Ký bởi: %(agency)s\nNgười ký: %(signer_name)s\nThời gian: %(signed_at)s"
STAMP_FONT_SIZE = 9
# Default visible box (points, from the page's bottom-right corner): width, height, margins.
_DEFAULT_BOX_SIZE = (230.0, 60.0)
_DEFAULT_BOX_MARGINS = (42.5, 85.0)
# Either usage is accepted on a signer certificate (Vietnamese CAs set both).
_KEY_USAGE = KeyUsageConstraints(
    key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
)
_SIGNER_CACHE_SIZE = 64


# --- encryption at rest ---------------------------------------------------------------------


def _encryption_key() -> bytes:
    secret = get_settings().secret_key.encode("utf-8")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KDF_INFO).derive(secret)


def _aad(fingerprint: str) -> bytes:
    return KDF_INFO + b":" + fingerprint.encode("ascii")


def encrypt_bundle(plaintext: bytes, fingerprint: str) -> bytes:
    """``version || nonce || AES-GCM(ciphertext+tag)``, bound to the certificate fingerprint."""
    nonce = os.urandom(_NONCE_SIZE)
    sealed = AESGCM(_encryption_key()).encrypt(nonce, plaintext, _aad(fingerprint))
    return _BLOB_VERSION + nonce + sealed


def decrypt_bundle(blob: bytes, fingerprint: str) -> bytes:
    if not blob.startswith(_BLOB_VERSION):
        raise ValueError("unknown signing bundle format")
    nonce = blob[1 : 1 + _NONCE_SIZE]
    try:
        return AESGCM(_encryption_key()).decrypt(nonce, blob[1 + _NONCE_SIZE :], _aad(fingerprint))
    except InvalidTag as exc:
        # Wrong PORTAL_SECRET_KEY, or a blob that does not belong to this row.
        raise ValueError("signing bundle cannot be decrypted with the current secret") from exc


# --- import --------------------------------------------------------------------------------


def _is_pfx(data: bytes) -> bool:
    """Whether ``data`` is a structurally sound PKCS#12 (PFX) file, whatever its passphrase."""
    try:
        pfx = asn1_pkcs12.Pfx.load(data, strict=True)
        return pfx["auth_safe"]["content_type"].native in ("data", "signed_data")
    except (ValueError, TypeError, KeyError):
        return False


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _public_der(key: Any) -> bytes:
    return bytes(
        key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def _chain_order(leaf: x509.Certificate, others: list[x509.Certificate]) -> list[x509.Certificate]:
    """``leaf`` then its issuers as far as ``others`` go, then any certificates left over."""
    chain = [leaf]
    remaining = [c for c in others if c != leaf]
    while remaining and chain[-1].issuer != chain[-1].subject:
        issuer = next((c for c in remaining if c.subject == chain[-1].issuer), None)
        if issuer is None:
            break
        chain.append(issuer)
        remaining.remove(issuer)
    return chain + remaining


def _can_sign(cert: x509.Certificate) -> bool:
    """The key usage allows signatures (validators require the extension to say so)."""
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return bool(usage.digital_signature or usage.content_commitment)


def _load_pfx(data: bytes, passphrase: bytes | None) -> tuple[Any, Any, list[x509.Certificate]]:
    # Without a passphrase, try both "none" and "empty": tools disagree on which one they write.
    candidates = [passphrase] if passphrase else [None, b""]
    for candidate in candidates:
        try:
            key, cert, additional = pkcs12.load_key_and_certificates(data, candidate)
        except ValueError:
            continue
        return key, cert, list(additional)
    raise InvalidInput(
        N_("Không mở được tệp chứng thư số: mật khẩu không đúng."),
        fields={"passphrase": N_("Mật khẩu không đúng.")},
    )


def import_pkcs12(
    session: Session,
    agency: Agency,
    data: bytes,
    passphrase: bytes | None,
    is_demo: bool = False,
) -> SigningCertificate:
    """Store the agency's PKCS#12 bundle (encrypted) and make it its active certificate."""
    if not data or len(data) > MAX_PKCS12_BYTES or not _is_pfx(data):
        raise InvalidInput(
            N_("Tệp chứng thư số không hợp lệ: cần tệp PKCS#12 (.p12 hoặc .pfx)."),
            fields={"file": N_("Tệp không phải PKCS#12 hợp lệ.")},
        )
    key, cert, additional = _load_pfx(data, passphrase)
    if key is None:
        raise InvalidInput(
            N_("Tệp chứng thư số không chứa khóa bí mật."),
            fields={"file": N_("Thiếu khóa bí mật.")},
        )
    if cert is None:
        raise InvalidInput(
            N_("Tệp chứng thư số không chứa chứng thư của người ký."),
            fields={"file": N_("Thiếu chứng thư số.")},
        )
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise InvalidInput(
            N_("Loại khóa của chứng thư số không được hỗ trợ (chỉ RSA hoặc ECDSA)."),
            fields={"file": N_("Loại khóa không được hỗ trợ.")},
        )
    if _public_der(key.public_key()) != _public_der(cert.public_key()):
        raise InvalidInput(
            N_("Khóa bí mật không khớp với chứng thư số trong tệp."),
            fields={"file": N_("Khóa bí mật không khớp chứng thư số.")},
        )
    if not _can_sign(cert):
        raise InvalidInput(
            N_("Chứng thư số không dùng để ký số (thiếu mục đích sử dụng khóa ký số)."),
            fields={"file": N_("Chứng thư số không dùng để ký số.")},
        )
    now = utcnow()
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise InvalidInput(
            N_("Chứng thư số đã hết hạn hoặc chưa đến thời điểm có hiệu lực."),
            fields={"file": N_("Chứng thư số không còn hiệu lực.")},
        )

    fingerprint = cert.fingerprint(hashes.SHA256()).hex()
    chain = _chain_order(cert, additional)
    # Re-exported without a passphrase: the AES-GCM layer is the only protection, and the
    # passphrase the agency used is not kept anywhere.
    bundle = pkcs12.serialize_key_and_certificates(
        None, key, cert, chain[1:] or None, serialization.NoEncryption()
    )
    record = session.scalar(
        select(SigningCertificate).where(SigningCertificate.fingerprint_sha256 == fingerprint)
    )
    if record is not None and record.agency_id != agency.id:
        raise Conflict(
            N_("Chứng thư số này đã được gán cho một cơ quan khác."),
            fields={"file": N_("Chứng thư số đã được dùng.")},
        )
    session.execute(
        update(SigningCertificate)
        .where(SigningCertificate.agency_id == agency.id, SigningCertificate.is_active.is_(True))
        .values(is_active=False)
    )
    if record is None:
        record = SigningCertificate(agency_id=agency.id, fingerprint_sha256=fingerprint)
        session.add(record)
    record.subject = cert.subject.rfc4514_string()[:500]
    record.issuer = cert.issuer.rfc4514_string()[:500]
    record.serial = format(cert.serial_number, "X")
    record.not_before = cert.not_valid_before_utc
    record.not_after = cert.not_valid_after_utc
    record.pkcs12_encrypted = encrypt_bundle(bundle, fingerprint)
    record.chain_pem = "".join(_pem(c) for c in chain)
    record.is_demo = is_demo
    record.is_active = True
    session.flush()
    log.info(
        "signing certificate %s imported for agency %s (demo=%s)", fingerprint, agency.code, is_demo
    )
    return record


# --- signer --------------------------------------------------------------------------------


def active_certificate(session: Session, agency_id: int) -> SigningCertificate:
    cert = session.scalar(
        select(SigningCertificate)
        .where(SigningCertificate.agency_id == agency_id, SigningCertificate.is_active.is_(True))
        .order_by(SigningCertificate.id.desc())
        .limit(1)
    )
    if cert is None:
        raise NotFound(
            N_("Cơ quan chưa có chứng thư số để ký điện tử. Quản trị viên cần nhập chứng thư số.")
        )
    return cert


@dataclass(frozen=True)
class _LoadedSigner:
    signer: signers.SimpleSigner
    # Hex digits to reserve for the CMS container: the certificates it embeds plus a margin
    # for signed attributes and a signature of any key size (saves pyHanko's dry-run signature).
    bytes_reserved: int


_SIGNERS: OrderedDict[tuple[int, str], _LoadedSigner] = OrderedDict()
_SIGNERS_LOCK = threading.Lock()
_CMS_MARGIN = 3072


def _loaded_signer(cert: SigningCertificate) -> _LoadedSigner:
    cache_key = (cert.id, cert.fingerprint_sha256)
    with _SIGNERS_LOCK:
        loaded = _SIGNERS.get(cache_key)
        if loaded is not None:
            _SIGNERS.move_to_end(cache_key)
            return loaded
    bundle = decrypt_bundle(cert.pkcs12_encrypted, cert.fingerprint_sha256)
    signer = signers.SimpleSigner.load_pkcs12_data(bundle, other_certs=[], passphrase=None)
    assert signer.signing_cert is not None  # load_pkcs12_data always sets it
    cert_bytes = len(signer.signing_cert.dump()) + sum(len(c.dump()) for c in signer.cert_registry)
    loaded = _LoadedSigner(signer, 2 * (cert_bytes + _CMS_MARGIN))
    with _SIGNERS_LOCK:
        _SIGNERS[cache_key] = loaded
        while len(_SIGNERS) > _SIGNER_CACHE_SIZE:
            _SIGNERS.popitem(last=False)
    return loaded


def signer_for(cert: SigningCertificate) -> signers.SimpleSigner:
    """The pyHanko signer of ``cert``, decrypted and parsed once per process (LRU cache)."""
    return _loaded_signer(cert).signer


def clear_signer_cache() -> None:
    with _SIGNERS_LOCK:
        _SIGNERS.clear()


# --- stamp font ----------------------------------------------------------------------------

# What the small stamp font covers: ASCII, Latin-1, Latin Extended-A, ơ/ư, the combining
# marks Vietnamese uses, Latin Extended Additional (ạ … ỹ) and common punctuation.
_STAMP_CODEPOINTS = frozenset(
    [
        *range(0x20, 0x7F),
        *range(0xA0, 0x180),
        *(0x1A0, 0x1A1, 0x1AF, 0x1B0),
        *range(0x300, 0x30A),
        0x323,
        *range(0x1EA0, 0x1EFA),
        *(0x2013, 0x2014, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2026),
    ]
)


def _prepared_font(codepoints: frozenset[int] | None) -> bytes:
    """DejaVu Serif without layout tables or hinting, scaled to 1000 units per em, optionally
    cut down to ``codepoints``.

    pyHanko writes the glyph advances into the PDF font's ``/W`` array in font units, but PDF
    reads them as thousandths of an em: with DejaVu's 2048 units per em every letter would be
    spaced twice too wide, so the font is rescaled to 1000. No GSUB/GPOS: the text is NFC
    (precomposed Vietnamese letters), and pyHanko parses and subsets the font again on every
    signature, which is what a small font without layout tables makes fast.
    """
    from fontTools import subset, ttLib
    from fontTools.ttLib.scaleUpem import scale_upem

    font = ttLib.TTFont(str(FONT_FILE))
    options = subset.Options()
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "FFTM"]
    options.hinting = False
    options.notdef_outline = True
    subsetter = subset.Subsetter(options=options)
    if codepoints is None:
        subsetter.populate(unicodes=font.getBestCmap().keys())
    else:
        subsetter.populate(unicodes=sorted(codepoints))
    subsetter.subset(font)
    if font["head"].unitsPerEm != 1000:
        scale_upem(font, 1000)
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


@lru_cache(maxsize=1)
def _stamp_font_bytes() -> bytes:
    """The stamp font for Vietnamese text (~20 KB instead of 380 KB)."""
    return _prepared_font(_STAMP_CODEPOINTS)


@lru_cache(maxsize=1)
def _full_font_bytes() -> bytes:
    """The whole font, for the rare stamp text with a character outside the small set."""
    return _prepared_font(None)


@dataclass(frozen=True)
class _InMemoryFontFactory(FontEngineFactory):
    """Like pyHanko's ``GlyphAccumulatorFactory`` but from font bytes kept in memory."""

    font_bytes: bytes
    font_size: int = STAMP_FONT_SIZE

    def create_font_engine(self, writer: BasePdfFileWriter, obj_stream: Any = None) -> FontEngine:
        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(
            writer=writer,
            font_handle=io.BytesIO(self.font_bytes),
            font_size=self.font_size,
            bcp47_lang_code="vi",
            obj_stream=obj_stream,
        )


def _stamp_style(text: str) -> TextStampStyle:
    covered = all(ord(ch) in _STAMP_CODEPOINTS for ch in text if ch != "\n")
    font = _InMemoryFontFactory(_stamp_font_bytes() if covered else _full_font_bytes())
    return TextStampStyle(
        stamp_text=STAMP_TEXT,
        text_box_style=TextBoxStyle(font=font, font_size=STAMP_FONT_SIZE, leading=12),
        border_width=1,
    )


class _PdfPageContent(PdfContent):
    """The first page of a PDF held in memory, as a form XObject: a signature's appearance
    drawn elsewhere (pyHanko's own ``ImportedPdfPage`` reads from a file)."""

    def __init__(self, pdf: bytes) -> None:
        self._pdf = pdf
        super().__init__()

    def render(self) -> bytes:
        xobject = self._ensure_writer.import_page_as_xobject(
            PdfFileReader(io.BytesIO(self._pdf), strict=False), page_ix=0
        )
        name = "/Look" + binascii.hexlify(os.urandom(8)).decode("ascii")
        self.resources.xobject[name] = xobject
        x1, y1, x2, y2 = xobject.get_object()["/BBox"]
        self.box = BoxConstraints(width=abs(x1 - x2), height=abs(y1 - y2))
        return name.encode("ascii") + b" Do"


def _drawn_style(appearance_pdf: bytes) -> StaticStampStyle:
    """A signature appearance that is exactly the given one-page PDF, unscaled when the box
    has its size."""
    return StaticStampStyle(
        background=_PdfPageContent(appearance_pdf),
        background_layout=SimpleBoxLayoutRule(
            x_align=AxisAlignment.ALIGN_MIN,
            y_align=AxisAlignment.ALIGN_MIN,
            margins=Margins.uniform(0),
        ),
        border_width=0,
        background_opacity=1.0,
    )


def warm_up() -> None:
    """Build the stamp font once (about 0.1 s), e.g. at start-up, so the first signature is fast."""
    _stamp_font_bytes()


# --- signing -------------------------------------------------------------------------------


def _clean(value: str) -> str:
    return unicodedata.normalize("NFC", " ".join(value.split()))


def _default_box(page_obj: Any) -> tuple[int, int, int, int]:
    """A box at the bottom right of the page, above the 28 mm footer of the portal's forms."""
    media_box = page_obj.get("/MediaBox")
    while media_box is None and "/Parent" in page_obj:  # inherited from the page tree
        page_obj = page_obj["/Parent"].get_object()
        media_box = page_obj.get("/MediaBox")
    if media_box is None:
        raise ValueError("page without a /MediaBox")
    right = float(media_box[2])
    bottom = float(media_box[1])
    width, height = _DEFAULT_BOX_SIZE
    margin_right, margin_bottom = _DEFAULT_BOX_MARGINS
    x2 = right - margin_right
    y1 = bottom + margin_bottom
    return (round(x2 - width), round(y1), round(x2), round(y1 + height))


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _off_event_loop(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """pyHanko runs its own ``asyncio.run``: when this thread already runs an event loop
    (an ``async`` caller, a test runner's loop), do the work in a short-lived worker thread."""

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return func(*args, **kwargs)
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(func, *args, **kwargs).result()

    return wrapper


@_off_event_loop
def sign_pdf(
    session: Session,
    agency_id: int,
    pdf: bytes,
    *,
    field_name: str,
    reason: str,
    location: str,
    signer_name: str,
    box: tuple[float, float, float, float] | None = None,
    page: int = 0,
    page_appearance: bool = False,
    appearance_pdf: bytes | None = None,
    visible: bool = True,
) -> bytes:
    """``pdf`` with a visible PAdES B-B signature of the agency's active certificate.

    ``box`` is ``(x1, y1, x2, y2)`` in PDF points from the bottom-left corner of ``page``;
    without it the stamp goes to the bottom right, above the footer of the portal's forms.
    With ``page_appearance`` the caller has drawn who signs and when into the page under the
    box (a receipt): the field gets no stamp of its own, which saves embedding a font subset
    in every signature (about half of the signing time). With ``appearance_pdf`` (a one-page
    PDF the size of the box) the field shows that page (a result's QR code and number).
    Without ``visible`` the signature has no widget on the page (an administrative form,
    whose signature block already names the signer and says it is signed digitally).
    """
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(N_("Không tìm thấy cơ quan."))
    cert = active_certificate(session, agency_id)
    now = utcnow()
    if not cert.not_before <= now <= cert.not_after:
        raise Conflict(
            N_("Chứng thư số của cơ quan đã hết hạn hoặc chưa có hiệu lực; cần nhập chứng thư mới.")
        )
    try:
        loaded = _loaded_signer(cert)
    except ValueError as exc:
        # PORTAL_SECRET_KEY changed since the import, or the stored bundle is damaged.
        log.error("signing certificate %s cannot be loaded: %s", cert.fingerprint_sha256, exc)
        raise Conflict(
            N_("Không mở được chứng thư số đã lưu của cơ quan; quản trị viên cần nhập lại.")
        ) from exc
    local_now = datetime.now(ZoneInfo(get_settings().timezone))
    params = {
        "agency": _clean(agency.name),
        "signer_name": _clean(signer_name) or "—",
        "signed_at": local_now.strftime("%H:%M:%S %d/%m/%Y"),
    }
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        page_ref, _ = writer.find_page_for_modification(page)
        if box is None:
            field_box = _default_box(page_ref.get_object())
        else:
            field_box = (round(box[0]), round(box[1]), round(box[2]), round(box[3]))
    except (PdfError, IndexError, KeyError, ValueError) as exc:
        raise InvalidInput(
            N_("Tệp PDF không đọc được hoặc không có trang cần ký."),
            fields={"pdf": str(exc)[:200]},
        ) from exc
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason or None,
        location=location or None,
        name=params["signer_name"],
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer=loaded.signer,
        stamp_style=(
            _drawn_style(appearance_pdf)
            if appearance_pdf is not None
            else NoOpStampStyle()
            if page_appearance or not visible
            else _stamp_style("".join(params.values()))
        ),
        new_field_spec=fields.SigFieldSpec(
            sig_field_name=field_name, on_page=page, box=field_box if visible else None
        ),
    )
    try:
        output = pdf_signer.sign_pdf(
            writer, bytes_reserved=loaded.bytes_reserved, appearance_text_params=params
        )
    except SigningError as exc:
        raise Conflict(
            N_("Không ký được tài liệu (trường chữ ký đã được ký hoặc tài liệu bị khóa)."),
            fields={"field_name": str(exc)[:200]},
        ) from exc
    return bytes(output.getvalue())


# --- validation ----------------------------------------------------------------------------


def _certs_from_pem(text: str) -> list[x509.Certificate]:
    if "-----BEGIN CERTIFICATE-----" not in text:
        return []
    return x509.load_pem_x509_certificates(text.encode("ascii"))


def _demo_root_path() -> Path:
    return get_settings().data_dir / DEMO_ROOT_FILE


def _demo_roots_from_file() -> list[x509.Certificate]:
    path = _demo_root_path()
    if not path.exists():
        return []
    try:
        return _certs_from_pem(path.read_text(encoding="ascii"))
    except ValueError:
        log.warning("unreadable demo root CA file %s", path)
        return []


def _self_signed(cert: x509.Certificate) -> bool:
    return cert.issuer == cert.subject


def trust_roots_pem(session: Session) -> list[str]:
    """Roots to trust when validating: the demo roots and the roots of every stored chain."""
    seen: dict[bytes, str] = {}
    for cert in _demo_roots_from_file():
        seen.setdefault(cert.fingerprint(hashes.SHA256()), _pem(cert))
    for chain in session.scalars(select(SigningCertificate.chain_pem)):
        for cert in _certs_from_pem(chain):
            if _self_signed(cert):
                seen.setdefault(cert.fingerprint(hashes.SHA256()), _pem(cert))
    return list(seen.values())


def _name_part(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str:
    values = cert.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def _coverage_name(coverage: SignatureCoverageLevel | None) -> str:
    return coverage.name.lower() if coverage is not None else "unclear"


def _local_iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(get_settings().timezone)).isoformat()


@_off_event_loop
def validate_pdf(pdf: bytes, extra_trust_roots_pem: list[str] | None = None) -> dict[str, Any]:
    """Validate every signature of ``pdf``; never raises for a bad or tampered file.

    Trust roots: the demo root CA(s) from the data folder plus ``extra_trust_roots_pem``.
    Returns ``{"ok", "signatures": [{"field", "signer_subject", "signer_name",
    "signer_organisation", "signer_fingerprint", "signing_time", "intact", "valid", "coverage",
    "whole_document", "summary", "changes_allowed", "error"}],
    "error"}``: ``intact`` means the signed bytes hash to the signed digest, ``valid`` that the
    signature is intact, cryptographically sound and chains to a trusted root, ``ok`` that
    there is at least one signature and every one is valid with no disallowed later change.
    """
    roots = _demo_roots_from_file()
    for text in extra_trust_roots_pem or []:
        try:
            roots.extend(_certs_from_pem(text))
        except ValueError:
            log.warning("ignoring an unreadable trust root")
    trust_roots = [
        asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)) for cert in roots
    ]
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_regular_signatures)
    except Exception as exc:  # a damaged file: report, don't raise
        return {"ok": False, "signatures": [], "error": f"{type(exc).__name__}: {exc}"[:300]}

    results: list[dict[str, Any]] = []
    for sig in embedded:
        entry: dict[str, Any] = {
            "field": sig.field_name,
            "signer_subject": "",
            "signer_name": "",
            "signer_organisation": "",
            "signer_fingerprint": "",
            "signing_time": None,
            "intact": False,
            "valid": False,
            "coverage": "unclear",
            "whole_document": False,
            "summary": "INVALID",
            "changes_allowed": False,
            "error": None,
        }
        try:
            signer_cert = x509.load_der_x509_certificate(sig.signer_cert.dump())
            entry["signer_subject"] = signer_cert.subject.rfc4514_string()
            # Only the names are for display: a personal certificate's subject may carry an ID
            # number (UID "CCCD:…").
            entry["signer_name"] = _name_part(signer_cert, NameOID.COMMON_NAME)
            entry["signer_organisation"] = _name_part(signer_cert, NameOID.ORGANIZATION_NAME)
            entry["signer_fingerprint"] = signer_cert.fingerprint(hashes.SHA256()).hex()
            context = ValidationContext(
                trust_roots=list(trust_roots), allow_fetching=False, revocation_mode="soft-fail"
            )
            status = validate_pdf_signature(sig, context, key_usage_settings=_KEY_USAGE)
            entry["signing_time"] = _local_iso(status.signer_reported_dt)
            entry["intact"] = bool(status.intact)
            entry["valid"] = bool(status.trusted)
            entry["coverage"] = _coverage_name(status.coverage)
            entry["whole_document"] = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
            entry["summary"] = status.summary()
            # What was added after this signature (a later signature, form filling) is
            # allowed by its document's rules; page content changed afterwards is not.
            entry["changes_allowed"] = bool(status.docmdp_ok)
            entry["ok"] = bool(
                status.bottom_line
                and status.coverage is not None
                and status.coverage >= SignatureCoverageLevel.ENTIRE_REVISION
            )
        except Exception as exc:  # a signature pyHanko cannot even evaluate is not valid
            entry["error"] = f"{type(exc).__name__}: {exc}"[:300]
            entry["ok"] = False
        results.append(entry)
    ok = bool(results) and all(entry["ok"] for entry in results)
    return {"ok": ok, "signatures": results, "error": None if results else "no signature"}


def demo_root_path() -> Path:
    """Where the demo root CA certificate(s) are kept (PEM, in the data folder)."""
    return _demo_root_path()


def store_demo_root(cert: x509.Certificate) -> None:
    """Add a demo root to the PEM bundle in the data folder (kept once per fingerprint)."""
    path = _demo_root_path()
    existing = _demo_roots_from_file()
    if any(c.fingerprint(hashes.SHA256()) == cert.fingerprint(hashes.SHA256()) for c in existing):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(_pem(c) for c in [*existing, cert]), encoding="ascii")
    tmp.replace(path)


def demo_roots(session: Session | None) -> list[x509.Certificate]:
    """Demo roots from the data folder, plus (with a session) those in stored demo chains."""
    seen = {c.fingerprint(hashes.SHA256()): c for c in _demo_roots_from_file()}
    if session is not None:
        chains = session.scalars(
            select(SigningCertificate.chain_pem).where(SigningCertificate.is_demo.is_(True))
        )
        for chain in chains:
            for cert in _certs_from_pem(chain):
                if _self_signed(cert):
                    seen.setdefault(cert.fingerprint(hashes.SHA256()), cert)
    return list(seen.values())
