"""Results by post (bưu chính công ích): the applicant's choice, its fee and the hand-over."""
