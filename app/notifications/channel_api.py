"""Notice channels in the JSON API: the caller's choice, and the SMS/Zalo delivery log
(system administrators)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from app.db import MAX_ID
from app.notifications import channels
from app.notifications.channel_schemas import (
    ChannelMessageRead,
    ChannelsIn,
    ChannelsRead,
    DeliveryLogRead,
)
from app.web.deps import CurrentUser, SessionDep

router = APIRouter(tags=["notifications"])
ERRORS: dict[int | str, dict[str, Any]] = {401: {"description": "Not logged in"}}
ADMIN_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    403: {"description": "Not a system administrator"},
}


def _read(pref: channels.Preference) -> ChannelsRead:
    return ChannelsRead(
        channels=list(pref.channels),
        phone=pref.phone,
        available=list(channels.CHANNELS),
        chosen=pref.chosen,
    )


def _shown(row: Any) -> ChannelMessageRead:
    """A logged message as an administrator may read it: a secret link is never shown."""
    read = ChannelMessageRead.model_validate(row)
    if read.kind in channels.SECRET_KINDS:
        read.body_text = channels.SCRUBBED
    return read


@router.get("/api/v1/notifications/channels", response_model=ChannelsRead, responses=ERRORS)
def get_channels(session: SessionDep, user: CurrentUser) -> ChannelsRead:
    """The channels the caller's notices go to (default: in_app and email)."""
    return _read(channels.preference(session, user))


@router.put(
    "/api/v1/notifications/channels",
    response_model=ChannelsRead,
    responses={**ERRORS, 422: {"description": "Unknown channel, none, or a bad mobile number"}},
)
def put_channels(body: ChannelsIn, session: SessionDep, user: CurrentUser) -> ChannelsRead:
    """Choose the caller's notice channels; sms and zalo need a Vietnamese mobile number."""
    return _read(channels.set_preference(session, user, body.channels, body.phone))


@router.get(
    "/api/v1/admin/notice-deliveries", response_model=DeliveryLogRead, responses=ADMIN_ERRORS
)
def delivery_log(
    session: SessionDep,
    user: CurrentUser,
    status: str = Query("", max_length=10, description="pending|sent|failed"),
    channel: str = Query("", max_length=10, description="sms|zalo"),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> DeliveryLogRead:
    """SMS and Zalo messages, newest first, with attempts and the gateway's last answer."""
    page = channels.delivery_log(session, user, status, channel, limit, offset)
    return DeliveryLogRead(
        items=[_shown(m) for m in page.items],
        total=page.total,
        counts=page.counts,
    )


@router.post(
    "/api/v1/admin/notice-deliveries/{message_id}/retry",
    response_model=ChannelMessageRead,
    responses={
        **ADMIN_ERRORS,
        404: {"description": "No such message"},
        409: {"description": "Not failed"},
    },
)
def retry_delivery(
    message_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: SessionDep, user: CurrentUser
) -> ChannelMessageRead:
    """Send a message that was given up again."""
    return ChannelMessageRead.model_validate(channels.retry(session, user, message_id))
