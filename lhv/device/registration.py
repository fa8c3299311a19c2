"""What a registration must hold, for the /users route and the operator's add-user command alike."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class NewUser(BaseModel):
    """A registration request."""

    model_config = ConfigDict(extra="forbid")
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    password: str = Field(min_length=12)
    role: Literal["user", "admin"] = "user"
