"""Routes only the auth tests include: one per role, and one that forgot every dependency."""

from __future__ import annotations

from fastapi import APIRouter, Form

from web.deps import EditorUser, SignedIn

router = APIRouter()


@router.get("/probe/editor")
def editor_page(user: EditorUser) -> dict[str, str]:
    return {"user": user.username}


@router.post("/api/v1/probe/editor")
def editor_api(user: EditorUser, note: str = Form("")) -> dict[str, str]:
    return {"user": user.username, "note": note}


@router.get("/probe/viewer")
def viewer_page(user: SignedIn) -> dict[str, str]:
    return {"user": user.username}


@router.get("/probe/forgot-auth")
def forgot_auth() -> dict[str, str]:
    return {"secret": "claim map of EP3000000"}


@router.post("/probe/forgot-csrf")
def forgot_csrf() -> dict[str, str]:
    return {"changed": "yes"}
