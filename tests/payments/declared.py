"""Declared data valid for procedure 2.000884."""

FORM = {
    "applicant_name": "Nội dung khai",
    "applicant_id_number": "034190001234",
    "applicant_phone": "0912345678",
    "document_title": "Nội dung khai",
    "signing_method": "Ký",
    "copies": "1",
    "needs_interpreter": True,
}
