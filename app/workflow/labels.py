"""What each action is called in Vietnamese: the history, the staff desk, form 06, the audit
log. Kept apart from the engine so that the actions can label their own forms."""

from __future__ import annotations

from app.i18n_markers import N_

ACTION_LABELS = {
    "create": N_("Tạo hồ sơ"),
    "submit": N_("Nộp hồ sơ"),
    "resubmit": N_("Nộp bổ sung hồ sơ"),
    "receive": N_("Tiếp nhận hồ sơ"),
    "request_supplement": N_("Yêu cầu bổ sung hồ sơ"),
    "reject": N_("Từ chối hồ sơ"),
    "forward": N_("Chuyển bước tiếp theo"),
    "send_back": N_("Trả lại bước trước"),
    "approve": N_("Phê duyệt"),
    "request_payment": N_("Yêu cầu thanh toán"),
    "attach_result": N_("Đính kèm kết quả"),
    "return_result": N_("Trả kết quả"),
    "withdraw": N_("Rút hồ sơ"),
    "request_withdrawal": N_("Đề nghị rút hồ sơ"),
    "accept_withdrawal": N_("Chấp nhận rút hồ sơ"),
    "stop": N_("Dừng xử lý hồ sơ"),
    "extend": N_("Gia hạn, xin lỗi"),
    "supplement_timeout": N_("Quá hạn bổ sung, dừng xử lý"),
    "late_warning": N_("Cảnh báo sắp quá hạn"),
    "recompute_due": N_("Tính lại thời hạn theo lịch làm việc mới"),
    "payment": N_("Thanh toán phí, lệ phí"),
}
