import pytest

from trainer.vocab.roles import (
    ROLES,
    RoleError,
    check_roles,
    other_side,
    parse_role,
    primary_role,
    role_for,
    role_segment,
    role_side,
)


def test_vocabulary() -> None:
    assert ROLES == ("left-shank", "right-shank", "left-foot", "right-foot", "trunk")
    assert parse_role(" Left-Shank ") == "left-shank"
    assert role_side("right-foot") == "right" and role_side("trunk") is None
    assert role_segment("left-foot") == "foot" and role_segment("trunk") == "trunk"
    assert role_for("left", "shank") == "left-shank"
    assert other_side("left-shank") == "right-shank" and other_side("trunk") is None


def test_bad_roles_are_one_line_errors() -> None:
    with pytest.raises(RoleError, match="choose from left-shank"):
        parse_role("hip")
    with pytest.raises(RoleError, match="twice"):
        check_roles(["trunk", "trunk"])


def test_primary_is_the_stance_leg() -> None:
    assert primary_role(("trunk", "right-shank", "left-shank"), "left", "shank") == "left-shank"
    assert primary_role(("trunk", "left-foot"), "left", "shank") == "left-foot"
    assert primary_role(("trunk", "right-shank")) == "right-shank"
    assert primary_role(("trunk",), "left") == "trunk"
